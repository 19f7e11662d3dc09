/**
 * The worker group: the positive scenario (a real Nautobot Job enqueued on the global side runs to SUCCESS on the
 * site worker started from the rendered Deployment, every connection mutual TLS through the gateway) and the
 * worker-level negatives. The negatives run `scenario.py check` — Nautobot's settings load, one database connection,
 * one Django cache write and one Celery broker connection — with the pod's env and mounts from the rendered
 * Deployment, changed as each case says: the same nautobot_config.py, client libraries and paths the worker uses at
 * start, in a few seconds instead of a worker start each. Expected errors are the real ones, recorded here.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FQDN, pkiNames, REDIS_FQDN } from '../pki.js';
import type { ProcessTier } from '../process/tier.js';
import type { Tier } from '../tier.js';
import { type PodVariant, siteCheck, siteWorkerAttempt, workerSession } from '../worker/nautobot.js';
import type { Case, Outcome } from './types.js';

const processOnly = {
  containers: 'the worker runs from the virtualenv on the process tier; the containers tier runs transport cases only',
  kind: 'the kind tier runs the worker image itself (not implemented in the process harness)',
} as const;

function asProcess(tier: Tier): ProcessTier {
  if (tier.name !== 'process') throw new Error(`worker cases run on the process tier, not ${tier.name}`);
  return tier as ProcessTier;
}

/** Runs a negative variant and turns its result into an outcome (`<ExceptionType>: <message>`). */
async function variantOutcome(tier: Tier, v: PodVariant): Promise<Outcome> {
  const r = await siteCheck(asProcess(tier), v);
  return r.ok ? { ok: true, detail: r } : { ok: false, error: `${r.type}: ${r.error}` };
}

const rewrite = (file: string, f: (s: string) => string) => writeFileSync(file, f(readFileSync(file, 'utf8')));

/** The client pair of a Secret folder rewritten as a secrets template might leave it (`ca.crt` is left as issued). */
const mangleClientPem = (d: string, f: (s: string) => string) => {
  for (const k of ['tls.crt', 'tls.key']) rewrite(join(d, k), f);
};

