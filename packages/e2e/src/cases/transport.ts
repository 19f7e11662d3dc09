/**
 * Transport cases: what the gateway, PostgreSQL and Redis accept and reject, exercised from the site with the
 * worker's own client libraries (psycopg2 on libpq 17, redis-py), through the gateway unless said otherwise.
 * Each negative case asserts the error the real server or client gives (recorded in the expectation).
 */
import { DB_FQDN, DB_USER, pkiNames, REDIS_FQDN, type SecretDir } from '../pki.js';
import { type PgConn, pgProbe, type RedisConn, redisProbe } from '../process/probe.js';
import type { Tier } from '../tier.js';
import type { Case, Outcome } from './types.js';

const site = (t: Tier) => ({ wrap: (a: string[]) => t.siteArgv(a), env: t.siteEnv() });

/** libpq keywords the worker uses: direct TLS, verify-full, the client certificate. */
export function pgConn(t: Tier, cert: SecretDir, extra: PgConn = {}): PgConn {
  const g = t.gateway(DB_FQDN);
  return {
    host: g.name,
    port: g.port,
    user: DB_USER,
    dbname: t.cnpg.database,
    sslmode: 'verify-full',
    sslnegotiation: 'direct',
    sslcert: cert.crt,
    sslkey: cert.key,
    sslrootcert: cert.ca,
    ...extra,
  };
}

/** redis-py keywords the worker's Celery/cache clients use: TLS, CERT_REQUIRED, the client certificate. */
export function redisConn(t: Tier, cert: SecretDir, extra: RedisConn = {}): RedisConn {
  const g = t.gateway(REDIS_FQDN);
  return {
    host: g.name,
    port: g.port,
    ssl: true,
    ssl_cert_reqs: 'required',
    ssl_certfile: cert.crt,
    ssl_keyfile: cert.key,
    ssl_ca_certs: cert.ca,
    password: t.secretValues['nautobot-redis/password']!,
    ...extra,
  };
}

const outcome = (r: { ok: boolean; error?: string; rows?: unknown }): Outcome => ({
  ok: r.ok,
  error: r.error,
  detail: r.rows,
});

const cert = (t: Tier, name: string) => {
  const c = t.certs[name];
  if (!c) throw new Error(`no certificate ${name} in this run's PKI`);
  return c;
};

/** Same as the client folder but trusting another CA: the server's certificate no longer verifies. */
function trustingOtherCa(t: Tier): SecretDir {
  return { ...cert(t, pkiNames.client), ca: cert(t, pkiNames.otherCa).ca };
}

const SSL_SQL = 'select ssl, client_dn, version from pg_stat_ssl where pid = pg_backend_pid()';

