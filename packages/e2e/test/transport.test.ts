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
  let failed = false;

  beforeAll(async () => {
    await tier.up();
  });

  afterAll(async () => {
    if (failed) process.stderr.write(`e2e artifacts: ${tier.collectArtifacts('a transport case failed')}\n`);
    await tier.down();
  });

  it('should use PostgreSQL >= 17 built with OpenSSL', () => {
    const v = tier.versions();
    expect(Number(v.postgres!.match(/PostgreSQL (\d+)/)?.[1])).toBeGreaterThanOrEqual(17);
    expect(v['postgres ssl_library']).toBe('OpenSSL');
  });

  for (const c of transportCases) {
    it(`should ${c.expect.ok ? 'accept' : 'reject'}: ${c.id} — ${c.title}`, async () => {
      const o = await c.run(tier);
      const m = mismatch(c, o);
      if (m) failed = true;
      expect(m, m).toBeUndefined();
    });
  }
});
