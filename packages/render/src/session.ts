/**
 * A render session: one private temp folder (removed on exit and on Ctrl-C), a bounded pool for tool processes,
 * the output cache, the per-process hasher and the log of every command issued (for `--verbose`, tests and the
 * benchmark's sequential replay).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Hasher, type OutputCache, sha256 } from './cache.js';
import { RenderError } from './errors.js';
import { parseUserYaml } from './manifests.js';
import { formatCommand, redactText, secretValues } from './redact.js';

/** One helm/kustomize invocation as the renderer issued it. */
export interface ToolCommand {
  /** Absolute path of the binary. */
  bin: string;
  args: string[];
  cwd: string;
  /** Extra environment the command ran with (Helm home folders), beyond the cleaned parent environment. */
  env: Record<string, string>;
  /** Redacted printable command line. */
  display: string;
  /** True when the output came from the cache and no process ran. */
  cached: boolean;
  /** Exit code (0 for cached results). */
  exitCode: number;
  /** The tool's stdout (only kept when the session records outputs). */
  stdout?: string;
  durationMs: number;
  /** True for a command Argo would run but the renderer satisfied offline (e.g. `helm pull` of a mapped chart). */
  offline?: boolean;
}

/** Options of {@link Session}. */
export interface SessionOptions {
  /** Maximum concurrent tool processes (default: available cores). */
  concurrency?: number;
  /** Output cache; omit to always run the tools. */
  cache?: OutputCache;
  /** Keep each command's stdout in {@link Session.commands} (tests, benchmark). */
  recordOutputs?: boolean;
  /** Use this folder for temp files and do not delete it (benchmark replay needs the files). */
  workDir?: string;
}

const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

const interruptCleanups: (() => void)[] = [];

/** Registers a synchronous cleanup for SIGINT/SIGTERM (git worktrees...); the CLI's handler runs them. */
export function onInterrupt(fn: () => void): void {
  interruptCleanups.push(fn);
}

/** Runs and forgets the registered interrupt cleanups (newest first). */
export function runInterruptCleanups(): void {
  for (const fn of interruptCleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
}

/** Removes every live session folder now (the CLI calls this from its SIGINT/SIGTERM handler). */
export function removeAllSessionDirs(): void {
  for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  liveDirs.clear();
}

/**
 * Go runtime settings for the short-lived helm/kustomize processes: no garbage collection until the heap reaches
 * 768 MiB (a typical `helm template` never gets there, so it never collects; a huge chart still does). This cuts
 * ~15-25% of each run's CPU on small machines without changing any output. `UNDERSTACK_RENDER_GO_TUNING=0` turns it off.
 */
export const GO_TUNING: Readonly<Record<string, string>> = { GOGC: 'off', GOMEMLIMIT: '768MiB' };

/**
 * The environment tools run with: the caller's, minus anything that would point helm/kustomize at the user's
 * repositories, plugins, registries or cluster (`HELM_*`, `KUBECONFIG`, `KUSTOMIZE_*`, `ARGOCD_*`).
 */
function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k.startsWith('HELM_') || k === 'KUBECONFIG' || k.startsWith('KUSTOMIZE_') || k.startsWith('ARGOCD_')) continue;
    out[k] = v;
  }
  if (process.env['UNDERSTACK_RENDER_GO_TUNING'] !== '0') Object.assign(out, GO_TUNING);
  return out;
}

/** A running render session; call {@link Session.dispose} (or use `await using`). */
export class Session {
  readonly tmp: string;
  readonly hasher = new Hasher();
  readonly commands: ToolCommand[] = [];
  /** Temp input files written (path -> content), kept only when recording outputs (for replays). */
  readonly tempFiles = new Map<string, string>();
  readonly concurrency: number;
  private active = 0;
  private queue: (() => void)[] = [];
  private seq = 0;
  private readonly baseEnv = cleanEnv();
  private readonly keep: boolean;

  constructor(readonly options: SessionOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    if (options.workDir) {
      mkdirSync(options.workDir, { recursive: true });
      this.tmp = options.workDir;
      this.keep = true;
    } else {
      this.tmp = mkdtempSync(join(tmpdir(), 'understack-render-'));
      this.keep = false;
      liveDirs.add(this.tmp);
      installExitHook();
    }
  }

  get cache(): OutputCache | undefined {
    return this.options.cache;
  }

  private readonly memo = new Map<string, unknown>();

  /** Runs `fn` once per key for the session's lifetime (file-system checks of unchanged trees). */
  once<T>(key: string, fn: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const v = fn();
    this.memo.set(key, v);
    return v;
  }

  /**
   * Reads and parses a user YAML file once per session; with a cache, the parse of identical content is reused
   * across runs (parsing dominates warm re-renders). Errors still point at file:line.
   */
  readYaml(file: string): unknown {
    return this.once(`yaml\0${file}`, () => {
      const text = readFileSync(file, 'utf8');
      const cache = this.cache;
      if (!cache) return parseUserYaml(text, file);
      const key = sha256(text);
      const hit = cache.getJson<{ v: unknown }>('parsed', key);
      if (hit) return hit.v;
      const v = parseUserYaml(text, file);
      cache.setJson('parsed', key, { v });
      return v;
    });
  }

