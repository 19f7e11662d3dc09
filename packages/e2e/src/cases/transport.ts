/**
 * Transport cases: what the gateway, PostgreSQL and Redis accept and reject, exercised from the site with the
 * worker's own client libraries (psycopg2 on libpq 17, redis-py), through the gateway unless said otherwise.
 * Each negative case asserts the error the real server or client gives (recorded in the expectation).
 */
import { DB_FQDN, DB_USER, pkiNames, REDIS_FQDN, type SecretDir } from '../pki.js';
import { type PgConn, pgProbe, type RedisConn, redisProbe } from '../process/probe.js';
import type { Tier } from '../tier.js';
import { timeouts } from '../timeouts.js';
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

/** Runs `fn` while a global server uses other TLS files, then restores the originals (also when `fn` throws). */
async function withServerTls(
  t: Tier,
  component: 'postgres' | 'redis',
  tls: { server?: SecretDir; clientCa?: string },
  fn: () => Promise<Outcome>,
): Promise<Outcome> {
  await t.setServerTls(component, tls);
  try {
    return await fn();
  } finally {
    await t.setServerTls(component);
  }
}

/**
 * Runs a negative probe and adds the global server's own reason from its log. Under TLS 1.3 the client completes its
 * side of the handshake before the server checks the client certificate, so what the *client* reports races the
 * server's alert (the alert, an EOF, or a closed connection); the server's log line is deterministic and is what the
 * case asserts. The outcome's error reads `<client error> | server: <server log line>`.
 */
async function withServerReason(
  t: Tier,
  component: 'postgres' | 'redis',
  reason: RegExp,
  fn: () => Promise<Outcome>,
): Promise<Outcome> {
  const before = (await t.serverLog(component)).length;
  const o = await fn();
  if (o.ok) return o;
  const deadline = Date.now() + timeouts.connect;
  for (;;) {
    const m = (await t.serverLog(component)).slice(before).match(reason);
    if (m) return { ...o, error: `${o.error} | server: ${m[0]}` };
    if (Date.now() > deadline)
      return { ...o, error: `${o.error} | server: no ${component} log line matching ${reason}` };
    await new Promise((r) => setTimeout(r, timeouts.poll.fast));
  }
}

/** What redis-py reports when the server rejects the client's certificate under TLS 1.3 (see withServerReason). */
const REDIS_TLS13_REJECTED =
  '(?:tlsv13 alert certificate required|tlsv1 alert unknown ca|EOF occurred in violation of protocol|Connection closed by server|Connection reset by peer)';

/**
 * What libpq reports when PostgreSQL rejects the client certificate at the handshake: the alert (`tlsv1 alert unknown
 * ca`, `sslv3 alert certificate expired`) or, when the server's close wins the TLS 1.3 race, the closed connection;
 * followed by the server's logged reason (deterministic).
 */
function pgRejected(serverDetail: string): RegExp {
  const client =
    '(?:tlsv1 alert unknown ca|alert certificate expired|server closed the connection unexpectedly|SSL SYSCALL error|Connection reset by peer)';
  return new RegExp(`${client}[\\s\\S]* \\| server: ${serverDetail}`);
}

/**
 * Runs a probe the gateway itself must refuse, and proves it was the gateway: its `no_filter_chain_match` counter
 * rises and no chain proxied anything. The error reads `<client error> | gateway: no filter chain matched (+n)`.
 */
