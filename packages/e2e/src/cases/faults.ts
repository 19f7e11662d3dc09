/**
 * The fault and rotation groups, against the running site worker (started once per tier by the worker group).
 *
 * Faults: PostgreSQL, Redis and Envoy are each restarted under the connected worker, with jobs enqueued right after the
 * restart (they wait in Redis while the worker reconnects), and the site<->global link is cut for 30 s while more jobs
 * are enqueued (they wait in Redis until the link is back). The worker process must survive (same pid, never restarted) and every
 * enqueued job must reach SUCCESS exactly once: each execution inserts a row keyed by its JobResult id into
 * `understack_e2e_runs`, so a lost job has no row and a job run twice has two.
 *
 * Why none is lost or run twice, with the chart's Celery settings (Nautobot's defaults, the chart sets none):
 * `task_acks_late` is off, so a message is acknowledged when the worker starts the task — a broker outage after that
 * cannot redeliver it (no double run); messages not yet started stay in the Redis list (Redis keeps them across its
 * restart only with persistence: the example global Redis sets `appendonly yes`, and so does the process tier) or in
 * kombu's unacked hash, restored after `visibility_timeout` (kombu's default 1 h) — never executed twice.
 *
 * Rotation: the files of the mounted `nautobot-mtls-client` Secret are replaced by a newly issued certificate (what the
 * kubelet does when the ExternalSecret refreshes); the worker's sessions are then closed on the server, and the
 * sessions it opens next present the new certificate (pg_stat_ssl `client_serial` equals the new serial).
 */
import { DB_FQDN, pkiNames } from '../pki.js';
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

function restartCase(component: Component): Case {
  return {
    id: `fault-restart-${component}`,
    group: 'fault',
    title: `restarting ${component} under a connected worker: it recovers by itself, jobs enqueued right after run exactly once`,
    expect: { ok: true },
    skip: processOnly,
    async run(tier) {
      const t = asProcess(tier);
      const s = await workerSession(t);
      const pid = s.worker.child.pid;
      // The worker holds live connections (broker, result backend, database) when the server goes away. Jobs that
      // finished before and jobs enqueued right after the restart must all run exactly once; none is mid-run during
      // the restart, because Nautobot does not retry an interrupted job (acks_late off: it would end FAILURE, by
      // design) — jobs *waiting* through an outage are covered by fault-cut-link-30s.
      const before = await enqueue(s, 2, `restart-${component}-before`);
      await s.side.waitJobs(before);
      await t.restart(component);
      const after = await enqueue(s, 3, `restart-${component}-after`);
      return verify(s, [...before, ...after], pid);
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
      if (!t.netns) return { ok: false, error: 'cutting the link needs network namespaces (root + iproute2)' };
      const s = await workerSession(t);
      const pid = s.worker.child.pid;
      const before = await enqueue(s, 2, 'cut-before');
      await s.side.waitJobs(before);
      const cut = t.cutLink(30_000);
      await sleep(2_000);
      const during = await enqueue(s, 3, 'cut-during');
      await cut;
      return verify(s, [...before, ...during], pid);
    },
  },
  {
    id: 'rotation-client-cert',
    group: 'rotation',
    title:
      'replacing the mounted client certificate: the worker’s next connections present the new one (pg_stat_ssl serial)',
    expect: { ok: true },
    skip: processOnly,
    async run(tier) {
      const t = asProcess(tier);
      const s = await workerSession(t);
      const pid = s.worker.child.pid;
      const oldSerial = BigInt(`0x${t.issued[pkiNames.client]!.serial}`).toString();
      const newSerial = BigInt(`0x${t.issued[pkiNames.clientRotated]!.serial}`).toString();
      const rotated = t.certs[pkiNames.clientRotated]!;
      const dir = s.spec.secretVolumes['nautobot-mtls-client'];
      if (!dir) return { ok: false, error: 'the worker mounts no nautobot-mtls-client Secret volume' };
      updateSecretVolume(dir, { 'tls.crt': rotated.crt, 'tls.key': rotated.key, 'ca.crt': rotated.ca });
      // Close the worker's sessions on the servers: its next connections read the mounted files again.
      await t.sql(
        `select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app' and pid <> pg_backend_pid()`,
      );
      await t.redis(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
      const gw = await t.gatewayConnections(DB_FQDN);
      const ids = await enqueue(s, 3, 'rotated');
      const o = await verify(s, ids, pid);
      // Each job reports the serial its own database session presented (pg_stat_ssl for pg_backend_pid()).
      const rows = await s.side.waitJobs(ids);
      const serials = ids.map((id) => String((rows[id]?.result as { db_client_serial?: string })?.db_client_serial));
      const problems = o.ok ? [] : [o.error!];
      if (serials.some((x) => x !== newSerial))
        problems.push(
          `sessions present serials ${serials.join(', ')}; expected only the rotated ${newSerial} (old ${oldSerial})`,
        );
      if ((await t.gatewayConnections(DB_FQDN)) <= gw) problems.push('no new connection went through the gateway');
      const detail = { oldSerial, newSerial, sessions: serials.length };
      return problems.length ? { ok: false, error: problems.join('\n'), detail } : { ok: true, detail };
    },
  },
];
