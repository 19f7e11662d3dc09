import { describe, expect, it } from 'vitest';
import { isFileReference, looksSecret } from './worker-rules.js';

describe(looksSecret, () => {
  it.each([
    ['NAUTOBOT_SECRET_KEY', true],
    ['NAUTOBOT_REDIS_PASSWORD', true],
    ['GITHUB_TOKEN', true],
    ['DB_PASSWD', true],
    ['MYPASSWORD', true],
    ['API_KEY', true],
    // Substrings, as the globs say: *KEY* matches inside a word.
    ['SSHKEY', true],
    ['DJANGO_APIKEY2', true],
    ['NAUTOBOT_DB_SSLKEY', true],
    ['OIDC_CLIENT_CREDENTIALS', true],
    ['KEYCLOAK_URL', false],
    ['AWS_ACCESS_KEY_ID', false],
    ['NAUTOBOT_REDIS_SSL_KEYFILE', false],
    ['SECRET_KEY_FILE', false],
    ['TOKEN_PATH', false],
    ['SSH_PUBLIC_KEY', false],
    ['NAUTOBOT_DB_HOST', false],
    ['SECRET_STORE_NAME', false],
  ])('should classify %s as secret=%s', (name, expected) => {
    expect(looksSecret(name)).toBe(expected);
  });
});

describe(isFileReference, () => {
  const mounts = ['/etc/nautobot/mtls', '/opt/secrets/'];
  it.each([
    ['/etc/nautobot/mtls/tls.key', true],
    ['/etc/nautobot/mtls/tls-key', true],
    ['/opt/secrets/django', true],
    ['/var/run/certs/client.pem', true],
    // base64 secrets may start with `/`: characters outside a path, no extension, not under a mount.
    ['/x8Zk3q9aYbT0+secretvalue', false],
    ['/x8Zk3q9aYbT0secretvalue', false],
    ['/dGhpcyBpcyBub3QgYSBwYXRo==', false],
    ['/etc/nautobot/mtls', false],
    ['/etc/nautobot/mtls/../../shadow', false],
    ['relative/tls.key', false],
  ])('should classify %s as a file reference=%s', (value, expected) => {
    expect(isFileReference(value, mounts)).toBe(expected);
  });
});
