/**
 * The fault and rotation groups, against the running site worker (started once per tier by the worker group).
 *
 * Faults, each with jobs **queued** (sitting in the site's Redis queue, not yet taken by the worker) while a server is
 * down: Envoy is stopped (the worker loses its gateway connections and cannot consume), N jobs are enqueued on the
 * global side (they wait in Redis: the queue's length is checked), then
 * - `fault-restart-envoy`: Envoy is started again;
 * - `fault-restart-redis`: Redis is restarted first (the queue's length is checked again after it: Redis keeps the
 *   messages across its restart only because it persists them, `appendonly yes`, as the example global Redis does);
 * - `fault-restart-postgres`: PostgreSQL is restarted first (the JobResults are in it);
 * and the worker drains the queue. The site<->global link is also cut for 30 s while jobs are enqueued. The worker
 * process must survive (same pid, never restarted) and every job must reach SUCCESS exactly once: each execution
 * inserts a row keyed by its JobResult id into `understack_e2e_runs`, so a lost job has no row and a job run twice
 * has two. Jobs that finished before the fault are counted too.
 *
 * Why none is lost or run twice — read from the worker's own Celery configuration at run time (`scenario.py
 * settings` with the pod's env) and asserted, so a settings change fails here instead of silently changing it:
 * `task_acks_late` is off (Nautobot's default; the chart sets none), so a message is acknowledged when the worker
 * starts the task: a broker outage after that cannot redeliver it (no double run; a job interrupted mid-run ends
 * FAILURE, never re-runs). A message not yet taken stays in the Redis list (across a Redis restart thanks to
 * `appendonly yes`, checked with CONFIG GET); one taken but not started sits in kombu's unacked hash and is restored
 * only after `visibility_timeout` (kombu's 1 h) — later than any outage here, and never executed twice.
 *
 * Rotation: the files of the mounted `nautobot-mtls-client` Secret are replaced by a newly issued certificate (what the
 * kubelet does when the ExternalSecret refreshes); the worker's sessions are then closed on the servers, and the
 * sessions it opens next present the new certificate: pg_stat_ssl `client_serial` for PostgreSQL, and for Redis the
 * server's own record of the new TLS connections (see `rotation-client-cert`).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FQDN, pkiNames, secretDir } from '../pki.js';
import { redisProbe } from '../process/probe.js';
import { sleep } from '../process/supervisor.js';
import type { ProcessTier } from '../process/tier.js';
import type { Component, Tier } from '../tier.js';
import { timeouts } from '../timeouts.js';
import { type WorkerSession, workerSession } from '../worker/nautobot.js';
import { updateSecretVolume } from '../worker/pod.js';
import type { Case, Outcome } from './types.js';

const processOnly = {
  containers: 'faults need the process tier (the worker runs from the virtualenv)',
  kind: 'the kind tier injects faults with kubectl (not implemented in the process harness)',
} as const;

function asProcess(tier: Tier): ProcessTier {
  if (tier.name !== 'process') throw new Error(`fault cases run on the process tier, not ${tier.name}`);
  return tier as ProcessTier;
}

async function enqueue(s: WorkerSession, n: number, tag: string, sleepMs = 0): Promise<string[]> {
  const e = await s.side.scenario(['enqueue', s.queue, String(n), tag, String(sleepMs)]);
  if (!e.ok) throw new Error(`enqueue ${tag} failed: ${e.type}: ${e.error}`);
  return e.ids as string[];
}

/** Every job SUCCESS, each executed exactly once, the worker the same process as before. */
async function verify(s: WorkerSession, ids: string[], pid: number | undefined): Promise<Outcome> {
  const rows = await s.side.waitJobs(ids, timeouts.recover);
  const runs = (await s.side.scenario(['runs'])).runs as { job_result_id: string }[];
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.job_result_id, (count.get(r.job_result_id) ?? 0) + 1);
  const problems: string[] = [];
  for (const id of ids) {
    if (rows[id]?.status !== 'SUCCESS')
      problems.push(`job ${id} ended ${rows[id]?.status}: ${JSON.stringify(rows[id]?.result)}`);
    const n = count.get(id) ?? 0;
    if (n !== 1) problems.push(`job ${id} executed ${n} times (expected exactly once)`);
  }
  if (!s.worker.running) problems.push(`the worker exited (code ${s.worker.code})`);
  if (s.worker.child.pid !== pid) problems.push('the worker process changed');
  const detail = { jobs: ids.length, succeeded: ids.filter((id) => rows[id]?.status === 'SUCCESS').length };
  return problems.length ? { ok: false, error: problems.join('\n'), detail } : { ok: true, detail };
}

/** The worker's Celery settings that decide redelivery (`scenario.py settings` with the pod's env, on the site). */
export interface CelerySettings {
  task_acks_late: boolean;
  task_reject_on_worker_lost: boolean | null;
  worker_prefetch_multiplier: number;
  broker_transport_options: Record<string, unknown>;
  visibility_timeout: number;
  broker_db: number;
  queue_keys: string[];
}

const settingsMemo = new WeakMap<WorkerSession, Promise<CelerySettings>>();

