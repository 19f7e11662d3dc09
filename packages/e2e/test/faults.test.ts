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

  beforeAll(async () => {
    await tier.up();
    await workerSession(tier);
  });

  afterAll(async () => {
    await tier.down();
  });

  for (const c of faultCases) {
    it(`should recover: ${c.id} — ${c.title}`, async (ctx) => {
      let m: string | undefined;
      let skipped: string | undefined;
      try {
        const o = await c.run(tier);
        skipped = o.skipped;
        m = mismatch(c, o);
      } catch (error) {
        m = `${c.id}: ${(error as Error).message}`;
      }
      if (skipped !== undefined) {
        // A reasoned skip (e.g. no network namespaces on a non-root machine), reported as skipped, never passed.
        process.stderr.write(`${c.id} skipped: ${skipped}\n`);
        ctx.skip();
        return;
      }
      // The failing assertion names the artifacts folder (logs, configs, the worker's render and pod spec).
      if (m) expect.fail(`${m}\ne2e artifacts: ${tier.collectArtifacts(m)}`);
    });
  }
});
