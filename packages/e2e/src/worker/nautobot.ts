/**
 * The Nautobot side of the scenario with real Nautobot from the project virtualenv: the global pods' environment
 * (in-cluster, straight to PostgreSQL and Redis, with the global client certificate — Redis and pg_hba require one of
 * every client), `migrate` once per Nautobot/PostgreSQL version (a data-directory snapshot makes warm runs skip it),
 * the site's JobQueue, enqueueing a real Job, and the site worker started from the rendered Deployment.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { stringify } from 'yaml';
import type { Outcome } from '../cases/types.js';
import type { K8sObject } from '../envoy-config.js';
import { step } from '../log.js';
import { postgresDir, pyDir, root, venvBin } from '../paths.js';
import { DB_USER, pkiNames } from '../pki.js';
import { type Proc, start, waitFor } from '../process/supervisor.js';
import type { ProcessTier } from '../process/tier.js';
import { timeouts } from '../timeouts.js';
import { findDeployment, mapPod, type ProcessSpec, runProbe } from './pod.js';
import { renderWorker, type WorkerRender } from './render.js';

export const JOBS_ROOT = join(pyDir, 'nautobot', 'jobs');

/** Version of the Nautobot package in the virtualenv. */
export function nautobotVersion(): string {
  const site = join(root(), '.venv', 'lib');
  for (const py of existsSync(site) ? readdirSafe(site) : []) {
    const dir = join(site, py, 'site-packages');
    for (const e of readdirSafe(dir)) {
      const m = e.match(/^nautobot-(\d+\.\d+\.\d+)\.dist-info$/);
      if (m) return m[1]!;
    }
  }
  throw new Error('Nautobot is not installed in .venv.\nEither: run `pnpm tools:install`');
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** The cache folder (git-ignored): `$UNDERSTACK_E2E_CACHE`, else `$XDG_CACHE_HOME/understack-e2e`, else `<repo>/.cache/e2e`. */
export function cacheDir(): string {
  if (process.env.UNDERSTACK_E2E_CACHE) return process.env.UNDERSTACK_E2E_CACHE;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'understack-e2e');
  return join(root(), '.cache', 'e2e');
}

/** Names of every migration Nautobot ships (a new migration changes the snapshot key). */
function migrationNames(): string[] {
  const base = join(root(), '.venv', 'lib');
  const out: string[] = [];
  for (const py of readdirSafe(base)) {
    const walk = (dir: string, depth: number): void => {
      for (const e of readdirSafe(dir)) {
        if (e === '__pycache__' || e === 'tests' || e === 'static' || e === 'node_modules') continue;
        const p = join(dir, e);
        if (e === 'migrations')
          out.push(
            ...readdirSafe(p)
              .filter((f) => f.endsWith('.py'))
              .map((f) => `${dir}/${f}`),
          );
        else if (depth < 4 && !e.includes('.')) walk(p, depth + 1);
      }
    };
    walk(join(base, py, 'site-packages', 'nautobot'), 0);
  }
  return out.sort();
}

/**
 * The migrated PostgreSQL data directory for this Nautobot version, migrations and PostgreSQL version: warm runs start
 * from it and skip `migrate`. Keyed by a hash, so a Nautobot upgrade or a new lockfile migrates afresh.
 */
export function snapshotDir(pgVersion: string): string {
  const lock = readFileSync(join(root(), 'requirements.lock'), 'utf8');
  const key = createHash('sha256')
    .update(`${nautobotVersion()}\n${pgVersion}\n${lock}\n${migrationNames().join('\n')}`)
    .digest('hex')
    .slice(0, 16);
  return join(cacheDir(), `pgdata-nautobot-${nautobotVersion()}-${key}`);
}

