#!/usr/bin/env node
import('../dist/tools-cli.js').then((m) => m.main(process.argv.slice(2)));
