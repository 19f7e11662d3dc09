/**
 * Teardown of the Docker tiers as data: each tier turns what it created into a list of commands (a pure function, unit
 * tested), and the same list runs from `down()` and, synchronously, from the SIGINT/SIGTERM hook of the supervisor
 * (`onExit`), the mechanism the process tier uses for its processes, network namespaces and run folder.
 */
import { spawnSync } from 'node:child_process';

/** One teardown command: what it removes, and the argv that removes it. */
export interface TeardownCommand {
  what: string;
  argv: string[];
}

/**
 * Runs a teardown plan synchronously (a signal hook cannot wait for promises). Failures are returned, each naming the
 * command to run by hand, never thrown: the other commands still run.
 */
export function runTeardownSync(plan: readonly TeardownCommand[], timeoutMs: number): string[] {
  const failures: string[] = [];
  for (const c of plan) {
    const r = spawnSync(c.argv[0]!, c.argv.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
      const tail = (r.stderr ?? '').trim().split('\n').slice(-3).join(' ');
      failures.push(`removing ${c.what} failed (${why})${tail ? `: ${tail}` : ''}\n  by hand: ${c.argv.join(' ')}`);
    }
  }
  return failures;
}
