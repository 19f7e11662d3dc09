/**
 * The worker cases on the process tier: real Nautobot (the virtualenv's) against real PostgreSQL 17, Redis and Envoy,
 * the worker started from the rendered nautobot-worker Deployment inside the site's network namespace. Cold runs
 * migrate once (minutes) and keep the migrated data directory in the cache folder; warm runs start from it.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mismatch } from '../src/cases/types.js';
import { workerCases } from '../src/cases/worker.js';
import { ProcessTier } from '../src/process/tier.js';
import { globalSide, postgresVersion, siteCheck, snapshotDir } from '../src/worker/nautobot.js';

describe('worker cases (process tier)', () => {
  const snap = snapshotDir(postgresVersion());
  const tier = new ProcessTier({ postgresDataDir: existsSync(snap) ? snap : undefined });
  let failed = false;

  beforeAll(async () => {
    await tier.up();
    // Cold (no snapshot in the cache): `migrate` runs here, under the hook timeout, and the snapshot is saved.
    await globalSide(tier);
  });

  afterAll(async () => {
    if (failed) process.stderr.write(`e2e artifacts: ${tier.collectArtifacts('a worker case failed')}\n`);
    await tier.down();
  });

  for (const c of workerCases) {
    it(`should ${c.expect.ok ? 'pass' : 'reject'}: ${c.id} — ${c.title}`, async () => {
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

  it('should keep Redis certificate verification required in the Celery broker when the pod is unchanged', async () => {
    const r = await siteCheck(tier, { name: 'broker-facts' });
    expect(r.ok, String(r.error)).toBe(true);
    const broker = r.broker as { connection_classes: string[]; ssl_cert_reqs: string };
    expect(broker.connection_classes).toContain('SSLConnection');
    expect(broker.ssl_cert_reqs).toBe('CERT_REQUIRED');
    const db = r.db as { ssl: boolean; client_dn: string };
    expect(db).toMatchObject({ ssl: true, client_dn: '/CN=app' });
  });
});
