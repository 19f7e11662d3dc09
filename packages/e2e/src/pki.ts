/**
 * The e2e PKI, shaped like what cert-manager issues from charts/nautobot-mtls: a self-signed bootstrap issuer signs the
 * root CA `understack-mtls-ca`; the CA issuer signs the PostgreSQL and Redis server certificates (gateway FQDNs in
 * their SANs), the `streaming_replica` replication certificate and the per-site client certificate (CN `app`, ECDSA
 * P-256, `EC PRIVATE KEY`, EKU clientAuth). Also the bad certificates of the negative cases. Each certificate is a
 * Kubernetes-Secret-shaped folder: `tls.crt`, `tls.key`, `ca.crt`. Issued with the `cryptography` library of the
 * project virtualenv (py/pki.py).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { pyDir, venvBin } from './paths.js';

export const DB_FQDN = 'nautobot-db.understack.example';
export const REDIS_FQDN = 'nautobot-redis.understack.example';
export const DB_USER = 'app';

export interface CertSpec {
  name: string;
  cn: string;
  issuer: string;
  /**
   * Load this CA from PEM files instead of issuing it (the kind tier: cert-manager's real CA, read on the global side),
   * so later specs can name it as `issuer`. Its folder gets tls.crt and ca.crt only, never the key. `cn`/`issuer` are
   * then informational.
   */
  existing?: { crt: string; key: string };
  ca?: boolean;
  dns?: string[];
  ips?: string[];
  usages?: ('server auth' | 'client auth')[];
  days?: number;
  notBeforeDays?: number;
  /** ECDSA curve of the key (charts/nautobot-mtls: the CA P-384, everything else P-256). */
  curve?: 'P-256' | 'P-384';
}

export interface IssuedCert {
  name: string;
  subject: string;
  issuer: string;
  serial: string;
  notAfter: string;
}

/** A Secret-shaped folder. */
export interface SecretDir {
  dir: string;
  crt: string;
  key: string;
  ca: string;
}

export function secretDir(dir: string): SecretDir {
  return { dir, crt: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: join(dir, 'ca.crt') };
}

/** Issues `certs` (in order) into `<out>/<name>/`. */
export async function issue(out: string, certs: CertSpec[]): Promise<Record<string, IssuedCert>> {
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const r = await run(venvBin('python'), [join(pyDir, 'pki.py')], { input: JSON.stringify({ out, certs }) });
  const list = JSON.parse(r.stdout) as IssuedCert[];
  return Object.fromEntries(list.map((c) => [c.name, c]));
}

/** Names of the standard set. */
/** Secret names, as charts/nautobot-mtls names them (values.yaml defaults), plus the harness's bad certificates. */
export const pkiNames = {
  ca: 'mtls-ca-key-pair',
  /** The CA certificate without its key (a leaf whose ca.crt is the CA): what CNPG's clientCASecret points at. */
  caCert: 'mtls-ca-cert',
  otherCa: 'other-ca',
  postgres: 'nautobot-postgres-server-tls',
  redis: 'nautobot-redis-server-tls',
  replication: 'nautobot-cluster-replication',
  client: 'nautobot-mtls-client',
  clientOtherCa: 'client-other-ca',
  clientWrongCn: 'client-wrong-cn',
  clientExpired: 'client-expired',
  /** A second CA (a CA rotation): the rotated client certificate chains to it, so a server can tell old from new. */
  rotationCa: 'mtls-ca-key-pair-next',
  clientRotated: 'nautobot-mtls-client-rotated',
  postgresWrongCa: 'postgres-server-wrong-ca',
  redisWrongCa: 'redis-server-wrong-ca',
} as const;

/** The standard set: what charts/nautobot-mtls issues plus the certificates the negative cases need. */
export function standardCerts(extraServerNames: string[] = []): CertSpec[] {
  const n = pkiNames;
  const client = { cn: DB_USER, usages: ['client auth' as const], days: 1095 };
  // charts/nautobot-mtls `serviceDnsNames`: name, name.ns, name.ns.svc, name.ns.svc.cluster.local per Service; the
  // gateway FQDN (`gatewayHosts`); plus localhost/127.0.0.1 so the harness reaches the servers directly.
  const svc = (name: string) => [
    name,
    `${name}.nautobot`,
    `${name}.nautobot.svc`,
    `${name}.nautobot.svc.cluster.local`,
  ];
  const pgNames = [...['rw', 'ro', 'r'].flatMap((k) => svc(`nautobot-cluster-${k}`)), DB_FQDN, 'localhost'];
  const redisNames = [...svc('nautobot-redis-master'), ...svc('nautobot-redis-headless'), REDIS_FQDN, 'localhost'];
  const server = { usages: ['server auth' as const], ips: ['127.0.0.1'], days: 365 };
  return [
    { name: n.ca, cn: 'understack-mtls-ca', issuer: 'self', ca: true, days: 3650, curve: 'P-384' },
    { name: n.caCert, cn: 'mtls-ca-cert', issuer: n.ca, days: 365 },
    { name: n.otherCa, cn: 'some-other-ca', issuer: 'self', ca: true, days: 3650, curve: 'P-384' },
    { name: n.postgres, cn: 'nautobot-cluster-rw', issuer: n.ca, dns: [...pgNames, ...extraServerNames], ...server },
    { name: n.redis, cn: 'nautobot-redis-master', issuer: n.ca, dns: [...redisNames, ...extraServerNames], ...server },
    { name: n.replication, cn: 'streaming_replica', issuer: n.ca, usages: ['client auth'], days: 365 },
    { name: n.client, issuer: n.ca, ...client },
    { name: n.rotationCa, cn: 'understack-mtls-ca-next', issuer: 'self', ca: true, days: 3650, curve: 'P-384' },
    { name: n.clientRotated, issuer: n.rotationCa, ...client },
    { name: n.clientOtherCa, issuer: n.otherCa, ...client },
    { name: n.clientWrongCn, issuer: n.ca, ...client, cn: 'not-app' },
    { name: n.clientExpired, issuer: n.ca, ...client, notBeforeDays: -30, days: 10 },
    { name: n.postgresWrongCa, cn: 'nautobot-cluster-rw', issuer: n.otherCa, dns: pgNames, ...server },
    { name: n.redisWrongCa, cn: 'nautobot-redis-master', issuer: n.otherCa, dns: redisNames, ...server },
  ];
}
