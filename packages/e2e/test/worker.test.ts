/**
 * The worker cases on the process tier: real Nautobot (the virtualenv's) against real PostgreSQL 17, Redis and Envoy,
 * the worker started from the rendered nautobot-worker Deployment inside the site's network namespace. Cold runs
 * migrate once (minutes) and keep the migrated data directory in the cache folder; warm runs start from it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mismatch } from '../src/cases/types.js';
import { workerCases } from '../src/cases/worker.js';
import { ProcessTier } from '../src/process/tier.js';
import { globalSide, postgresVersion, siteCheck, snapshotDir } from '../src/worker/nautobot.js';

describe('worker cases (process tier)', () => {
  const snap = snapshotDir(postgresVersion());
  const tier = new ProcessTier({ postgresDataDir: existsSync(snap) ? snap : undefined });

  beforeAll(async () => {
    await tier.up();
    // Cold (no snapshot in the cache): `migrate` runs here, under the hook timeout, and the snapshot is saved.
    await globalSide(tier);
  });

  afterAll(async () => {
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
      // The failing assertion names the artifacts folder (logs, configs, the worker's render and pod spec).
      if (m) expect.fail(`${m}\ne2e artifacts: ${tier.collectArtifacts(m)}`);
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

  it('should put the worker render, nautobot_config.py and the mapped pod spec in the artifacts, without secrets', () => {
    const dir = tier.collectArtifacts('artifacts check (no failure)');
    try {
      const rendered = readFileSync(join(dir, 'worker', 'rendered.yaml'), 'utf8');
      expect(rendered).toMatch(/^# helm template nautobot-worker charts\/nautobot-worker /);
      expect(rendered).toContain('kind: Deployment');
      expect(readFileSync(join(dir, 'worker', 'nautobot_config.py'), 'utf8')).toContain('NAUTOBOT_DB_SSLMODE');
      const pod = JSON.parse(readFileSync(join(dir, 'worker', 'pod.json'), 'utf8'));
      expect(pod.argv).toEqual(expect.arrayContaining(['celery', 'worker']));
      expect(pod.env.NAUTOBOT_DB_PASSWORD).toBe('<redacted>');
      expect(existsSync(join(dir, 'logs', 'nautobot-worker.log'))).toBe(true);
      expect(existsSync(join(dir, 'logs', 'init-trust-bundle.log'))).toBe(true);
      const all = execFileSync(
        'cat',
        execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n'),
        {
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
        },
      );
      for (const [k, v] of Object.entries(tier.secretValues)) expect(all.includes(v), `${k} leaked`).toBe(false);
      expect(all).not.toMatch(/PRIVATE KEY/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
