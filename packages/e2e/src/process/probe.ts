/**
 * Client connections made with the worker's own libraries (psycopg2 on libpq 17, redis-py) through py/probe.py,
 * from the global side or from inside the site's network namespace.
 */
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { pyDir, venvBin } from '../paths.js';
import { timeouts } from '../timeouts.js';

export interface ProbeResult {
  ok: boolean;
  rows?: unknown;
  ms?: number[];
  error?: string;
  type?: string;
}

export interface ProbeContext {
  /** Wraps argv to run somewhere else (the site namespace). */
  wrap?: (argv: string[]) => string[];
  env?: NodeJS.ProcessEnv;
}

async function probe(request: Record<string, unknown>, ctx: ProbeContext = {}): Promise<ProbeResult> {
  const argv = [venvBin('python'), join(pyDir, 'probe.py')];
  const [file, ...args] = ctx.wrap ? ctx.wrap(argv) : argv;
  const r = await run(file!, args, {
    input: JSON.stringify(request),
    env: { ...process.env, ...ctx.env },
    timeout: timeouts.connect * Math.max(1, Number(request.repeat ?? 1)) + 10_000,
    reject: false,
  });
  if (r.exitCode !== 0 || !r.stdout.trim())
    return {
      ok: false,
      type: 'ProbeFailed',
      error: `probe exited ${r.exitCode}: ${r.stderr.trim().split('\n').pop()}`,
    };
  return JSON.parse(r.stdout) as ProbeResult;
}

/** libpq keywords (host, hostaddr, port, sslmode, sslnegotiation, sslcert, ...). */
export type PgConn = Record<string, string | number>;

export function pgProbe(
  conn: PgConn,
  sql = 'select 1',
  ctx?: ProbeContext,
  repeat = 1,
  params?: unknown[],
): Promise<ProbeResult> {
  return probe(
    { kind: 'pg', conn: { connect_timeout: Math.ceil(timeouts.connect / 1000), ...conn }, sql, params, repeat },
    ctx,
  );
}

/** redis-py `Redis(...)` keyword arguments. */
export type RedisConn = Record<string, string | number | boolean>;

export function redisProbe(
  conn: RedisConn,
  command: string[] = ['PING'],
  ctx?: ProbeContext,
  repeat = 1,
): Promise<ProbeResult> {
  return probe(
    {
      kind: 'redis',
      conn: {
        decode_responses: true,
        socket_connect_timeout: timeouts.connect / 1000,
        socket_timeout: timeouts.connect / 1000,
        ...conn,
      },
      command,
      repeat,
    },
    ctx,
  );
}

/** A query that must succeed; returns its rows. Secrets go in `params` (never printed). */
export async function pgQuery(conn: PgConn, sql: string, ctx?: ProbeContext, params?: unknown[]): Promise<unknown[][]> {
  const r = await pgProbe(conn, sql, ctx, 1, params);
  if (!r.ok) throw new Error(`query failed (${r.type}): ${r.error}\n  sql: ${sql}`);
  return r.rows as unknown[][];
}
