/**
 * Faults and certificate rotation on the process tier, against one running site worker: PostgreSQL, Redis and Envoy
 * restarts, a 30 s link cut, and a rotated client certificate. Each case asserts every job ran exactly once.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultCases } from '../src/cases/faults.js';
import { mismatch } from '../src/cases/types.js';
import { ProcessTier } from '../src/process/tier.js';
import { postgresVersion, snapshotDir, workerSession } from '../src/worker/nautobot.js';

describe('fault and rotation cases (process tier)', () => {
  const snap = snapshotDir(postgresVersion());
  const tier = new ProcessTier({ postgresDataDir: existsSync(snap) ? snap : undefined });
  let failed = false;

  beforeAll(async () => {
    await tier.up();
    await workerSession(tier);
  });

  afterAll(async () => {
    if (failed) process.stderr.write(`e2e artifacts: ${tier.collectArtifacts('a fault case failed')}\n`);
    await tier.down();
  });

  for (const c of faultCases) {
    it(`should recover: ${c.id} — ${c.title}`, async () => {
      let m: string | undefined;
      try {
        m = mismatch(c, await c.run(tier));
      } catch (error) {
        m = `${c.id}: ${(error as Error).message}`;
      }
      if (m) failed = true;
      expect(m, m).toBeUndefined();
    });
  }
});
