/**
 * The kind tier's certificates. The good ones are cert-manager's, issued on the global cluster from charts/nautobot-mtls
 * (the CA, the servers', the site's client certificate). The bad ones of the negative cases must fail for the intended
 * reason only, so their "good" half comes from the same real CA:
 * - wrong CN: a cert-manager Certificate cloned from the site's client Certificate (same CA Issuer, key and usages),
 *   only `commonName` changed;
 * - expired: signed with the real CA key (cert-manager cannot issue a certificate that is already expired: its
 *   minimum duration is one hour). The harness reads the CA key pair from the global cluster into a 0700 folder, signs,
 *   and deletes the folder at once: the key never goes to the site cluster, the artifacts or another file;
 * - another CA: a client certificate from a CA of the harness's own (its trust anchor is still the real CA, so only
 *   the client side is wrong).
 * Pure functions (manifests and specs) plus an `openssl verify` self-check; unit-tested without Docker.
 */
import { readFileSync } from 'node:fs';
import { run } from '@understack/scripts';
import type { K8sObject } from '../envoy-config.js';
import { type CertSpec, DB_USER, pkiNames, type SecretDir } from '../pki.js';

/** Names of charts/nautobot-mtls objects, taken from the rendered global cluster (the example's values, not guesses). */
export interface MtlsNames {
  namespace: string;
  /** The CA Issuer (`ca.issuerName`) and the Secret holding the CA key pair (`ca.secretName`). */
  issuer: string;
  caKeySecret: string;
  /** The Secret whose `ca.crt` is the CA certificate (`caCert.secretName`), what CNPG's clientCASecret names. */
  caCertSecret: string;
  /** The site's client Certificate (cloned for the wrong-CN certificate). */
  siteClient: K8sObject;
}

type Obj = K8sObject & {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
};

export function mtlsNames(objects: readonly K8sObject[], site: string): MtlsNames {
  const all = objects as Obj[];
  const where = 'the rendered global cluster (charts/nautobot-mtls, examples/deploy/global-1/nautobot-mtls)';
  const issuer = all.find(
    (o) => o.kind === 'Issuer' && (o.spec?.ca as { secretName?: string } | undefined)?.secretName !== undefined,
  );
  if (!issuer)
    throw new Error(`no cert-manager CA Issuer (spec.ca.secretName) in ${where}: is global.nautobot_mtls enabled?`);
  const certs = all.filter((o) => o.kind === 'Certificate');
  const caPublic = certs.find((o) => o.metadata?.labels?.['app.kubernetes.io/component'] === 'ca-public');
  if (!caPublic) throw new Error(`no Certificate labelled app.kubernetes.io/component=ca-public in ${where}`);
  const siteClient = certs.find(
    (o) =>
      o.metadata?.labels?.['app.kubernetes.io/component'] === 'client-certificate' &&
      o.metadata?.labels?.['understack.rackspace.com/site'] === site,
  );
  if (!siteClient)
    throw new Error(
      `no client Certificate for site ${site} (labels app.kubernetes.io/component=client-certificate, understack.rackspace.com/site=${site}) in ${where}\nEither: add \`${site}: {}\` under \`sites:\` of global-1/nautobot-mtls/values.yaml`,
    );
  return {
    namespace: issuer.metadata?.namespace ?? 'nautobot',
    issuer: issuer.metadata!.name!,
    caKeySecret: (issuer.spec!.ca as { secretName: string }).secretName,
    caCertSecret: caPublic.spec!.secretName as string,
    siteClient,
  };
}

/** Name (and Secret name) of the wrong-CN client Certificate the harness adds on the global cluster. */
export const WRONG_CN_CERTIFICATE = 'e2e-client-wrong-cn';
export const WRONG_CN = 'not-app';

/** The site's client Certificate with only the CN (and names) changed: same Issuer, key type, usages, duration. */
export function wrongCnCertificate(m: MtlsNames): K8sObject {
  const src = structuredClone(m.siteClient) as Obj;
  const { secretTemplate: _drop, ...spec } = src.spec ?? {};
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: WRONG_CN_CERTIFICATE,
      namespace: m.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'understack-e2e' },
    },
    spec: { ...spec, secretName: WRONG_CN_CERTIFICATE, commonName: WRONG_CN },
  } as K8sObject;
}

/**
 * The certificates the harness signs itself on the kind tier: the real CA loaded from the files read on the global
 * side, then the expired client certificate from it, and another CA with its client certificate.
 */
export function kindPkiSpecs(realCa: { crt: string; key: string }): CertSpec[] {
  const n = pkiNames;
  const client = { cn: DB_USER, usages: ['client auth' as const], days: 1095 };
  return [
    { name: n.ca, cn: '(cert-manager CA)', issuer: 'self', existing: realCa },
    { name: n.otherCa, cn: 'some-other-ca', issuer: 'self', ca: true, days: 3650, curve: 'P-384' },
    { name: n.clientOtherCa, issuer: n.otherCa, ...client },
    { name: n.clientExpired, issuer: n.ca, ...client, notBeforeDays: -30, days: 10 },
  ];
}

/** What `openssl verify` against the real CA must say about each negative client certificate. */
export const negativeVerify: Record<string, RegExp> = {
  [pkiNames.client]: /: OK$/m,
  [pkiNames.clientWrongCn]: /: OK$/m,
  [pkiNames.clientExpired]: /certificate has expired/,
  [pkiNames.clientOtherCa]: /unable to get local issuer certificate/,
};

/**
 * Checks that each negative certificate is wrong for its reason only: chains to the real CA (`caFile`) unless it is
 * the other-CA one, expired only for the expired one, CN `app` except for the wrong-CN one. Returns the problems.
 */
export async function checkNegativeCerts(certs: Record<string, SecretDir>, caFile: string): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(negativeVerify)) {
    const c = certs[name];
    if (!c) {
      problems.push(`${name}: missing`);
      continue;
    }
    const r = await run('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', caFile, c.crt], { reject: false });
    const said = `${r.stdout}\n${r.stderr}`.trim();
    if (!want.test(said)) problems.push(`${name}: openssl verify against the real CA: want ${want}, got: ${said}`);
    const subject = await run('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', c.crt]);
    const cn = subject.stdout.match(/CN=([^,\n]+)/)?.[1];
    const wantCn = name === pkiNames.clientWrongCn ? WRONG_CN : DB_USER;
    if (cn !== wantCn) problems.push(`${name}: CN ${cn}, want ${wantCn}`);
  }
  const real = readFileSync(caFile, 'utf8');
  if (!real.includes('BEGIN CERTIFICATE')) problems.push(`${caFile}: no CA certificate`);
  return problems;
}
