/**
 * Usage: pnpm bench:e2e [-- --json] [-- --skip-cold] [-- --samples <n>]
 *
 * Measures, in one run, on the process tier:
 *   - cold and warm wall time of the positive scenario (tier up -> job SUCCESS on the site worker); cold starts from
 *     an empty cache folder (so `migrate` runs), warm from the migrated snapshot (target <= 90 s);
 *   - the negative matrix time (every negative transport and worker case);
 *   - task round trip (enqueue -> JobResult SUCCESS, measured in one global-side process) through the gateway vs. a
 *     second worker, mapped from the same Deployment with the same mTLS, connecting to the servers directly; the
 *     two are interleaved job by job (target: gateway/direct p50 <= 1.15);
 *   - TLS connection setup (+ one query) time for PostgreSQL and Redis through the gateway vs. directly.
 * Prints a table (or one JSON object with --json); progress on stderr. Exit 0; 1 when a scenario step fails or a
 * case of the negative matrix does not fail the way it must (each mismatch is printed on stderr).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgConn, redisConn, transportCases } from '../src/cases/transport.js';
import { mismatch } from '../src/cases/types.js';
import { runPositive, workerCases } from '../src/cases/worker.js';
import { pkiNames } from '../src/pki.js';
import { pgProbe, redisProbe } from '../src/process/probe.js';
import { ProcessTier } from '../src/process/tier.js';
import { nautobotVersion, postgresVersion, snapshotDir, workerSession } from '../src/worker/nautobot.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: pnpm bench:e2e [-- --json] [-- --skip-cold] [-- --samples <n>]\n' +
      '  --json       one JSON object on stdout\n  --skip-cold  skip the cold run (minutes: it migrates an empty database)\n' +
      '  --samples n  latency samples per path (default 30)\n',
  );
  process.exit(0);
}
const json = args.includes('--json');
const skipCold = args.includes('--skip-cold');
const samples = Number(args[args.indexOf('--samples') + 1]) || 30;
if (args.includes('--samples') && !(samples > 0)) {
  process.stderr.write('--samples needs a positive number\n');
  process.exit(2);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

async function positiveRun(
  snapshot: string | undefined,
): Promise<{ ms: number; migrateMs: number; tier: ProcessTier }> {
  const t0 = performance.now();
  const tier = new ProcessTier({ postgresDataDir: snapshot });
  await tier.up();
  const o = await runPositive(tier);
  if (!o.ok) {
    await tier.down();
    throw new Error(`the positive scenario failed: ${o.error}`);
  }
  return { ms: performance.now() - t0, migrateMs: (o.detail as { migrateMs: number }).migrateMs, tier };
}

const report: Record<string, unknown> = { nautobot: nautobotVersion() };
let tier: ProcessTier | undefined;
try {
  if (!skipCold) {
    const cache = mkdtempSync(join(tmpdir(), 'understack-e2e-cold-'));
    const saved = process.env.UNDERSTACK_E2E_CACHE;
    process.env.UNDERSTACK_E2E_CACHE = cache;
    try {
      const cold = await positiveRun(undefined);
      await cold.tier.down();
      report.coldMs = cold.ms;
      report.migrateMs = cold.migrateMs;
    } finally {
      if (saved === undefined) delete process.env.UNDERSTACK_E2E_CACHE;
      else process.env.UNDERSTACK_E2E_CACHE = saved;
      rmSync(cache, { recursive: true, force: true });
    }
  }
  const snap = snapshotDir(postgresVersion());
  if (!existsSync(snap)) {
    // No snapshot yet: a run from scratch creates it (reported as the cold figure when it was not measured).
    const first = await positiveRun(undefined);
    await first.tier.down();
    report.coldMs ??= first.ms;
    report.migrateMs ??= first.migrateMs;
  }
  const warm = await positiveRun(snap);
  tier = warm.tier;
  report.warmMs = warm.ms;
  report.versions = tier.versions();

  const negatives = [...transportCases, ...workerCases].filter((c) => !c.expect.ok);
  const [failures, negMs] = await timed(async () => {
    const out: string[] = [];
    for (const c of negatives) {
      const m = mismatch(c, await c.run(tier!));
      if (m) out.push(m);
    }
    return out;
  });
  report.negatives = { cases: negatives.length, ms: negMs, failures };
  if (failures.length > 0) {
    // A matrix that lets something in (or fails for the wrong reason) is a failed bench, not a timing.
    process.stderr.write(
      `negative matrix: ${failures.length} case(s) did not fail as expected:\n${failures.join('\n')}\n`,
    );
    process.stderr.write(`artifacts: ${tier.collectArtifacts(`negative matrix failures:\n${failures.join('\n')}`)}\n`);
    process.exitCode = 1;
  }

  // TLS setup (+ `select 1` / PING) per fresh connection, gateway (from the site) vs direct (global side).
  const t = tier;
  const c = t.certs[pkiNames.client]!;
  const site = { wrap: (a: string[]) => t.siteArgv(a), env: t.siteEnv() };
  const pgDirect = { host: 'localhost', port: t.direct('postgres').port, hostaddr: '', sslmode: 'verify-full' };
  const rdDirect = { host: 'localhost', port: t.direct('redis').port };
  const directPg = Object.fromEntries(Object.entries({ ...pgConn(t, c), ...pgDirect }).filter(([, v]) => v !== ''));
  const tls: Record<string, { p50: number; p95: number }> = {};
  for (const [name, run] of [
    ['postgres gateway', () => pgProbe(pgConn(t, c), 'select 1', site, samples)],
    ['postgres direct', () => pgProbe(directPg, 'select 1', {}, samples)],
    ['redis gateway', () => redisProbe(redisConn(t, c), ['PING'], site, samples)],
    ['redis direct', () => redisProbe(redisConn(t, c, rdDirect), ['PING'], {}, samples)],
  ] as const) {
    const r = await run();
    if (!r.ok || !r.ms) throw new Error(`TLS setup measurement ${name} failed: ${r.error}`);
    tls[name] = { p50: pct(r.ms, 50), p95: pct(r.ms, 95) };
  }
  report.tlsSetupMs = tls;

  // Task round trip: the site worker (gateway) and a direct worker from the same Deployment, interleaved.
  const s = await workerSession(t);
  const direct = s.side.mapWorker(c.dir, 'nautobot-worker-default-direct');
  const directQueue = `${s.queue}-direct`;
  direct.argv = direct.argv.map((a) =>
    a.startsWith('--queues=')
      ? `--queues=${directQueue}`
      : a.startsWith('--hostname=')
        ? `--hostname=direct-${s.queue}@bench`
        : a,
  );
  Object.assign(direct.env, {
    NAUTOBOT_DB_HOST: 'localhost',
    NAUTOBOT_DB_PORT: String(t.direct('postgres').port),
    NAUTOBOT_REDIS_HOST: 'localhost',
    NAUTOBOT_REDIS_PORT: String(t.direct('redis').port),
  });
  const prep = await s.side.scenario(['prepare', directQueue]);
  if (!prep.ok) throw new Error(`preparing ${directQueue} failed: ${prep.error}`);
  const dw = await s.side.startWorker(direct, { name: 'nautobot-worker-direct', global: true });
  t.defer(() => dw.stop());
  await s.side.scenario(['latency', `${s.queue},${directQueue}`, '3']); // warm-up (imports, connections)
  const lat = await s.side.scenario(['latency', `${s.queue},${directQueue}`, String(samples)]);
  if (!lat.ok) throw new Error(`latency run failed: ${lat.error}`);
  const ms = lat.ms as Record<string, number[]>;
  const g = ms[s.queue]!;
  const d = ms[directQueue]!;
  report.taskRoundTripMs = {
    gateway: { p50: pct(g, 50), p95: pct(g, 95) },
    direct: { p50: pct(d, 50), p95: pct(d, 95) },
    ratioP50: pct(g, 50) / pct(d, 50),
    samples,
  };
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  if (tier) process.stderr.write(`artifacts: ${tier.collectArtifacts('bench failed')}\n`);
  process.exitCode = 1;
} finally {
  await tier?.down();
}

if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else {
  const rows: [string, string, string][] = [];
  const s = (x: unknown) => (typeof x === 'number' ? `${r1(x / 1000)} s` : 'n/a');
  rows.push(['positive scenario, cold (incl. migrate)', s(report.coldMs), `migrate ${s(report.migrateMs)}`]);
  rows.push(['positive scenario, warm', s(report.warmMs), 'target <= 90 s']);
  const n = report.negatives as { cases: number; ms: number; failures: string[] } | undefined;
  if (n) rows.push(['negative matrix', s(n.ms), `${n.cases} cases, ${n.failures.length} failed`]);
  const tr = report.taskRoundTripMs as
    | { gateway: { p50: number; p95: number }; direct: { p50: number; p95: number }; ratioP50: number }
    | undefined;
  if (tr) {
    rows.push(['task round trip via gateway p50/p95', `${r1(tr.gateway.p50)} / ${r1(tr.gateway.p95)} ms`, '']);
    rows.push(['task round trip direct p50/p95', `${r1(tr.direct.p50)} / ${r1(tr.direct.p95)} ms`, '']);
    rows.push(['gateway/direct p50 ratio', r1(tr.ratioP50 * 100) / 100 + '', 'target <= 1.15']);
  }
  for (const [k, v] of Object.entries((report.tlsSetupMs as Record<string, { p50: number; p95: number }>) ?? {}))
    rows.push([`TLS setup + 1 query, ${k} p50/p95`, `${r1(v.p50)} / ${r1(v.p95)} ms`, '']);
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(
    `Nautobot ${report.nautobot}\n${rows.map((r) => `${r[0].padEnd(w)}  ${r[1].padStart(16)}  ${r[2]}`).join('\n')}\n`,
  );
}