export const transportCases: Case[] = [
  {
    id: 'pg-mtls-through-gateway',
    group: 'transport',
    title:
      'libpq 17 with sslnegotiation=direct and the client certificate reaches PostgreSQL through the gateway (ssl, CN app)',
    expect: { ok: true },
    async run(t) {
      const before = await t.gatewayConnections(DB_FQDN);
      const r = await pgProbe(pgConn(t, cert(t, pkiNames.client)), SSL_SQL, site(t));
      if (!r.ok) return outcome(r);
      const [ssl, dn, version] = (r.rows as string[][])[0] ?? [];
      const after = await t.gatewayConnections(DB_FQDN);
      if (ssl !== 'True' || dn !== `/CN=${DB_USER}`)
        return { ok: false, error: `pg_stat_ssl: ssl=${ssl} client_dn=${dn}` };
      if (after <= before)
        return { ok: false, error: `the gateway's ${DB_FQDN} chain counted no connection (${before} -> ${after})` };
      return { ok: true, detail: { ssl, client_dn: dn, version, gatewayConnections: after - before } };
    },
  },
  {
    id: 'redis-mtls-through-gateway',
    group: 'transport',
    title:
      'redis-py with TLS and the client certificate reaches Redis through the gateway; Redis has no plaintext port',
    expect: { ok: true },
    async run(t) {
      const before = await t.gatewayConnections(REDIS_FQDN);
      const r = await redisProbe(redisConn(t, cert(t, pkiNames.client)), ['PING'], site(t));
      if (!r.ok) return outcome(r);
      const conf = (await t.redis(['CONFIG', 'GET', '*port'])) as Record<string, string>;
      const clients = String(await t.redis(['CLIENT', 'LIST']));
      const after = await t.gatewayConnections(REDIS_FQDN);
      if (conf.port !== '0') return { ok: false, error: `Redis listens in plaintext on port ${conf.port}` };
      // Every client is connected to the TLS port (laddr), there being no other listener.
      const laddrs = [...clients.matchAll(/laddr=\S+:(\d+)/g)].map((m) => m[1]);
      if (laddrs.length === 0 || laddrs.some((p) => p !== conf['tls-port']))
        return {
          ok: false,
          error: `CLIENT LIST shows connections outside the TLS port ${conf['tls-port']}: ${laddrs.join(',')}`,
        };
      if (after <= before) return { ok: false, error: `the gateway's ${REDIS_FQDN} chain counted no connection` };
      return {
        ok: true,
        detail: {
          port: conf.port,
          tlsPort: conf['tls-port'],
          clientsOnTlsPort: laddrs.length,
          gatewayConnections: after - before,
        },
      };
    },
  },
  {
    id: 'pg-no-client-cert',
    group: 'transport',
    title: 'PostgreSQL rejects a TLS connection without a client certificate (pg_hba cert)',
    expect: { ok: false, error: /connection requires a valid client certificate/ },
    run: async (t) => {
      const c = cert(t, pkiNames.client);
      return outcome(
        await pgProbe(
          pgConn(t, c, { sslcert: '/nonexistent/tls.crt', sslkey: '/nonexistent/tls.key' }),
          'select 1',
          site(t),
        ),
      );
    },
  },
  {
    id: 'pg-client-cert-other-ca',
    group: 'transport',
    title: 'PostgreSQL rejects a client certificate issued by another CA at the TLS handshake',
    expect: { ok: false, error: /tlsv1 alert unknown ca/ },
    run: async (t) =>
      outcome(
        await pgProbe(
          pgConn(t, cert(t, pkiNames.clientOtherCa), { sslrootcert: cert(t, pkiNames.ca).ca }),
          'select 1',
          site(t),
        ),
      ),
  },
  {
    id: 'pg-client-cert-wrong-cn',
    group: 'transport',
    title: 'PostgreSQL rejects a valid certificate whose CN is not the database user',
    expect: { ok: false, error: /certificate authentication failed for user "app"/ },
    run: async (t) => outcome(await pgProbe(pgConn(t, cert(t, pkiNames.clientWrongCn)), 'select 1', site(t))),
  },
  {
    id: 'pg-client-cert-expired',
    group: 'transport',
    title: 'PostgreSQL rejects an expired client certificate',
    expect: { ok: false, error: /certificate expired/ },
    run: async (t) => outcome(await pgProbe(pgConn(t, cert(t, pkiNames.clientExpired)), 'select 1', site(t))),
  },
  {
    id: 'pg-sslrequest-first',
    group: 'transport',
    title: 'a classic SSLRequest-first client (sslnegotiation=postgres) carries no SNI: the gateway closes it',
    expect: { ok: false, error: /server closed the connection unexpectedly/ },
    run: async (t) =>
      outcome(await pgProbe(pgConn(t, cert(t, pkiNames.client), { sslnegotiation: 'postgres' }), 'select 1', site(t))),
  },
  {
    id: 'pg-unknown-sni',
    group: 'transport',
    title: 'a TLS connection for a name the gateway does not route (unknown SNI) is closed',
    expect: { ok: false, error: /server closed the connection unexpectedly/ },
    run: async (t) => {
      const g = t.gateway(DB_FQDN);
      const extra = { host: 'nautobot-unknown.understack.example', hostaddr: g.host, sslmode: 'require' };
      return outcome(await pgProbe(pgConn(t, cert(t, pkiNames.client), extra), 'select 1', site(t)));
    },
  },
  {
    id: 'pg-password-direct-closed',
    group: 'transport',
    title:
      "a plaintext password login straight to PostgreSQL is rejected because the example's pg_hba closes CNPG's default rule",
    expect: {
      ok: false,
      error: /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "app", database "app", no encryption/,
    },
    run: async (t) => {
      const d = t.direct('postgres');
      const conn = {
        host: d.host,
        port: d.port,
        user: DB_USER,
        dbname: t.cnpg.database,
        sslmode: 'disable',
        password: t.secretValues['nautobot-db/password']!,
      };
      return outcome(await pgProbe(conn, 'select 1'));
    },
  },
  {
    id: 'pg-password-direct-cnpg-default',
    group: 'transport',
    title:
      "with CNPG's rules alone (no manifest pg_hba) the same plaintext password login is accepted: the closing rules matter",
    expect: { ok: true },
    async run(t) {
      const d = t.direct('postgres');
      const conn = {
        host: d.host,
        port: d.port,
        user: DB_USER,
        dbname: t.cnpg.database,
        sslmode: 'disable',
        password: t.secretValues['nautobot-db/password']!,
      };
      await t.setUserHba(false);
      try {
        return outcome(await pgProbe(conn, 'select ssl::text from pg_stat_ssl where pid = pg_backend_pid()'));
      } finally {
        await t.setUserHba(true);
      }
    },
  },
  {
    id: 'pg-server-untrusted',
    group: 'transport',
    title: 'the client refuses a PostgreSQL server whose certificate does not chain to the CA it trusts',
    expect: { ok: false, error: /certificate verify failed/ },
    run: async (t) => outcome(await pgProbe(pgConn(t, trustingOtherCa(t)), 'select 1', site(t))),
  },
  {
    id: 'redis-no-client-cert',
    group: 'transport',
    title: 'Redis (tls-auth-clients yes) rejects a TLS client without a certificate',
    // TLS 1.3: the client finishes its side of the handshake before the server checks the client certificate, so
    // the server's alert races the client's first write: the client reports the alert or the closed socket.
    expect: { ok: false, error: /tlsv13 alert certificate required|EOF occurred in violation of protocol/ },
    run: async (t) => {
      const conn = redisConn(t, cert(t, pkiNames.client));
      delete conn.ssl_certfile;
      delete conn.ssl_keyfile;
      return outcome(await redisProbe(conn, ['PING'], site(t)));
    },
  },
  {
    id: 'redis-client-cert-other-ca',
    group: 'transport',
    title: 'Redis rejects a client certificate issued by another CA',
    expect: { ok: false, error: /tlsv1 alert unknown ca|EOF occurred in violation of protocol/ }, // same TLS 1.3 race
    run: async (t) =>
      outcome(
        await redisProbe(
          redisConn(t, cert(t, pkiNames.clientOtherCa), { ssl_ca_certs: cert(t, pkiNames.ca).ca }),
          ['PING'],
          site(t),
        ),
      ),
  },
  {
    id: 'redis-server-untrusted',
    group: 'transport',
    title: 'redis-py with ssl_cert_reqs=required refuses a Redis server it cannot verify (no downgrade to CERT_NONE)',
    expect: {
      ok: false,
      error: /CERTIFICATE_VERIFY_FAILED\] certificate verify failed: self-signed certificate in certificate chain/,
    },
    run: async (t) => outcome(await redisProbe(redisConn(t, trustingOtherCa(t)), ['PING'], site(t))),
  },
  {
    id: 'redis-wrong-password',
    group: 'transport',
    title: 'a valid client certificate alone is not enough: Redis still requires its password',
    expect: { ok: false, error: /invalid username-password pair/ },
    run: async (t) =>
      outcome(
        await redisProbe(redisConn(t, cert(t, pkiNames.client), { password: 'not-the-password' }), ['PING'], site(t)),
      ),
  },
];
