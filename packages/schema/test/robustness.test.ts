/**
 * "Never a crash": every file of the valid repo replaced by values of the wrong shape must still lint to findings
 * (or to a clean result), never throw.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDeployRepo } from '../src/lint.js';
import { materialize, validRepo } from './helpers.js';

function files(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel)).flatMap((e) => {
    const r = rel ? `${rel}/${e}` : e;
    return statSync(path.join(dir, r)).isDirectory() ? files(dir, r) : [r];
  });
}

const SHAPES = [
  '',
  'null\n',
  '[]\n',
  '42\n',
  '"text"\n',
  'spec: 5\nmetadata: []\n',
  'apiVersion: v1\nkind: 5\n',
  'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: nautobot-mtls-client}\nspec: {target: [], data: {}, dataFrom: "x"}\n',
  'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: nautobot-mtls-client-site-a}\nspec: {usages: "client auth", privateKey: [], duration: 5}\n',
  'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: c}\nspec: {postgresql: {pg_hba: [5, null, "host"]}, certificates: []}\n',
  'site: {enabled: true, nautobot_worker: []}\nglobal: 7\n',
  'nautobot: {db: [], redis: {host: 5}}\nmtls: {enabled: "yes", defaultMode: [], trustBundle: 1}\ncelery: {extraEnvVars: {A: [1]}, extraVolumes: [null, {secret: 3}]}\n',
  'resources: [1, null, {a: b}, ../../../../etc/passwd]\npatches: [5, {path: 7}]\n',
  'routes: {tls: [{fqdn: 5}, null, {fqdn: x, gatewayPort: "5432"}]}\n',
  '- a\n- b\n---\n---\nfoo: bar\n',
  // nautobot-mtls chart values of the wrong shape: the linter builds certificates from them.
  'sites: {a: 5, b: null, c: {duration: 5, commonName: []}, d: []}\nclient: {privateKey: 7, duration: {}}\npostgres: {enabled: true, gatewayHosts: 5, clusterName: 3}\nredis: {serviceNames: "x", gatewayHosts: [1, null]}\nglobalClient: {enabled: true, secretName: []}\n',
  'sites: [site-a]\nclient: null\npostgres: null\nredis: []\n',
  'secretGenerator: [5, null, {name: 7, files: [1, null, "tls.key=ca.key"], literals: {a: b}}, {name: mtls-ca-key-pair}]\n',
  'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: mtls-ca-key-pair}\nspec: {encryptedData: [1], template: 5}\n',
  'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: e}\nspec: {target: {name: 5}, dataFrom: [{find: {name: {regexp: "("}}}, {find: 5}, {extract: {key: []}}]}\n',
  'apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {k: 5, j: null, l: "!!!not base64 but long enough to be decoded anyway!!!"}\n',
];

describe('lintDeployRepo robustness', () => {
  const targets = files(validRepo).filter((f) => f.endsWith('.yaml'));
  it.each(targets)('should not throw for any shape written into %s', (rel) => {
    const { dir, cleanup } = materialize(undefined);
    try {
      for (const shape of SHAPES) {
        writeFileSync(path.join(dir, rel), shape);
        expect(() => lintDeployRepo(dir), `${rel} = ${JSON.stringify(shape)}`).not.toThrow();
      }
    } finally {
      cleanup();
    }
  });
});
