/**
 * Starts and stops the real server processes of the process tier. Every child gets its own process group (so a
 * shell wrapper and its children die together), writes stdout+stderr to `<logs>/<name>.log`, and is registered so
 * that teardown — normal, on failure, or on Ctrl-C/SIGTERM — leaves no stray process behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { step } from '../log.js';
import { timeouts } from '../timeouts.js';

export interface SpawnSpec {
  /** Short name, also the log file name. */
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class Proc {
  readonly log: string;
  private exitCode: number | null = null;
  private exited: Promise<number | null>;

  constructor(
    readonly spec: SpawnSpec,
    readonly child: ChildProcess,
    log: string,
  ) {
    this.log = log;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        live.delete(this);
        resolve(this.exitCode);
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last `lines` lines of the process log. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.log, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM the process group, SIGKILL after the stop timeout. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    killGroup(this.child, signal);
    const timer = setTimeout(() => killGroup(this.child, 'SIGKILL'), timeouts.stop);
    await this.exited;
    clearTimeout(timer);
  }

  wait(): Promise<number | null> {
    return this.exited;
  }

  get code(): number | null {
    return this.exitCode;
  }
}

const live = new Set<Proc>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Starts a process with its output in `<logDir>/<name>.log`. */
export function start(spec: SpawnSpec, logDir: string): Proc {
  const log = join(logDir, `${spec.name}.log`);
  const fd = openSync(log, 'a');
  step(`start ${spec.name}`);
  const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  const proc = new Proc(spec, child, log);
  live.add(proc);
  installSignalHandlers();
  return proc;
}

/** Stops every process this module started (synchronous SIGKILL when the Node process itself is exiting). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

let handlersInstalled = false;
function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const p of live) killGroup(p.child, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const p of live) killGroup(p.child, 'SIGKILL');
      for (const hook of exitHooks) {
        try {
          hook();
        } catch {
          /* best effort */
        }
      }
      // The shell convention: 128 + the signal number (SIGINT 130, SIGTERM 143).
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    });
  }
}

/** Synchronous cleanups (network namespaces, temp dirs) that must also run on Ctrl-C. */
const exitHooks = new Set<() => void>();
export function onExit(hook: () => void): () => void {
  exitHooks.add(hook);
  installSignalHandlers();
  return () => exitHooks.delete(hook);
}

/** Resolves once `host:port` accepts a TCP connection; rejects with the process log tail on timeout or exit. */
export async function waitForPort(host: string, port: number, proc?: Proc, ms: number = timeouts.serverReady) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await canConnect(host, port)) return;
    if (proc && !proc.running)
      throw new Error(
        `${proc.spec.name} exited (code ${proc.code}) before listening on ${host}:${port}:\n${proc.tail()}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `${proc?.spec.name ?? 'server'} did not listen on ${host}:${port} within ${ms} ms${proc ? `:\n${proc.tail()}` : ''}`,
      );
    await sleep(timeouts.poll.fast);
  }
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(timeouts.poll.connectAttempt);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(timeouts.poll.condition);
  }
}
