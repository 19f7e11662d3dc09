/**
 * The kind tier's certificates, without Docker: the names come from a real render of charts/nautobot-mtls with the
 * example global values; the wrong-CN Certificate is the site's client Certificate with only the CN changed; the
 * harness-signed certificates chain to the CA it is given (cert-manager's on kind, a stand-in CA issued by pki.py
 * here), and the openssl self-check refuses a set whose "good" half does not match the cluster's CA.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, toolPath } from '@understack/scripts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { K8sObject } from '../src/envoy-config.js';
import {
  checkNegativeCerts,
  kindPkiSpecs,
  mtlsNames,
  WRONG_CN,
  WRONG_CN_CERTIFICATE,
  wrongCnCertificate,
} from '../src/kind/pki.js';
import { parseObjects } from '../src/manifests.js';
import { root } from '../src/paths.js';
import { issue, pkiNames, type SecretDir, secretDir, standardCerts } from '../src/pki.js';

async function renderMtls(): Promise<K8sObject[]> {
  const values = join(root(), 'examples', 'deploy', 'global-1', 'nautobot-mtls', 'values.yaml');
  const args = [
    'template',
    'global-1-nautobot-mtls',
    join(root(), 'charts', 'nautobot-mtls'),
    '-n',
    'nautobot',
    '-f',
    values,
  ];
  const r = await run(toolPath('helm'), args);
  return parseObjects(r.stdout, 'helm template charts/nautobot-mtls');
}

describe(mtlsNames, () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await renderMtls();
  });

  it('should find the CA Issuer, the CA key and CA certificate Secrets and the site client Certificate in the render', () => {
    const m = mtlsNames(objects, 'site-iad3');
    expect(m).toMatchObject({
      namespace: 'nautobot',
      issuer: 'mtls-ca-issuer',
      caKeySecret: 'mtls-ca-key-pair',
      caCertSecret: 'mtls-ca-cert',
    });
    expect(m.siteClient.metadata?.name).toBe('nautobot-mtls-client-site-iad3');
  });

  it('should name the fix when the site has no client Certificate', () => {
    expect(() => mtlsNames(objects, 'site-nowhere')).toThrowError(
      /no client Certificate for site site-nowhere .*\nEither: add `site-nowhere: \{\}` under `sites:`/,
    );
    expect(() => mtlsNames([], 'site-iad3')).toThrowError(/no cert-manager CA Issuer .*global\.nautobot_mtls enabled/);
  });

  it('should clone the site client Certificate for the wrong CN: same issuer, key and usages, only CN and names differ', () => {
    const m = mtlsNames(objects, 'site-iad3');
    const c = wrongCnCertificate(m) as K8sObject & { spec: Record<string, unknown> };
    const site = m.siteClient as K8sObject & { spec: Record<string, unknown> };
    expect(c.metadata).toMatchObject({ name: WRONG_CN_CERTIFICATE, namespace: 'nautobot' });
    expect(c.spec.secretName).toBe(WRONG_CN_CERTIFICATE);
    expect(c.spec.commonName).toBe(WRONG_CN);
    expect(c.spec.secretTemplate).toBeUndefined();
    const { secretName: _a, commonName: _b, ...rest } = c.spec;
    const { secretName: _c, commonName: siteCn, secretTemplate: _d, ...siteRest } = site.spec;
    expect(siteCn).toBe('app');
    expect(rest).toEqual(siteRest);
    expect(rest.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'Issuer', name: 'mtls-ca-issuer' });
  });
});

describe(checkNegativeCerts, () => {
  // `cluster` stands in for what cert-manager issued on the global cluster (pki.py issues the same shapes).
  let cluster: string;
  let harness: string;
  let certs: Record<string, SecretDir>;
  beforeAll(async () => {
    cluster = mkdtempSync(join(tmpdir(), 'understack-e2e-kind-cluster-'));
    harness = mkdtempSync(join(tmpdir(), 'understack-e2e-kind-pki-'));
    await issue(cluster, standardCerts());
    const ca = secretDir(join(cluster, pkiNames.ca));
    const issued = await issue(harness, kindPkiSpecs({ crt: ca.crt, key: ca.key }));
    certs = {
      ...Object.fromEntries(Object.keys(issued).map((n) => [n, secretDir(join(harness, n))])),
      [pkiNames.caCert]: secretDir(join(cluster, pkiNames.caCert)),
      [pkiNames.client]: secretDir(join(cluster, pkiNames.client)),
      [pkiNames.clientWrongCn]: secretDir(join(cluster, pkiNames.clientWrongCn)),
    };
  });
  afterAll(() => {
    rmSync(cluster, { recursive: true, force: true });
    rmSync(harness, { recursive: true, force: true });
  });

  it("should sign the expired certificate with the cluster's CA and never copy the CA key", async () => {
    expect(existsSync(join(harness, pkiNames.ca, 'tls.key'))).toBe(false);
    expect(readFileSync(join(harness, pkiNames.ca, 'tls.crt'), 'utf8')).toBe(
      readFileSync(join(cluster, pkiNames.ca, 'tls.crt'), 'utf8'),
    );
    expect(readFileSync(certs[pkiNames.clientExpired]!.ca, 'utf8')).toBe(
      readFileSync(certs[pkiNames.caCert]!.ca, 'utf8'),
    );
    expect(await checkNegativeCerts(certs, certs[pkiNames.caCert]!.ca)).toEqual([]);
  });

  it('should refuse negative certificates that do not chain to the cluster CA (locally made CA, the old bug)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'understack-e2e-kind-other-'));
    try {
      await issue(other, standardCerts());
      const problems = await checkNegativeCerts(certs, join(other, pkiNames.ca, 'tls.crt'));
      expect(problems.join('\n')).toMatch(/^nautobot-mtls-client: openssl verify against the real CA: want/m);
      expect(problems.join('\n')).toMatch(
        /^client-expired: openssl verify against the real CA: want \/certificate has expired\//m,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('should refuse a CA key that does not belong to the CA certificate', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'understack-e2e-kind-badkey-'));
    try {
      writeFileSync(join(bad, 'tls.key'), readFileSync(join(cluster, pkiNames.otherCa, 'tls.key')));
      await expect(
        issue(
          join(bad, 'out'),
          kindPkiSpecs({ crt: join(cluster, pkiNames.ca, 'tls.crt'), key: join(bad, 'tls.key') }),
        ),
      ).rejects.toThrowError(/does not belong to the certificate/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