/** The positive scenario: job SUCCESS on the site worker, with the connection facts asserted. */
export async function runPositive(tier: Tier): Promise<Outcome> {
  const t = asProcess(tier);
  const before = { db: await t.gatewayConnections(DB_FQDN), redis: await t.gatewayConnections(REDIS_FQDN) };
  const s = await workerSession(t);
  const e = await s.side.scenario(['enqueue', s.queue, '1', 'positive']);
  if (!e.ok) return { ok: false, error: `enqueue failed: ${e.type}: ${e.error}` };
  const ids = e.ids as string[];
  const rows = await s.side.waitJobs(ids);
  const job = rows[ids[0]!]!;
  const problems: string[] = [];
  if (job.status !== 'SUCCESS') problems.push(`job ${ids[0]} ended ${job.status}: ${JSON.stringify(job.result)}`);
  const hostname = s.spec.argv.find((a) => a.startsWith('--hostname='))?.slice('--hostname='.length);
  if (job.worker !== hostname) problems.push(`job ran on worker ${job.worker}, expected the site worker ${hostname}`);
  if ((job.result as { site?: string })?.site !== s.spec.env.UNDERSTACK_SITE)
    problems.push(
      `job saw UNDERSTACK_SITE=${(job.result as { site?: string })?.site}, expected ${s.spec.env.UNDERSTACK_SITE}`,
    );
  // The job reports its own database session as the server sees it (pg_stat_ssl for pg_backend_pid()).
  const r = job.result as {
    db_ssl?: boolean;
    db_client_dn?: string;
    db_client_serial?: string;
    db_tls_version?: string;
  };
  if (r?.db_ssl !== true || r?.db_client_dn !== '/CN=app')
    problems.push(
      `the job's database session: ssl=${r?.db_ssl} client_dn=${r?.db_client_dn}, expected ssl=true /CN=app`,
    );
  const clientSerial = BigInt(`0x${t.issued[pkiNames.client]!.serial}`).toString();
  if (r?.db_client_serial !== clientSerial)
    problems.push(
      `the job's session presented serial ${r?.db_client_serial}, expected the mounted client's ${clientSerial}`,
    );
  // Every session of the database user on the server (the worker's and any global one) is TLS with /CN=app.
  const ssl = (await t.sql(
    `select s.ssl, s.client_dn from pg_stat_ssl s join pg_stat_activity a using (pid) where a.usename = 'app'`,
  )) as [boolean, string][];
  for (const [on, dn] of ssl)
    if (!on || dn !== '/CN=app') problems.push(`session ssl=${on} client_dn=${dn}, expected ssl=true /CN=app`);
  const clients = String(await t.redis(['CLIENT', 'LIST']))
    .split('\n')
    .filter(Boolean);
  const tlsPort = t.direct('redis').port;
  const notTls = clients.filter((c) => !c.includes(`laddr=`) || !new RegExp(`laddr=\\S+:${tlsPort}\\b`).test(c));
  if (clients.length < 2) problems.push(`Redis has ${clients.length} client(s); expected the worker's and ours`);
  if (notTls.length) problems.push(`Redis clients not on the TLS port ${tlsPort}: ${notTls.join('; ')}`);
  // The worker's own Redis clients: Redis' entries whose address is one of Envoy's upstream sockets (only the site
  // goes through the gateway), each a TLS client on the TLS port.
  const viaGateway = new Set(await t.gatewayRedisClients());
  const workerClients = clients.filter((c) => viaGateway.has(c.match(/\baddr=(\S+)/)?.[1] ?? ''));
  if (workerClients.length === 0)
    problems.push(
      `no Redis client comes through the gateway (Envoy upstream sockets: ${[...viaGateway].join(', ') || 'none'})`,
    );
  else if (workerClients.some((c) => !new RegExp(`laddr=\\S+:${tlsPort}\\b`).test(c)))
    problems.push(`a gateway client of Redis is not on the TLS port ${tlsPort}`);
  const after = { db: await t.gatewayConnections(DB_FQDN), redis: await t.gatewayConnections(REDIS_FQDN) };
  if (after.db <= before.db) problems.push(`the gateway's ${DB_FQDN} chain counted no new connection`);
  if (after.redis <= before.redis) problems.push(`the gateway's ${REDIS_FQDN} chain counted no new connection`);
  const detail = {
    job: { id: ids[0], ...job },
    pgSessions: ssl.length,
    redisClients: clients.length,
    redisClientsViaGateway: workerClients.length,
    gateway: { db: after.db - before.db, redis: after.redis - before.redis },
    migrateMs: s.migrateMs,
    readyMs: s.readyMs,
    workerSource: s.render.source,
  };
  return problems.length ? { ok: false, error: problems.join('\n'), detail } : { ok: true, detail };
}