/** Reads the worker's Celery settings once per session and checks them against the mechanism the README records. */
export function celerySettings(t: ProcessTier, s: WorkerSession): Promise<CelerySettings> {
  let p = settingsMemo.get(s);
  if (!p) {
    p = (async () => {
      const r = await s.side.scenario(['settings', s.queue], s.side.siteEnv(s.spec), (a) => t.siteArgv(a));
      if (!r.ok) throw new Error(`reading the worker's Celery settings failed: ${r.type}: ${r.error}`);
      return r as unknown as CelerySettings;
    })();
    settingsMemo.set(s, p);
  }
  return p;
}

/** Problems with the recorded exactly-once mechanism (empty when the worker runs with it). */
async function mechanismProblems(t: ProcessTier, c: CelerySettings): Promise<string[]> {
  const problems: string[] = [];
  if (c.task_acks_late !== false)
    problems.push(
      `the worker runs with task_acks_late=${c.task_acks_late}: the exactly-once argument (README "Faults") assumes acks on start; update it`,
    );
  if (!(c.visibility_timeout >= 3600))
    problems.push(`kombu visibility_timeout is ${c.visibility_timeout} s: a queued job could be redelivered sooner`);
  if (c.broker_db !== 0) problems.push(`the broker uses Redis db ${c.broker_db}; the queue checks read db 0`);
  const aof = await redisAppendonly(t);
  if (aof !== 'yes') problems.push(`Redis appendonly is ${aof}: queued jobs would not survive its restart`);
  return problems;
}

/** The server's `appendonly` (redis-py answers CONFIG GET with a mapping). */
async function redisAppendonly(t: ProcessTier): Promise<string> {
  const r = (await t.redis(['CONFIG', 'GET', 'appendonly'])) as Record<string, string> | string[];
  return String(Array.isArray(r) ? r[1] : r.appendonly);
}

/** Messages waiting in the site queue's Redis lists (every priority step), read straight from the server. */
async function queued(t: ProcessTier, c: CelerySettings): Promise<number> {
  const lua = "local n = 0 for _, k in ipairs(KEYS) do n = n + redis.call('LLEN', k) end return n";
  return Number(await t.redis(['EVAL', lua, String(c.queue_keys.length), ...c.queue_keys]));
}

/** The Secret folder of the rotated client with the transition CA bundle as its ca.crt (registered in `certs`). */
const TRANSITION = 'nautobot-mtls-client-rotation-transition';

/** Jobs queued while each component restarts (kept small: every job is a real Nautobot Job run). */
const QUEUED = 3;

function restartCase(component: Component): Case {
  return {
    id: `fault-restart-${component}`,
    group: 'fault',
    title:
      component === 'envoy'
        ? `restarting Envoy with ${QUEUED} jobs queued while it is down: the worker reconnects by itself and runs each exactly once`
        : `restarting ${component} with ${QUEUED} jobs queued (the gateway down meanwhile, so the worker cannot take them): they survive, the worker recovers and runs each exactly once`,
    expect: { ok: true },
    skip: processOnly,
    async run(tier) {
      const t = asProcess(tier);
      const s = await workerSession(t);
      const pid = s.worker.child.pid;
      const settings = await celerySettings(t, s);
      const problems = await mechanismProblems(t, settings);
      // The worker is connected and consuming before the fault.
      const before = await enqueue(s, 2, `restart-${component}-before`);
      await s.side.waitJobs(before);
      let ids: string[] = [];
      const depth: Record<string, number> = {};
      await t.restart('envoy', async () => {
        // The worker cannot reach Redis now: whatever is enqueued waits in the site queue.
        ids = await enqueue(s, QUEUED, `restart-${component}-queued`);
        depth.queued = await queued(t, settings);
        if (component !== 'envoy') {
          await t.restart(component);
          depth[`after ${component} restart`] = await queued(t, settings);
        }
      });
      for (const [when, n] of Object.entries(depth))
        if (n !== QUEUED)
          problems.push(`${n} message(s) in the site queue ${when}, expected the ${QUEUED} queued jobs`);
      const o = await verify(s, [...before, ...ids], pid);
      if (!o.ok) problems.push(o.error!);
      const detail = {
        ...(o.detail as object),
        queuedDuringRestart: depth,
        mechanism: {
          task_acks_late: settings.task_acks_late,
          visibility_timeout: settings.visibility_timeout,
          worker_prefetch_multiplier: settings.worker_prefetch_multiplier,
          redis_appendonly: await redisAppendonly(t),
        },
      };
      return problems.length ? { ok: false, error: problems.join('\n'), detail } : { ok: true, detail };
    },
  };
}

