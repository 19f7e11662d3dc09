import { describe, expect, it } from 'vitest';
import { parseHba } from './cnpg-rules.js';
import { pemTypeOf, templateVars } from './mtls-rules.js';

describe(parseHba, () => {
  it.each([
    ['hostssl all all 0.0.0.0/0 cert', { type: 'hostssl', address: '0.0.0.0/0', method: 'cert' }],
    ['host app app 10.0.0.0 255.0.0.0 scram-sha-256', { type: 'host', address: '10.0.0.0', method: 'scram-sha-256' }],
    ['local all all peer map=local', { type: 'local', method: 'peer' }],
    ['hostnossl all all all reject # no plaintext', { type: 'hostnossl', method: 'reject' }],
  ])('should parse %s', (line, expected) => {
    expect(parseHba(line, 0)).toMatchObject(expected);
  });
  it('should ignore incomplete lines', () => {
    expect(parseHba('hostssl all', 0)).toBeUndefined();
  });
});

describe(templateVars, () => {
  it('should list the variables a template reads', () => {
    expect(templateVars('{{ .client_password | filterPEM "CERTIFICATE" }}')).toEqual(['client_password']);
    expect(templateVars('{{ index . "ca-cert" | filterPEM "CERTIFICATE" }}')).toEqual(['ca-cert']);
    expect(templateVars('static')).toEqual([]);
  });
});

describe(pemTypeOf, () => {
  it.each([
    [{}, 'RSA PRIVATE KEY'],
    [{ algorithm: 'ECDSA' }, 'EC PRIVATE KEY'],
    [{ algorithm: 'ECDSA', encoding: 'PKCS8' }, 'PRIVATE KEY'],
    [{ algorithm: 'Ed25519' }, 'PRIVATE KEY'],
  ])('should give the PEM type cert-manager writes for %j', (privateKey, type) => {
    expect(pemTypeOf({ spec: { privateKey } })).toBe(type);
  });
});
