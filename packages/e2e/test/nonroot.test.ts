/**
 * The process tier without root: PostgreSQL runs as the current user (no setpriv, no chown), the site shares loopback
 * (no network namespaces), and the link-cut case reports a reasoned skip instead of failing. As root (CI) the CLI is
 * run as `nobody` through setpriv; as any other user it runs as that user. It needs the virtualenv's interpreter to be
 * usable by that user: where it is not (a virtualenv built on a Python under root's 0700 home), the test says so and
 * skips.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { afterAll, describe, expect, it } from 'vitest';
import { packageDir, venvBin } from '../src/paths.js';
import type { RunReport } from '../src/runner.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const drop = (argv: string[]) =>
  isRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...argv] : argv;

/** Why the non-root run cannot happen on this machine (undefined: it can). */
function unavailable(): string | undefined {
  const [file, ...args] = drop([venvBin('python'), '-c', 'import psycopg2, redis, cryptography']);
  const r = spawnSync(file!, args, { encoding: 'utf8', cwd: '/' });
  if (r.status === 0) return undefined;
  return `the virtualenv's Python cannot run as uid ${isRoot ? NOBODY : process.getuid?.()} here (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}): the virtualenv is not usable by that user on this machine`;
}
const why = unavailable();
if (why) process.stderr.write(`nonroot.test.ts skipped: ${why}\n`);

describe.skipIf(why !== undefined)('the process tier as a non-root user', () => {
  const home = mkdtempSync(join(tmpdir(), 'understack-e2e-nonroot-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('should run transport cases on loopback and skip the link cut with its reason', async () => {
    const argv = drop([
      join(packageDir, 'node_modules', '.bin', 'tsx'),
      join(packageDir, 'src', 'cli.ts'),
      '--tier',
      'process',
      '--only',
      'pg-mtls-through-gateway,redis-mtls-through-gateway,pg-no-client-cert,fault-cut-link-30s',
      '--json',
    ]);
    // A private HOME, temp, cache and artifacts folder the user owns (the run folder and tsx's cache live in TMPDIR).
    if (isRoot) await run('chown', [`${NOBODY}:${NOBODY}`, home]);
    const r = await run(argv[0]!, argv.slice(1), {
      reject: false,
      cwd: packageDir,
      env: {
        HOME: home,
        TMPDIR: home,
        UNDERSTACK_E2E_CACHE: join(home, 'cache'),
        UNDERSTACK_E2E_ARTIFACTS: join(home, 'artifacts'),
        E2E_ISOLATION: 'auto',
        UNDERSTACK_E2E_QUIET: '1',
      },
    });
    expect(r.exitCode, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.isolation).toBe('loopback');
    const status = Object.fromEntries(report.results.map((x) => [x.id, x.status]));
    expect(status).toEqual({
      'pg-mtls-through-gateway': 'passed',
      'redis-mtls-through-gateway': 'passed',
      'pg-no-client-cert': 'passed',
      'fault-cut-link-30s': 'skipped',
    });
    expect(report.results.find((x) => x.id === 'fault-cut-link-30s')!.message).toMatch(
      /needs the site in its own network namespace; this run shares loopback \(not running as root\)[\s\S]*E2E_ISOLATION=netns/,
    );
  });
});
