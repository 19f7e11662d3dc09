/** The PKI has cert-manager's shape (checked with openssl, not with the code that wrote it). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FQDN, issue, pkiNames, REDIS_FQDN, standardCerts } from '../src/pki.js';

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
const x509 = (file: string, ...what: string[]) => openssl('x509', '-in', file, '-noout', ...what);

describe(issue, () => {
  let dir: string;
  const f = (name: string, file: 'tls.crt' | 'tls.key' | 'ca.crt') => join(dir, name, file);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'understack-e2e-pki-'));
    await issue(dir, standardCerts());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should issue the client certificate as cert-manager would: CN app, ECDSA P-256, EC PRIVATE KEY, clientAuth', () => {
    const crt = f(pkiNames.client, 'tls.crt');
    expect(x509(crt, '-subject')).toMatch(/subject=CN ?= ?app$/m);
    expect(x509(crt, '-issuer')).toMatch(/issuer=CN ?= ?understack-mtls-ca$/m);
    expect(x509(crt, '-text')).toMatch(/ASN1 OID: prime256v1/);
    expect(x509(crt, '-ext', 'extendedKeyUsage')).toMatch(/TLS Web Client Authentication/);
    expect(x509(crt, '-ext', 'keyUsage')).toMatch(/Digital Signature, Key Encipherment/);
    expect(readFileSync(f(pkiNames.client, 'tls.key'), 'utf8')).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(statSync(f(pkiNames.client, 'tls.key')).mode & 0o077).toBe(0);
  });

  it('should ship the root CA (self-signed, CN understack-mtls-ca) as ca.crt of every Secret it issued', () => {
    const ca = readFileSync(f(pkiNames.ca, 'tls.crt'), 'utf8');
    for (const n of [pkiNames.client, pkiNames.postgres, pkiNames.redis, pkiNames.replication])
      expect(readFileSync(f(n, 'ca.crt'), 'utf8'), n).toBe(ca);
    expect(x509(f(pkiNames.ca, 'tls.crt'), '-ext', 'basicConstraints')).toMatch(/CA:TRUE/);
    expect(x509(f(pkiNames.ca, 'tls.crt'), '-text')).toMatch(/ASN1 OID: secp384r1/);
    // CNPG's clientCASecret (mtls-ca-cert): a leaf whose ca.crt is the CA, so the CA key never needs to be shared.
    expect(readFileSync(f(pkiNames.caCert, 'ca.crt'), 'utf8')).toBe(ca);
    expect(x509(f(pkiNames.ca, 'tls.crt'), '-subject', '-issuer')).toMatch(
      /subject=CN ?= ?understack-mtls-ca\nissuer=CN ?= ?understack-mtls-ca/,
    );
  });

  it('should put the gateway FQDNs, the Service names and localhost in the server certificates', () => {
    const pg = x509(f(pkiNames.postgres, 'tls.crt'), '-ext', 'subjectAltName');
    for (const n of [DB_FQDN, 'nautobot-cluster-rw', 'nautobot-cluster-rw.nautobot.svc.cluster.local', 'localhost'])
      expect(pg).toContain(`DNS:${n}`);
    const redis = x509(f(pkiNames.redis, 'tls.crt'), '-ext', 'subjectAltName');
    for (const n of [REDIS_FQDN, 'nautobot-redis-master', 'nautobot-redis-headless', 'localhost'])
      expect(redis).toContain(`DNS:${n}`);
    expect(x509(f(pkiNames.postgres, 'tls.crt'), '-ext', 'extendedKeyUsage')).toMatch(/TLS Web Server Authentication/);
  });

  it('should name the replication certificate streaming_replica', () => {
    expect(x509(f(pkiNames.replication, 'tls.crt'), '-subject')).toMatch(/CN ?= ?streaming_replica$/m);
  });

  it.each([
    [pkiNames.client, /: OK$/m],
    [pkiNames.clientExpired, /certificate has expired/],
    [pkiNames.clientOtherCa, /unable to get local issuer certificate/],
    [pkiNames.postgresWrongCa, /unable to get local issuer certificate/],
  ])('should make %s verify against the CA as %s', (name, want) => {
    let out: string;
    try {
      out = openssl('verify', '-CAfile', f(pkiNames.ca, 'tls.crt'), f(name, 'tls.crt'));
    } catch (e) {
      out = `${(e as { stdout: string }).stdout}${(e as { stderr: string }).stderr}`;
    }
    expect(out).toMatch(want);
  });

  it('should give the wrong-CN certificate a valid chain and another CN', () => {
    expect(openssl('verify', '-CAfile', f(pkiNames.ca, 'tls.crt'), f(pkiNames.clientWrongCn, 'tls.crt'))).toMatch(/OK/);
    expect(x509(f(pkiNames.clientWrongCn, 'tls.crt'), '-subject')).not.toMatch(/CN ?= ?app$/m);
  });
});
