import { defineConfig } from 'vitest/config';

// The process tier starts real PostgreSQL, Redis, Envoy and Nautobot processes: generous timeouts, one file at a time
// (the scenarios share ports, network namespaces and a 2-core machine).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
