/** One timeouts object: vitest's limits derive from it, so a cold migrate fails under `timeouts.migrate`, not a hook. */
import { describe, expect, it } from 'vitest';
import { timeouts, vitestTimeouts } from '../src/timeouts.js';
import config from '../vitest.config.js';

describe('timeouts', () => {
  it('should give a vitest hook room for the servers, a cold migrate and the worker start', () => {
    expect(vitestTimeouts.hookTimeout).toBeGreaterThanOrEqual(timeouts.migrate + timeouts.workerReady);
    expect(vitestTimeouts.testTimeout).toBeGreaterThanOrEqual(timeouts.recover + timeouts.job);
  });

  it('should be what vitest.config.ts uses', () => {
    expect(config.test?.hookTimeout).toBe(vitestTimeouts.hookTimeout);
    expect(config.test?.testTimeout).toBe(vitestTimeouts.testTimeout);
  });
});
