#!/usr/bin/env node
import('./start.js').then((m) => m.start('tools-cli'));
