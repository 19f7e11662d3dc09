/**
 * The loopback fallback (machines without root/iproute2): the site shares loopback with the global side; libpq gets
 * PGHOSTADDR (connect address) while host stays the FQDN (SNI, verify-full), Python gets the resolver shim. The same
 * cases must hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultCases } from '../src/cases/faults.js';
import { transportCases } from '../src/cases/transport.js';
import { mismatch } from '../src/cases/types.js';
import { ProcessTier } from '../src/process/tier.js';

const ids = [
  'pg-mtls-through-gateway',
  'redis-mtls-through-gateway',
  'pg-sslrequest-first',
  'pg-unknown-sni',
  'redis-server-untrusted',
];

describe('transport cases on the loopback fallback (process tier)', () => {
  const tier = new ProcessTier({ isolation: 'loopback' });

  beforeAll(async () => {
    await tier.up();
  });
  afterAll(async () => {
    await tier.down();
  });

  it('should share loopback and point the site at the gateway through PGHOSTADDR and the resolver shim', () => {
    expect(tier.isolation).toBe('loopback');
    expect(tier.siteArgv(['true'])).toEqual(['true']);
    const env = tier.siteEnv();
    expect(env.PGHOSTADDR).toBe('127.0.0.1');
    expect(JSON.parse(env.UNDERSTACK_E2E_HOSTS!)).toEqual({
      'nautobot-db.understack.example': '127.0.0.1',
      'nautobot-redis.understack.example': '127.0.0.1',
    });
  });

  it('should report the 30 s link cut as skipped with its reason on loopback, never as failed or passed', async () => {
    const c = faultCases.find((x) => x.id === 'fault-cut-link-30s')!;
    const o = await c.run(tier);
    expect(o.skipped).toMatch(
      /^cutting the site<->global link needs the site in its own network namespace; this run shares loopback \(loopback requested\)\. Run as root with iproute2; E2E_ISOLATION=netns makes their absence an error$/,
    );
  });

  for (const c of transportCases.filter((x) => ids.includes(x.id))) {
    it(`should ${c.expect.ok ? 'accept' : 'reject'}: ${c.id}`, async () => {
      const m = mismatch(c, await c.run(tier));
      if (m) expect.fail(`${m}\ne2e artifacts: ${tier.collectArtifacts(m)}`);
    });
  }
});