async function closedByGateway(t: Tier, fn: () => Promise<Outcome>): Promise<Outcome> {
  const chains = async () => (await t.gatewayConnections(DB_FQDN)) + (await t.gatewayConnections(REDIS_FQDN));
  const [unmatched, proxied] = [await t.gatewayUnmatched(), await chains()];
  const o = await fn();
  if (o.ok) return o;
  const [unmatched2, proxied2] = [await t.gatewayUnmatched(), await chains()];
  if (proxied2 !== proxied)
    return { ...o, error: `${o.error} | gateway: a chain proxied it (${proxied} -> ${proxied2})` };
  if (unmatched2 <= unmatched) return { ...o, error: `${o.error} | gateway: no_filter_chain_match did not rise` };
  return { ...o, error: `${o.error} | gateway: no filter chain matched (+${unmatched2 - unmatched})` };
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
      const otherBefore = await t.gatewayConnections(REDIS_FQDN);
      const r = await pgProbe(pgConn(t, cert(t, pkiNames.client)), SSL_SQL, site(t));
      if (!r.ok) return outcome(r);
      const [ssl, dn, version] = (r.rows as string[][])[0] ?? [];
      const after = await t.gatewayConnections(DB_FQDN);
      // SNI routing is exact: the Redis chain saw nothing of it.
      if ((await t.gatewayConnections(REDIS_FQDN)) !== otherBefore)
        return { ok: false, error: `the gateway's ${REDIS_FQDN} chain counted the PostgreSQL connection` };
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
    // The seeds' string is the client's `tlsv1 alert unknown ca`; under TLS 1.3 the client may see the closed socket
    // first, so the server's own reason is asserted too (see withServerReason).
    expect: {
      ok: false,
      error: pgRejected('Client certificate verification failed at depth 0: unable to get local issuer certificate'),
    },
    run: (t) =>
      withServerReason(t, 'postgres', /Client certificate verification failed at depth 0: .*/, async () =>
        outcome(
          await pgProbe(
            pgConn(t, cert(t, pkiNames.clientOtherCa), { sslrootcert: cert(t, pkiNames.ca).ca }),
            'select 1',
            site(t),
          ),
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
    expect: {
      ok: false,
      error: pgRejected('Client certificate verification failed at depth 0: certificate has expired'),
    },
    run: (t) =>
      withServerReason(t, 'postgres', /Client certificate verification failed at depth 0: .*/, async () =>
        outcome(await pgProbe(pgConn(t, cert(t, pkiNames.clientExpired)), 'select 1', site(t))),
      ),
  },
  {
    id: 'pg-sslrequest-first',
    group: 'transport',
    title: 'a classic SSLRequest-first client (sslnegotiation=postgres) carries no SNI: the gateway closes it',
    expect: {
      ok: false,
      error: /server closed the connection unexpectedly[\s\S]* \| gateway: no filter chain matched/,
    },
    run: (t) =>
      closedByGateway(t, async () =>
        outcome(
          await pgProbe(pgConn(t, cert(t, pkiNames.client), { sslnegotiation: 'postgres' }), 'select 1', site(t)),
        ),
      ),
  },
  {
    id: 'pg-unknown-sni',
    group: 'transport',
    title: 'a TLS connection for a name the gateway does not route (unknown SNI) is closed',
    expect: {
      ok: false,
      error: /server closed the connection unexpectedly[\s\S]* \| gateway: no filter chain matched/,
    },
    run: (t) =>
      closedByGateway(t, async () => {
        const g = t.gateway(DB_FQDN);
        const extra = { host: 'nautobot-unknown.understack.example', hostaddr: g.host, sslmode: 'require' };
        return outcome(await pgProbe(pgConn(t, cert(t, pkiNames.client), extra), 'select 1', site(t)));
      }),
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
    expect: {
      ok: false,
      error: new RegExp(`${REDIS_TLS13_REJECTED}.* \\| server: .*peer did not return a certificate`),
    },
    run: (t) =>
      withServerReason(
        t,
        'redis',
        /Error accepting a client connection: .*peer did not return a certificate/,
        async () => {
          const conn = redisConn(t, cert(t, pkiNames.client));
          delete conn.ssl_certfile;
          delete conn.ssl_keyfile;
          return outcome(await redisProbe(conn, ['PING'], site(t)));
        },
      ),
  },
  {
    id: 'redis-client-cert-other-ca',
    group: 'transport',
    title: 'Redis rejects a client certificate issued by another CA',
    expect: { ok: false, error: new RegExp(`${REDIS_TLS13_REJECTED}.* \\| server: .*certificate verify failed`) },
    run: (t) =>
      withServerReason(t, 'redis', /Error accepting a client connection: .*certificate verify failed/, async () =>
        outcome(
          await redisProbe(
            redisConn(t, cert(t, pkiNames.clientOtherCa), { ssl_ca_certs: cert(t, pkiNames.ca).ca }),
            ['PING'],
            site(t),
          ),
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
  {
    id: 'pg-server-cert-wrong-ca',
    group: 'transport',
    title: 'the client refuses a PostgreSQL server presenting a certificate issued by another CA (verify-full)',
    expect: { ok: false, error: /certificate verify failed/ },
    skip: { kind: 'cert-manager owns the server certificates on kind' },
    run: (t) =>
      withServerTls(t, 'postgres', { server: cert(t, pkiNames.postgresWrongCa) }, async () =>
        outcome(await pgProbe(pgConn(t, cert(t, pkiNames.client)), 'select 1', site(t))),
      ),
  },
  {
    id: 'redis-server-cert-wrong-ca',
    group: 'transport',
    title: 'redis-py refuses a Redis server presenting a certificate issued by another CA',
    expect: { ok: false, error: /CERTIFICATE_VERIFY_FAILED\] certificate verify failed/ },
    skip: { kind: 'cert-manager owns the server certificates on kind' },
    run: (t) =>
      withServerTls(t, 'redis', { server: cert(t, pkiNames.redisWrongCa) }, async () =>
        outcome(await redisProbe(redisConn(t, cert(t, pkiNames.client)), ['PING'], site(t))),
      ),
  },
  {
    id: 'pg-cnpg-internal-client-ca',
    group: 'transport',
    title:
      "gotcha: without clientCASecret CNPG's ssl_ca_file is its own CA, and the site's client certificate fails the handshake",
    expect: {
      ok: false,
      error: pgRejected(
        'Client certificate verification failed at depth 1: self.signed certificate in certificate chain',
      ),
    },
    skip: { kind: 'cert-manager owns the server certificates on kind' },
    run: (t) =>
      withServerTls(t, 'postgres', { clientCa: cert(t, pkiNames.otherCa).ca }, () =>
        withServerReason(t, 'postgres', /Client certificate verification failed at depth \d: .*/, async () =>
          outcome(await pgProbe(pgConn(t, cert(t, pkiNames.client)), 'select 1', site(t))),
        ),
      ),
  },
  {
    id: 'pg-cacrt-is-client-cert',
    group: 'transport',
    title: 'gotcha: a ca.crt holding the client certificate instead of the CA cannot verify the server',
    expect: { ok: false, error: /certificate verify failed/ },
    run: async (t) => {
      const c = cert(t, pkiNames.client);
      return outcome(await pgProbe(pgConn(t, c, { sslrootcert: c.crt }), 'select 1', site(t)));
    },
  },
  {
    id: 'redis-cacrt-is-client-cert',
    group: 'transport',
    title: 'gotcha: with the client certificate as ca.crt redis-py fails exactly as the troubleshooting guide says',
    expect: {
      ok: false,
      error: /CERTIFICATE_VERIFY_FAILED\] certificate verify failed: self-signed certificate in certificate chain/,
    },
    run: async (t) => {
      const c = cert(t, pkiNames.client);
      return outcome(await redisProbe(redisConn(t, c, { ssl_ca_certs: c.crt }), ['PING'], site(t)));
    },
  },
];
