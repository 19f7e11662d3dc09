/**
 * Findings about certificates the nautobot-mtls chart renders point at the values key that sets the wrong value, with
 * its line and column, whatever the rule.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDeployRepo } from '../src/lint.js';
import { materialize } from './helpers.js';

const BAD = `sites:
  site-a:
    commonName: bob
    duration: 100h
client:
  renewBefore: 1h
  privateKey:
    algorithm: RSA
    size: 384
    encoding: PKCS8
postgres:
  gatewayHosts: [wrong.example.org]
redis:
  gatewayHosts: [nautobot-redis.understack.example]
`;

describe(lintDeployRepo, () => {
  it('should report every certificate rule at the nautobot-mtls values key when the chart values are bad', () => {
    const { dir, cleanup } = materialize(undefined);
    try {
      mkdirSync(path.join(dir, 'global-1', 'nautobot-mtls'), { recursive: true });
      writeFileSync(path.join(dir, 'global-1', 'nautobot-mtls', 'values.yaml'), BAD);
      const r = lintDeployRepo(dir);
      const at = r.findings
        .filter((f) => f.file === 'global-1/nautobot-mtls/values.yaml' || f.ruleId === 'mtls/pem-type')
        .map((f) => `${f.ruleId} ${f.file}:${f.line}:${f.column} ${f.path}`);
      expect(at).toEqual(
        expect.arrayContaining([
          'cert/common-name global-1/nautobot-mtls/values.yaml:3:17 sites.site-a.commonName',
          'cert/lifetime global-1/nautobot-mtls/values.yaml:4:15 sites.site-a.duration',
          'cert/lifetime global-1/nautobot-mtls/values.yaml:6:16 client.renewBefore',
          'cert/weak-key global-1/nautobot-mtls/values.yaml:9:11 client.privateKey.size',
          'route/server-cert-san global-1/nautobot-mtls/values.yaml:12:17 postgres.gatewayHosts',
          'mtls/pem-type site-a/nautobot-worker/externalsecret-nautobot-mtls-client.yaml:18:18 spec.target.template.data["tls.key"]',
        ]),
      );
      // client.renewBefore is shared by the global and the site certificate: one finding naming both.
      const renew = r.findings.filter((f) => f.path === 'client.renewBefore');
      expect(renew).toHaveLength(1);
      expect(renew[0]!.message).toContain('"nautobot-mtls-client-site-a"');
    } finally {
      cleanup();
    }
  });

  it('should not build chart certificates when global.nautobot_mtls is disabled', () => {
    const { dir, cleanup } = materialize(undefined);
    try {
      writeFileSync(path.join(dir, 'global-1', 'nautobot-mtls', 'values.yaml'), BAD);
      const deploy = path.join(dir, 'global-1', 'deploy.yaml');
      writeFileSync(
        deploy,
        'deploy_url: https://git.example.com/ops/deploy.git\nglobal:\n  enabled: true\n  cnpg_system:\n    enabled: true\n  nautobot:\n    enabled: true\n  envoy_configs:\n    enabled: true\n',
      );
      const r = lintDeployRepo(dir);
      expect(
        r.findings.filter((f) => f.file === 'global-1/nautobot-mtls/values.yaml' && f.ruleId.startsWith('cert/')),
      ).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
