/** The linter's model of the nautobot-mtls chart must match the chart (when the chart is beside us). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../scripts/lib/codegen.js';
import { MTLS_CHART_DEFAULTS, mergeValues, mtlsChartCertificates } from './certificates.js';
import { loadDeployRepo } from './repo.js';

const chartValues = path.join(repoRoot, 'charts', 'nautobot-mtls', 'values.yaml');
const examples = path.join(repoRoot, 'examples', 'deploy');

/** The keys of `shape`, taken from `value` (recursively into maps). */
function pick(value: unknown, shape: unknown): unknown {
  if (!shape || typeof shape !== 'object' || Array.isArray(shape)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(shape))
    out[k] = pick((value as Record<string, unknown> | undefined)?.[k], (shape as Record<string, unknown>)[k]);
  return out;
}

describe('MTLS_CHART_DEFAULTS', () => {
  // The chart lives in this monorepo, not in the published package: the check runs where both exist.
  it.runIf(existsSync(chartValues))('should equal the defaults in charts/nautobot-mtls/values.yaml', () => {
    const values = parse(readFileSync(chartValues, 'utf8'));
    expect(pick(values, MTLS_CHART_DEFAULTS)).toEqual(MTLS_CHART_DEFAULTS);
  });
});

describe(mtlsChartCertificates, () => {
  it.runIf(existsSync(examples))(
    'should build the global and per-site client certificates and both server certificates when linting examples/deploy',
    () => {
      const repo = loadDeployRepo(examples);
      const global = repo.clusters.find((c) => c.name === 'global-1')!;
      const certs = mtlsChartCertificates(repo, global);
      expect(certs.map((c) => [c.name, c.role])).toEqual([
        ['nautobot-mtls-client', 'client'],
        ['nautobot-mtls-client-site-dfw3', 'client'],
        ['nautobot-mtls-client-site-iad3', 'client'],
        ['nautobot-postgres-server-tls', 'postgres-server'],
        ['nautobot-redis-server-tls', 'redis-server'],
      ]);
      const site = certs[2]!;
      expect(site.obj.spec).toMatchObject({
        commonName: 'app',
        duration: '26280h',
        renewBefore: '2160h',
        usages: ['client auth'],
        privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS1' },
      });
      // Defaults apply: the finding would point at the site's entry in the values file.
      expect(site.at(['spec', 'duration'])).toMatchObject({ path: ['sites', 'site-iad3'], key: true });
      expect(site.field(['spec', 'duration'])).toBe('sites.site-iad3.duration');
      expect(certs[3]!.obj.spec).toMatchObject({
        dnsNames: expect.arrayContaining(['nautobot-cluster-rw.nautobot.svc', 'nautobot-db.understack.example']),
      });
      expect(certs[3]!.at(['spec', 'dnsNames']).path).toEqual(['postgres', 'gatewayHosts']);
    },
  );
});

describe(mergeValues, () => {
  it('should merge maps, replace lists and delete keys set to null when values overlay the chart defaults', () => {
    expect(
      mergeValues(
        { sites: { a: {}, b: { duration: '1h' } }, postgres: { gatewayHosts: ['x'], enabled: true } },
        { sites: { b: null, c: {} }, postgres: { gatewayHosts: ['y'] } },
      ),
    ).toEqual({ sites: { a: {}, c: {} }, postgres: { gatewayHosts: ['y'], enabled: true } });
  });
});