export const workerCases: Case[] = [
  {
    id: 'worker-job-on-site',
    group: 'worker',
    title:
      'a real Nautobot Job on the site queue runs to SUCCESS on the site worker; its sessions are TLS with /CN=app, via the gateway',
    expect: { ok: true },
    skip: processOnly,
    run: runPositive,
  },
  {
    id: 'worker-check-ok',
    group: 'worker',
    title: 'the one-shot check with the unchanged pod connects to the database, the cache and the broker',
    expect: { ok: true },
    skip: processOnly,
    run: (tier) => variantOutcome(tier, { name: 'ok' }),
  },
  {
    id: 'worker-ca-is-client-cert',
    group: 'worker',
    title: 'ca.crt holding the client certificate instead of the CA: libpq and redis-py refuse the servers',
    // Recorded: libpq says "SSL error: certificate verify failed"; redis-py/kombu the seed's exact message.
    expect: {
      ok: false,
      error:
        /db: OperationalError: .*certificate verify failed[\s\S]*cache: .*CERTIFICATE_VERIFY_FAILED\] certificate verify failed: self-signed certificate in certificate chain[\s\S]*broker: .*CERTIFICATE_VERIFY_FAILED/,
    },
    skip: processOnly,
    run: (tier) =>
      variantOutcome(tier, {
        name: 'ca-is-client-cert',
        secret: (d) => writeFileSync(join(d, 'ca.crt'), readFileSync(join(d, 'tls.crt'))),
      }),
  },
  {
    id: 'worker-pem-crlf',
    group: 'worker',
    title:
      'PEM files with CRLF line endings: OpenSSL 3 (libpq and Python ssl) reads them, so the worker still connects (the seed’s "[SSL] PEM lib" comes from CR-only or literal "\\r" files: worker-pem-cr-only, worker-pem-literal-cr)',
    // Recorded on OpenSSL 3.x: PEM decoding tolerates "\r\n"; filterPEM in the ExternalSecret still strips them.
    expect: { ok: true },
    skip: processOnly,
    run: (tier) =>
      variantOutcome(tier, {
        name: 'pem-crlf',
        secret: (d) => {
          for (const f of ['tls.crt', 'tls.key', 'ca.crt']) rewrite(join(d, f), (s) => s.replace(/\r?\n/g, '\r\n'));
        },
      }),
  },
  {
    id: 'worker-pem-cr-only',
    group: 'worker',
    title:
      'tls.crt/tls.key with CR-only line endings (a secrets template that turned "\\n" into "\\r"): every client refuses the files',
    // Recorded: Python's ssl (redis-py for the cache, kombu for the broker) says the seed's "[SSL] PEM lib"; libpq 17
    // finds no PEM header: `could not read certificate file "…/tls.crt": no start line`.
    expect: {
      ok: false,
      error:
        /db: OperationalError: .*could not read certificate file "[^"]+\/tls\.crt": no start line[\s\S]*cache: .*\[SSL\] PEM lib \(_ssl\.c:\d+\)[\s\S]*broker: .*\[SSL\] PEM lib \(_ssl\.c:\d+\)/,
    },
    skip: processOnly,
    run: (tier) =>
      variantOutcome(tier, {
        name: 'pem-cr-only',
        secret: (d) => mangleClientPem(d, (s) => s.replace(/\r?\n/g, '\r')),
      }),
  },
  {
    id: 'worker-pem-literal-cr',
    group: 'worker',
    title:
      'tls.crt/tls.key with a literal "\\r" text before each newline (a template escaping gone wrong): the real celery worker fails with "[SSL] PEM lib"',
    // The real worker, started from the rendered Deployment on the site: it retries the broker and logs the error.
    expect: { ok: false, error: /\[SSL\] PEM lib \(_ssl\.c:\d+\)/ },
    skip: processOnly,
    run: (tier) =>
      siteWorkerAttempt(
        asProcess(tier),
        { name: 'pem-literal-cr', secret: (d) => mangleClientPem(d, (s) => s.replace(/\r?\n/g, '\\r\n')) },
        /\[SSL\] PEM lib/,
      ),
  },
  {
    id: 'worker-missing-cert-file',
    group: 'worker',
    title: 'a missing tls.crt stops the worker at settings load with the documented FileNotFoundError',
    expect: {
      ok: false,
      error: /^FileNotFoundError: SSL certificate file required by NAUTOBOT_DB_SSLCERT not found: \S+\/tls\.crt$/,
    },
    skip: processOnly,
    run: (tier) => variantOutcome(tier, { name: 'missing-cert-file', secret: (d) => rmSync(join(d, 'tls.crt')) }),
  },
  {
    id: 'worker-sslmode-unset',
    group: 'worker',
    title: 'NAUTOBOT_DB_SSLMODE unset while the chart sets direct negotiation: nautobot_config.py refuses to start',
    expect: {
      ok: false,
      error: /^ImproperlyConfigured: NAUTOBOT_DB_SSLNEGOTIATION=direct needs NAUTOBOT_DB_SSLMODE set/,
    },
    skip: processOnly,
    run: (tier) => variantOutcome(tier, { name: 'sslmode-unset', env: { NAUTOBOT_DB_SSLMODE: undefined } }),
  },
  {
    id: 'worker-plaintext-db',
    group: 'worker',
    title:
      'NAUTOBOT_DB_SSLMODE and NAUTOBOT_DB_SSLNEGOTIATION both unset: a plaintext startup has no SNI, the gateway closes it (pg_hba never sees it)',
    expect: { ok: false, error: /db: OperationalError: .*server closed the connection unexpectedly/ },
    skip: processOnly,
    run: (tier) =>
      variantOutcome(tier, {
        name: 'plaintext-db',
        env: { NAUTOBOT_DB_SSLMODE: undefined, NAUTOBOT_DB_SSLNEGOTIATION: undefined },
      }),
  },
  {
    id: 'worker-sslmode-unset-pg-hba',
    group: 'worker',
    title:
      'NAUTOBOT_DB_SSLMODE (and SSLNEGOTIATION) unset on a pod that reaches PostgreSQL directly: a plaintext login, rejected by pg_hba (the example closes CNPG’s password rule)',
    // A global-side pod (no gateway in the way) with the worker's env: the cache and the broker still connect, only the
    // database is refused, by the server's pg_hba, twice. Recorded: with NAUTOBOT_DB_SSLMODE unset, nautobot_config.py
    // sets no sslmode, so libpq uses its default `prefer`: TLS first, without a client certificate (the `hostssl ...
    // cert` rule: "connection requires a valid client certificate"), then plaintext (the example's `host ... reject`
    // rule: "pg_hba.conf rejects connection ... no encryption"; with no matching rule PostgreSQL would say "no
    // pg_hba.conf entry ... no encryption").
    expect: {
      ok: false,
      error:
        /^RuntimeError: db: OperationalError: [^|]*FATAL: {2}connection requires a valid client certificate\n[^|]*FATAL: {2}pg_hba\.conf rejects connection for host "[^"]+", user "app", database "app", no encryption\s*$/,
    },
    skip: processOnly,
    run: (tier) => {
      const t = asProcess(tier);
      const pg = t.direct('postgres');
      const redis = t.direct('redis');
      return variantOutcome(tier, {
        name: 'sslmode-unset-pg-hba',
        global: true,
        env: {
          NAUTOBOT_DB_SSLMODE: undefined,
          NAUTOBOT_DB_SSLNEGOTIATION: undefined,
          NAUTOBOT_DB_HOST: pg.host,
          NAUTOBOT_DB_PORT: String(pg.port),
          // Redis by the name its certificate carries for in-cluster clients.
          NAUTOBOT_REDIS_HOST: 'localhost',
          NAUTOBOT_REDIS_PORT: String(redis.port),
        },
      });
    },
  },
  {
    id: 'worker-server-wrong-ca',
    group: 'worker',
    title:
      'PostgreSQL and Redis serving certificates from another CA: the unchanged worker pod refuses both (libpq verify-ca; kombu and the cache keep CERT_REQUIRED, no downgrade to CERT_NONE)',
    expect: {
      ok: false,
      error:
        /db: OperationalError: .*certificate verify failed[\s\S]*cache: .*CERTIFICATE_VERIFY_FAILED[\s\S]*broker: OperationalError: .*CERTIFICATE_VERIFY_FAILED/,
    },
    skip: processOnly,
    async run(tier) {
      const t = asProcess(tier);
      await t.setServerTls('postgres', { server: t.certs[pkiNames.postgresWrongCa]! });
      await t.setServerTls('redis', { server: t.certs[pkiNames.redisWrongCa]! });
      try {
        return await variantOutcome(tier, { name: 'server-wrong-ca' });
      } finally {
        await t.setServerTls('postgres');
        await t.setServerTls('redis');
      }
    },
  },
  {
    id: 'worker-server-untrusted',
    group: 'worker',
    title:
      'servers whose certificates the mounted CA did not sign: libpq, the cache and kombu all refuse them (no downgrade to CERT_NONE)',
    expect: {
      ok: false,
      error:
        /db: OperationalError: .*certificate verify failed[\s\S]*cache: .*CERTIFICATE_VERIFY_FAILED[\s\S]*broker: OperationalError: .*CERTIFICATE_VERIFY_FAILED/,
    },
    skip: processOnly,
    run: (tier) =>
      variantOutcome(tier, {
        name: 'server-untrusted',
        secret: (d) =>
          writeFileSync(join(d, 'ca.crt'), readFileSync((tier as ProcessTier).certs[pkiNames.otherCa]!.ca)),
      }),
  },
];