  /** A fresh folder below the session's temp root. */
  tempDir(prefix: string): string {
    const d = join(this.tmp, `${prefix}-${++this.seq}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Writes `content` to a content-addressed file below the temp root (same content, same path). */
  tempFile(name: string, content: string): string {
    const p = this.tempFilePath(name, content);
    this.writeTempFile(p, content);
    return p;
  }

  /** The path {@link tempFile} would write, without writing (a cache hit then never touches the disk). */
  tempFilePath(name: string, content: string): string {
    return join(this.tmp, 'files', sha256(content).slice(0, 16), name);
  }

  /** Writes a file at a {@link tempFilePath} path (once per session). */
  writeTempFile(p: string, content: string): void {
    this.once(`tempfile\0${p}`, () => {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      if (this.options.recordOutputs) this.tempFiles.set(p, content);
      return true;
    });
  }

  private async acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }

  /**
   * Runs a tool (bounded by the pool). With `cacheKey` and a cache, a hit returns the stored stdout without running.
   * `helmHome` gives the call a private, empty Helm home (config, cache and data folders).
   * Fails with a {@link RenderError} showing the redacted command, exit code and stderr tail.
   */
  async run(spec: {
    bin: string;
    args: string[];
    cwd: string;
    helmHome?: boolean;
    cacheKey?: string;
    /** Return failures instead of throwing (for retry logic). */
    allowFailure?: boolean;
    /** Extra environment (e.g. ARGOCD_APP_* for kustomize). */
    env?: Record<string, string>;
    /**
     * The equivalent command on the user's checkout, recorded and shown instead of `args`/`cwd` (which run on a
     * private, unmodified copy of the same files, so the output is the same).
     */
    recordAs?: { args: string[]; cwd: string };
    /** Runs just before the process starts (not on a cache hit): e.g. writing its temp input files. */
    prepare?: () => void;
  }): Promise<{ stdout: string; stderr: string; exitCode: number; cached: boolean }> {
    const recArgs = spec.recordAs?.args ?? spec.args;
    const recCwd = spec.recordAs?.cwd ?? spec.cwd;
    const display = formatCommand(spec.bin, recArgs);
    const key = spec.cacheKey;
    if (key && this.cache) {
      const hit = this.cache.get(key);
      if (hit !== undefined) {
        this.commands.push({
          bin: spec.bin,
          args: recArgs,
          cwd: recCwd,
          env: {},
          display,
          cached: true,
          exitCode: 0,
          durationMs: 0,
          ...(this.options.recordOutputs ? { stdout: hit } : {}),
        });
        return { stdout: hit, stderr: '', exitCode: 0, cached: true };
      }
    }
    spec.prepare?.();
    await this.acquire();
    const started = performance.now();
    let home: string | undefined;
    try {
      const extra: Record<string, string> = { ...spec.env };
      if (spec.helmHome) {
        // A private, empty Helm home per call. helm creates the folders only if it writes (template never does),
        // so nothing is created up front; whatever appears is removed afterwards.
        home = join(this.tmp, `helm-home-${++this.seq}`);
        extra['HELM_CONFIG_HOME'] = join(home, 'config');
        extra['HELM_CACHE_HOME'] = join(home, 'cache');
        extra['HELM_DATA_HOME'] = join(home, 'data');
      }
      const result = await spawnCollect(spec.bin, spec.args, spec.cwd, { ...this.baseEnv, ...extra });
      const exitCode = result.exitCode;
      // Tools echo their arguments (URLs with user:password, --password values) in errors: scrub before anyone prints.
      const stderr = redactText(result.stderr, secretValues(spec.args));
      this.commands.push({
        bin: spec.bin,
        args: recArgs,
        cwd: recCwd,
        env: extra,
        display,
        cached: false,
        exitCode,
        durationMs: performance.now() - started,
        ...(this.options.recordOutputs ? { stdout: result.stdout } : {}),
      });
      if (exitCode !== 0) {
        if (spec.allowFailure) return { stdout: result.stdout, stderr, exitCode, cached: false };
        throw toolFailure(display, exitCode, stderr, recCwd);
      }
      if (key && this.cache) this.cache.set(key, result.stdout);
      return { stdout: result.stdout, stderr, exitCode, cached: false };
    } finally {
      if (home && !this.keep) rmSync(home, { recursive: true, force: true });
      this.release();
    }
  }

  /** Records a command Argo would run that the renderer satisfied without running it. */
  note(bin: string, args: string[], cwd: string): void {
    this.commands.push({
      bin,
      args,
      cwd,
      env: {},
      display: formatCommand(bin, args),
      cached: false,
      exitCode: 0,
      durationMs: 0,
      offline: true,
    });
  }

  /** Deletes the temp folder (unless it is a caller-provided work dir). */
  dispose(): void {
    if (this.keep) return;
    rmSync(this.tmp, { recursive: true, force: true });
    liveDirs.delete(this.tmp);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Spawns a process and collects its output. Plain `child_process.spawn` (not execa): spawning happens on the main
 * thread and execa roughly doubles its cost, which matters with hundreds of helm runs.
 */
function spawnCollect(
  bin: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  return new Promise((resolvePromise) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolvePromise({ stdout: '', stderr: (e as Error).message, exitCode: 127 });
      return;
    }
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolvePromise({ stdout: '', stderr: e.message, exitCode: 127 }));
    child.on('close', (code, signal) =>
      resolvePromise({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\nkilled by ${signal}` : ''),
        exitCode: code ?? 128,
      }),
    );
  });
}

/** A child-process failure: the (redacted) command, exit code and the tail of stderr. */
export function toolFailure(display: string, exitCode: number, stderr: string, cwd?: string): RenderError {
  const tail = redactText(stderr).trim().split('\n').slice(-15).join('\n');
  return new RenderError(
    'E_TOOL_FAILED',
    `\`${display}\` failed exit status ${exitCode}: ${tail}`,
    `Either: fix the input the tool names above, or reproduce it by running the command${cwd ? ` in ${cwd}` : ''} (--verbose prints every command the renderer runs).`,
  );
}
