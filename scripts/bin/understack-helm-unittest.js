#!/usr/bin/env node
import('./start.js').then((m) => m.start('helm-unittest-cli'));