export const faultCases: Case[] = [
  restartCase('postgres'),
  restartCase('redis'),
  restartCase('envoy'),
  {
    id: 'fault-cut-link-30s',
    group: 'fault',
    title: 'the site<->global link down for 30 s while jobs are enqueued: the worker reconnects and runs them all once',
    expect: { ok: true },
    skip: { ...processOnly },
    async run(tier) {
      const t = asProcess(tier);
      if (!t.netns)
        return {
          ok: true,
          skipped: `cutting the site<->global link needs the site in its own network namespace; this run shares loopback (${t.loopbackReason}). Run as root with iproute2; E2E_ISOLATION=netns makes their absence an error`,
        };
      const s = await workerSession(t);
      const pid = s.worker.child.pid;
      const before = await enqueue(s, 2, 'cut-before');
      await s.side.waitJobs(before);
      const cut = t.cutLink(30_000);
      await sleep(timeouts.linkCutSettle);
      const during = await enqueue(s, 3, 'cut-during');
      await cut;
      return verify(s, [...before, ...during], pid);
    },
  },
  {
    id: 'rotation-client-cert',
    group: 'rotation',
    title:
      'replacing the mounted client certificate (issued by the next CA): the worker’s next PostgreSQL sessions present it (pg_stat_ssl serial) and Redis, trusting only the next CA, still serves it',
    expect: { ok: true },
    skip: processOnly,
    async run(tier) {
      const t = asProcess(tier);
      const s = await workerSession(t);
      const pid = s.worker.child.pid;
      const oldSerial = BigInt(`0x${t.issued[pkiNames.client]!.serial}`).toString();
      const newSerial = BigInt(`0x${t.issued[pkiNames.clientRotated]!.serial}`).toString();
      const dir = s.spec.secretVolumes['nautobot-mtls-client'];
      if (!dir) return { ok: false, error: 'the worker mounts no nautobot-mtls-client Secret volume' };
      // A CA rotation, the way an operator runs it: the servers trust both CAs (transition), the client Secret gets
      // the certificate of the next CA (its ca.crt the bundle of both), then the servers drop the old CA.
      const oldCa = readFileSync(t.certs[pkiNames.ca]!.ca, 'utf8');
      const nextCa = readFileSync(t.certs[pkiNames.rotationCa]!.ca, 'utf8');
      const rot = t.certs[pkiNames.clientRotated]!;
      const transition = join(t.runDir, 'pki', 'rotation-transition');
      mkdirSync(transition, { recursive: true, mode: 0o700 });
      const both = join(transition, 'ca.crt');
      writeFileSync(both, `${oldCa.trimEnd()}\n${nextCa}`);
      copyFileSync(rot.crt, join(transition, 'tls.crt'));
      copyFileSync(rot.key, join(transition, 'tls.key'));
      const onlyNext = join(transition, 'next-ca.crt');
      writeFileSync(onlyNext, nextCa);
      t.certs[TRANSITION] = secretDir(transition);
      await t.setServerTls('postgres', { clientCa: both });
      await t.setServerTls('redis', { clientCa: both });
      updateSecretVolume(dir, { 'tls.crt': rot.crt, 'tls.key': rot.key, 'ca.crt': both });
      // Close the worker's sessions on the servers: its next connections read the mounted files again.
      await t.sql(
        `select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app' and pid <> pg_backend_pid()`,
      );
      await t.redis(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
      // Redis drops the old CA (a restart, as a Redis pod rolls for a new Secret); the global side moves too.
      t.globalClient = TRANSITION;
      await t.setServerTls('redis', { clientCa: onlyNext });
      const problems: string[] = [];
      try {
        // The old certificate is now refused by Redis (so a job served below proves the worker presented the new one).
        const old = t.certs[pkiNames.client]!;
        const refused = await redisProbe(
          {
            host: 'localhost',
            port: t.direct('redis').port,
            ssl: true,
            ssl_certfile: old.crt,
            ssl_keyfile: old.key,
            ssl_ca_certs: old.ca,
            ssl_cert_reqs: 'required',
            password: t.secretValues['nautobot-redis/password']!,
          },
          ['PING'],
        );
        if (refused.ok) problems.push('Redis still accepts the old client certificate after dropping the old CA');
        const gw = await t.gatewayConnections(DB_FQDN);
        const ids = await enqueue(s, 3, 'rotated');
        const o = await verify(s, ids, pid);
        if (!o.ok) problems.push(o.error!);
        // Each job reports the serial its own database session presented (pg_stat_ssl for pg_backend_pid()).
        const rows = await s.side.waitJobs(ids);
        const serials = ids.map((id) => String((rows[id]?.result as { db_client_serial?: string })?.db_client_serial));
        if (serials.some((x) => x !== newSerial))
          problems.push(
            `sessions present serials ${serials.join(', ')}; expected only the rotated ${newSerial} (old ${oldSerial})`,
          );
        if ((await t.gatewayConnections(DB_FQDN)) <= gw) problems.push('no new connection went through the gateway');
        const detail = {
          oldSerial,
          newSerial,
          sessions: serials.length,
          redis: 'trusts only the next CA; the old certificate is refused; the worker took and ran every job',
          oldCertOnRedis: refused.ok ? 'accepted' : refused.error,
        };
        return problems.length ? { ok: false, error: problems.join('\n'), detail } : { ok: true, detail };
      } finally {
        // Leave the servers trusting both CAs: the worker keeps the rotated certificate, later clients may use either.
        await t.setServerTls('redis', { clientCa: both });
      }
    },
  },
];
