import { describe, expect, it } from 'vitest';
import { looksSecret } from './worker-rules.js';

describe(looksSecret, () => {
  it.each([
    ['NAUTOBOT_SECRET_KEY', true],
    ['NAUTOBOT_REDIS_PASSWORD', true],
    ['GITHUB_TOKEN', true],
    ['DB_PASSWD', true],
    ['MYPASSWORD', true],
    ['API_KEY', true],
    ['KEYCLOAK_URL', false],
    ['AWS_ACCESS_KEY_ID', false],
    ['NAUTOBOT_REDIS_SSL_KEYFILE', false],
    ['NAUTOBOT_DB_SSLKEY', false],
    ['SECRET_KEY_FILE', false],
    ['SSH_PUBLIC_KEY', false],
    ['NAUTOBOT_DB_HOST', false],
  ])('should classify %s as secret=%s', (name, expected) => {
    expect(looksSecret(name)).toBe(expected);
  });
});
