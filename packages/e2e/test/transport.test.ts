/**
 * The transport cases on the process tier: real PostgreSQL 17, Redis and Envoy, the site in its own network namespace
 * (loopback where namespaces are unavailable). Each case asserts the exact error the real server or client gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transportCases } from '../src/cases/transport.js';
import { mismatch } from '../src/cases/types.js';
import { ProcessTier } from '../src/process/tier.js';

describe('transport cases (process tier)', () => {
  const tier = new ProcessTier();

  beforeAll(async () => {
    try {
      await tier.up();
    } catch (e) {
      const dir = tier.collectArtifacts(`process tier failed to come up: ${(e as Error).stack}`);
      throw new Error(`${(e as Error).message}\ne2e artifacts: ${dir}`, { cause: e });
    }
  });

  afterAll(async () => {
    await tier.down();
  });

  it('should use PostgreSQL >= 17 built with OpenSSL and a libpq >= 17 client', () => {
    const v = tier.versions();
    expect(Number(v.postgres!.match(/PostgreSQL (\d+)/)?.[1])).toBeGreaterThanOrEqual(17);
    expect(v['postgres ssl_library']).toBe('OpenSSL');
    // The worker's libpq (psycopg2's) must speak direct TLS (sslnegotiation=direct): libpq >= 17.
    expect(Number(v.libpq!.split('.')[0])).toBeGreaterThanOrEqual(17);
  });

  it('should take the TLS protocol range from the CNPG Cluster the way CNPG does (manifest min, CNPG max TLSv1.3)', async () => {
    const rows = await tier.sql(
      "select current_setting('ssl_min_protocol_version'), current_setting('ssl_max_protocol_version')",
    );
    expect(rows[0]).toEqual([tier.cnpg.parameters.ssl_min_protocol_version ?? 'TLSv1.3', 'TLSv1.3']);
  });

  for (const c of transportCases) {
    it(`should ${c.expect.ok ? 'accept' : 'reject'}: ${c.id} — ${c.title}`, async () => {
      const o = await c.run(tier);
      const m = mismatch(c, o);
      // The artifacts (every process log, the generated configs, the rendered inputs) are named in the failure.
      if (m) expect.fail(`${m}\ne2e artifacts: ${tier.collectArtifacts(m)}`);
    });
  }
});
