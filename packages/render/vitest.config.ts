import { defineConfig } from 'vitest/config';

// Tests run the real helm and kustomize binaries; each spawns processes, so allow generous per-test time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
