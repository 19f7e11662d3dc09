#!/usr/bin/env node
// understack-e2e: runs the end-to-end scenario (see README.md). Built output lives in dist/.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
