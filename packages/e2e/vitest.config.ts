import { defineConfig } from 'vitest/config';
import { vitestTimeouts } from './src/timeouts.js';

// The process tier starts real PostgreSQL, Redis, Envoy and Nautobot processes: limits derived from the one timeouts
// object (a cold migrate fits in a hook), one file at a time (the scenarios share a 2-core machine).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: vitestTimeouts.testTimeout,
    hookTimeout: vitestTimeouts.hookTimeout,
    fileParallelism: false,
  },
});