/** The PostgreSQL server version (`postgres --version`), part of the snapshot key. */
export function postgresVersion(): string {
  return execFileSync(join(postgresDir().bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
}

export interface ScenarioResult {
  ok: boolean;
  error?: string;
  type?: string;
  [k: string]: unknown;
}

export class NautobotSide {
  readonly configFile: string;
  readonly dir: string;
  worker?: Proc;
  workerSpec?: ProcessSpec;
  /** Set when the rendered image tag differs from the virtualenv's Nautobot version. */
  imageMismatch?: string;

  constructor(
    readonly tier: ProcessTier,
    readonly workerObjects: K8sObject[],
  ) {
    this.dir = join(tier.runDir, 'nautobot');
    mkdirSync(this.dir, { recursive: true });
    const cm = workerObjects.find(
      (o) =>
        o.kind === 'ConfigMap' && 'data' in o && (o as { data?: Record<string, string> }).data?.['nautobot_config.py'],
    ) as { data: Record<string, string> } | undefined;
    if (!cm) throw new Error('the rendered worker has no ConfigMap with nautobot_config.py');
    this.configFile = join(this.dir, 'nautobot_config.py');
    writeFileSync(this.configFile, cm.data['nautobot_config.py']!);
  }

  /** The global web/Celery pods' environment: in-cluster endpoints, the same nautobot_config.py, a client certificate. */
  globalEnv(): Record<string, string> {
    const t = this.tier;
    const c = t.certs[t.globalClient]!;
    const pg = t.direct('postgres');
    const redis = t.direct('redis');
    return {
      PATH: `${join(root(), '.venv', 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: this.dir,
      LANG: 'C.UTF-8',
      NAUTOBOT_ROOT: join(this.dir, 'root'),
      NAUTOBOT_CONFIG: this.configFile,
      NAUTOBOT_JOBS_ROOT: JOBS_ROOT,
      NAUTOBOT_SECRET_KEY: t.secretValues['nautobot-django/NAUTOBOT_SECRET_KEY']!,
      NAUTOBOT_DB_ENGINE: 'django.db.backends.postgresql',
      NAUTOBOT_DB_HOST: 'localhost',
      NAUTOBOT_DB_PORT: String(pg.port),
      NAUTOBOT_DB_NAME: t.cnpg.database,
      NAUTOBOT_DB_USER: DB_USER,
      NAUTOBOT_DB_PASSWORD: t.secretValues['nautobot-db/password']!,
      NAUTOBOT_DB_SSLMODE: 'verify-full',
      NAUTOBOT_MTLS_DIR: c.dir,
      NAUTOBOT_REDIS_HOST: 'localhost',
      NAUTOBOT_REDIS_PORT: String(redis.port),
      NAUTOBOT_REDIS_SSL: 'True',
      NAUTOBOT_REDIS_PASSWORD: t.secretValues['nautobot-redis/password']!,
      NAUTOBOT_REDIS_SSL_CERT_REQS: 'required',
      NAUTOBOT_REDIS_SSL_CA_CERTS: c.ca,
      NAUTOBOT_REDIS_SSL_CERTFILE: c.crt,
      NAUTOBOT_REDIS_SSL_KEYFILE: c.key,
    };
  }

  /** Runs py/nautobot/scenario.py with the global environment. */
  async scenario(
    args: string[],
    env: Record<string, string> = this.globalEnv(),
    wrap?: (a: string[]) => string[],
  ): Promise<ScenarioResult> {
    const argv = [venvBin('python'), join(pyDir, 'nautobot', 'scenario.py'), ...args];
    const [file, ...rest] = wrap ? wrap(argv) : argv;
    const r = await run(file!, rest, { env, extendEnv: false, reject: false, timeout: timeouts.job });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as ScenarioResult;
    } catch {
      return {
        ok: false,
        type: 'ScenarioCrashed',
        error: `scenario.py ${args[0]} exited ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`,
      };
    }
  }

  /** Migrates the database, or starts from a migrated snapshot; returns how long migrate took (0 when skipped). */
  async migrate(): Promise<number> {
    const started = Date.now();
    step('nautobot-server migrate (cold: several minutes; the result is kept for later runs)');
    const log = join(this.tier.logDir, 'nautobot-migrate.log');
    const r = await run(venvBin('nautobot-server'), ['migrate', '--no-input'], {
      env: this.globalEnv(),
      extendEnv: false,
      reject: false,
      timeout: timeouts.migrate,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    writeFileSync(log, out);
    if (r.exitCode !== 0)
      throw new Error(
        `nautobot-server migrate failed (exit ${r.exitCode}); log: ${log}\n${out.trim().split('\n').slice(-15).join('\n')}`,
      );
    return Date.now() - started;
  }

  /** Saves the migrated data directory for later runs. */
  async saveSnapshot(dest: string): Promise<void> {
    step(`saving the migrated database to ${dest}`);
    await this.tier.postgres.stop();
    const tmp = `${dest}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(dest, '..'), { recursive: true });
    cpSync(this.tier.postgres.dataDir, tmp, { recursive: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    await this.tier.postgres.start();
  }

  /** Maps the rendered worker Deployment for this run (mTLS secret folder = `clientCert`). */
  mapWorker(clientCertDir: string, podName = 'nautobot-worker-default-e2e'): ProcessSpec {
    const t = this.tier;
    return mapPod(this.workerObjects, findDeployment(this.workerObjects), {
      secretValues: {
        'nautobot-db': { password: t.secretValues['nautobot-db/password']! },
        'nautobot-redis': { password: t.secretValues['nautobot-redis/password']! },
        'nautobot-django': { NAUTOBOT_SECRET_KEY: t.secretValues['nautobot-django/NAUTOBOT_SECRET_KEY']! },
      },
      secretDirs: { 'nautobot-mtls-client': clientCertDir },
      podName,
      namespace: 'nautobot',
      root: join(this.dir, podName),
      executables: { 'nautobot-server': venvBin('nautobot-server') },
    });
  }

  /** The environment a site process gets: the pod's, plus what the image provides and the tier needs. */
  siteEnv(spec: ProcessSpec): Record<string, string> {
    return {
      PATH: `${join(root(), '.venv', 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: join(this.dir, 'home'),
      LANG: 'C.UTF-8',
      NAUTOBOT_JOBS_ROOT: JOBS_ROOT,
      ...(this.tier.siteEnv() as Record<string, string>),
      ...spec.env,
    };
  }

  /** Env keys the loopback fallback adds for site processes, blanked for a global-side process. */
  nonSite(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of Object.keys(this.tier.siteEnv())) out[k] = '';
    return out;
  }

  /** Runs the pod's init containers for real, in order (a failing one fails the pod, as in Kubernetes). */
  async runInits(spec: ProcessSpec, env: Record<string, string>): Promise<void> {
    for (const init of spec.initContainers) {
      step(`init container ${init.name}`);
      const argv = this.tier.siteArgv(init.argv);
      const r = await run(argv[0]!, argv.slice(1), { env: { ...env, ...init.env }, extendEnv: false, reject: false });
      writeFileSync(join(this.tier.logDir, `init-${init.name}.log`), `${r.stdout}${r.stderr}`, { flag: 'a' });
      if (r.exitCode !== 0)
        throw new Error(`init container ${init.name} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    }
  }

  /**
   * Starts the worker from a mapped pod: on the site (default), or with `global: true` on the global side (the
   * benchmark's direct-path worker, which bypasses the gateway).
   */
  async startWorker(spec: ProcessSpec, opts: { name?: string; global?: boolean } = {}): Promise<Proc> {
    const env = opts.global ? { ...this.siteEnv(spec), ...this.nonSite() } : this.siteEnv(spec);
    await this.runInits(spec, env);
    const v = nautobotVersion();
    // The process tier runs the virtualenv's Nautobot, not the image: a different tag is reported, not fatal, so the
    // transport proof does not hinge on the example's image pin (the kind tier runs the image itself).
    this.imageMismatch = spec.image.endsWith(`:${v}`)
      ? undefined
      : `the worker image is ${spec.image}; the process tier runs Nautobot ${v} from .venv`;
    if (this.imageMismatch) step(`note: ${this.imageMismatch}`);
    const w = start(
      { name: opts.name ?? 'nautobot-worker', argv: opts.global ? spec.argv : this.tier.siteArgv(spec.argv), env },
      this.tier.logDir,
    );
    if (!opts.global) {
      this.workerSpec = spec;
      this.worker = w;
    }
    await waitFor(
      'the worker readiness probe',
      () => {
        if (!w.running) throw new Error(`the worker exited (code ${w.code}):\n${w.tail(40)}`);
        return runProbe(spec.probes.readiness ?? spec.probes.startup, env);
      },
      timeouts.workerReady,
    );
    step(`${opts.name ?? 'site worker'} ready`);
    return w;
  }

  /** Polls until every JobResult is in a final state; returns them. */
  async waitJobs(
    ids: string[],
    ms: number = timeouts.job,
  ): Promise<Record<string, { status: string; worker: string; result: unknown; queue: string }>> {
    let last: ScenarioResult | undefined;
    try {
      return await waitFor(
        `${ids.length} job(s) to finish`,
        async () => {
          const s = await this.scenario(['status', ...ids]);
          last = s;
          if (!s.ok) throw new Error(s.error);
          const rows = Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'ok')) as Record<
            string,
            { status: string; worker: string; result: unknown; queue: string }
          >;
          return ids.every((id) => ['SUCCESS', 'FAILURE', 'REVOKED'].includes(rows[id]?.status ?? ''))
            ? rows
            : undefined;
        },
        ms,
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nlast status: ${JSON.stringify(last)}\nworker log:\n${this.worker?.tail(30) ?? ''}`,
      );
    }
  }
}

/** The Celery queue the worker consumes (`--queues=`/`-Q` of the rendered command). */
export function workerQueue(spec: ProcessSpec): string {
  for (let i = 0; i < spec.argv.length; i++) {
    const a = spec.argv[i]!;
    if (a.startsWith('--queues=')) return a.slice('--queues='.length);
    if ((a === '-Q' || a === '--queues') && spec.argv[i + 1]) return spec.argv[i + 1]!;
  }
  throw new Error(`the rendered worker command names no queue (--queues): ${spec.argv.join(' ')}`);
}

/** A started site worker and the global side around it (one per tier). */
export interface WorkerSession {
  side: NautobotSide;
  spec: ProcessSpec;
  worker: Proc;
  queue: string;
  render: WorkerRender;
  /** How long `migrate` took in this run (0: the database was already migrated). */
  migrateMs: number;
  /** Worker start to readiness probe passing. */
  readyMs: number;
}

const sides = new WeakMap<object, Promise<{ side: NautobotSide; render: WorkerRender; migrateMs: number }>>();
const sessions = new WeakMap<object, Promise<WorkerSession>>();

/** The global Nautobot side of a tier: rendered worker, migrated database (memoised per tier). */
export function globalSide(
  tier: ProcessTier,
): Promise<{ side: NautobotSide; render: WorkerRender; migrateMs: number }> {
  let p = sides.get(tier);
  if (!p) {
    p = (async () => {
      const render = await renderWorker();
      step(`worker from ${render.source}`);
      const side = new NautobotSide(tier, render.objects);
      tier.addArtifacts((dir) => writeWorkerArtifacts(tier, side, render, join(dir, 'worker')));
      let migrateMs = 0;
      const rows = await tier.sql("select to_regclass('public.extras_job')::text", tier.cnpg.database);
      if (!rows[0]?.[0]) {
        migrateMs = await side.migrate();
        step(`migrate took ${(migrateMs / 1000).toFixed(1)} s`);
        const snap = snapshotDir(postgresVersion());
        if (!existsSync(snap)) await side.saveSnapshot(snap);
      }
      return { side, render, migrateMs };
    })();
    sides.set(tier, p);
  }
  return p;
}

/**
 * The worker's part of a failure's artifacts: the render (its command and objects, Secret data dropped),
 * nautobot_config.py, and the mapped pod spec (argv, env with this run's secret values redacted, mounts, probes).
 */
function writeWorkerArtifacts(tier: ProcessTier, side: NautobotSide, render: WorkerRender, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const objects = render.objects.map((o) =>
    o.kind === 'Secret' ? { ...o, data: '<dropped>', stringData: '<dropped>' } : o,
  );
  writeFileSync(
    join(dir, 'rendered.yaml'),
    tier.redact(`# ${render.source}\n${objects.map((o) => stringify(o)).join('---\n')}`),
  );
  writeFileSync(join(dir, 'nautobot_config.py'), readFileSync(side.configFile, 'utf8'));
  if (side.workerSpec) {
    const { argv, env, mounts, probes, image, initContainers } = side.workerSpec;
    writeFileSync(
      join(dir, 'pod.json'),
      tier.redact(JSON.stringify({ image, argv, env, mounts, probes, initContainers }, null, 2)),
    );
  }
}

/** Starts the site worker from the rendered Deployment (memoised per tier; stopped by `tier.down()`). */
export function workerSession(tier: ProcessTier): Promise<WorkerSession> {
  let p = sessions.get(tier);
  if (!p) {
    p = (async () => {
      const { side, render, migrateMs } = await globalSide(tier);
      const spec = side.mapWorker(tier.certs[pkiNames.client]!.dir);
      const queue = workerQueue(spec);
      const prepared = await side.scenario(['prepare', queue]);
      if (!prepared.ok)
        throw new Error(`preparing the site's JobQueue ${queue} failed: ${prepared.type}: ${prepared.error}`);
      const t0 = Date.now();
      const worker = await side.startWorker(spec);
      tier.defer(() => worker.stop());
      return { side, spec, worker, queue, render, migrateMs, readyMs: Date.now() - t0 };
    })();
    sessions.set(tier, p);
  }
  return p;
}

/** A variation of the pod for a negative case: a changed Secret folder and/or changed env (undefined removes). */
export interface PodVariant {
  /** Folder-safe name (also the pod name suffix). */
  name: string;
  /** Changes the copy of `nautobot-mtls-client` this pod mounts. */
  secret?: (dir: string) => void;
  env?: Record<string, string | undefined>;
  /**
   * Run on the global side (a pod inside the global cluster: straight to the servers, no gateway, no site namespace
   * or resolver shim) instead of on the site.
   */
  global?: boolean;
}

/** The pod of a variant: its own copy of the client Secret (changed as the variant says), mapped, its env changed. */
async function variantPod(
  tier: ProcessTier,
  variant: PodVariant,
): Promise<{ side: NautobotSide; spec: ProcessSpec; env: Record<string, string> }> {
  const { side } = await globalSide(tier);
  const dir = join(tier.runDir, 'variants', variant.name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(tier.certs[pkiNames.client]!.dir, dir, { recursive: true });
  variant.secret?.(dir);
  const spec = side.mapWorker(dir, `nautobot-worker-default-${variant.name}`);
  const env = variant.global ? { ...side.siteEnv(spec), ...side.nonSite() } : side.siteEnv(spec);
  for (const [k, v] of Object.entries(variant.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return { side, spec, env };
}

/**
 * Runs the cheap one-shot equivalent of the worker's start (`scenario.py check`: Nautobot settings load, then one
 * database connection, one Django cache write and one Celery broker connection, each reported on its own) on the site,
 * with the pod's env and mounts mapped from the rendered Deployment and changed as the variant says. It exercises the
 * same nautobot_config.py, client libraries and paths as `celery worker` does at start.
 */
export async function siteCheck(tier: ProcessTier, variant: PodVariant): Promise<ScenarioResult> {
  const { side, spec, env } = await variantPod(tier, variant);
  try {
    await side.runInits(spec, env);
  } catch (error) {
    return { ok: false, type: 'InitContainerFailed', error: (error as Error).message };
  }
  return side.scenario(['check'], env, variant.global ? undefined : (a) => tier.siteArgv(a));
}

/**
 * Starts the real `celery worker` of a variant pod (on the site, init containers first) and watches it: the attempt
 * ends when its log matches `failure` (the worker failed the way the case expects: the matching log lines are the
 * error), when it becomes ready (ok), when it exits, or after `timeouts.workerFail`. The worker is always stopped.
 */
export async function siteWorkerAttempt(tier: ProcessTier, variant: PodVariant, failure: RegExp): Promise<Outcome> {
  const { side, spec, env } = await variantPod(tier, variant);
  try {
    await side.runInits(spec, env);
  } catch (error) {
    return { ok: false, error: `InitContainerFailed: ${(error as Error).message}` };
  }
  const name = `nautobot-worker-${variant.name}`;
  const w = start({ name, argv: tier.siteArgv(spec.argv), env }, tier.logDir);
  try {
    return await waitFor(
      `${name} to fail (${failure}) or become ready`,
      () => {
        const log = readFileSync(w.log, 'utf8');
        const hits = log.split('\n').filter((l) => failure.test(l));
        if (hits.length) return { ok: false, error: hits.slice(0, 3).join('\n'), detail: { log: w.log } } as Outcome;
        if (!w.running) return { ok: false, error: `the worker exited (code ${w.code}):\n${w.tail(20)}` } as Outcome;
        if (runProbe(spec.probes.readiness ?? spec.probes.startup, env)) return { ok: true } as Outcome;
        return undefined;
      },
      timeouts.workerFail,
    );
  } finally {
    await w.stop();
  }
}

/**
 * The migrated snapshot for this Nautobot/PostgreSQL, if the cache has one: pass it as `postgresDataDir` when
 * building a process tier so warm runs skip `migrate` (`createTier('process')`, the vitest files and the bench do).
 */
export function migratedSnapshot(): string | undefined {
  const snap = snapshotDir(postgresVersion());
  return existsSync(snap) ? snap : undefined;
}
