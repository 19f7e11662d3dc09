#!/usr/bin/env node
import('../dist/helm-unittest-cli.js').then((m) => m.main(process.argv.slice(2)));
