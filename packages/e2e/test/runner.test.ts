/**
 * The runner on the real process tier: a failing case yields a failed report whose artifacts folder holds every
 * process log and the generated configs (secrets redacted, no private keys); teardown leaves nothing behind, also
 * when the run is interrupted with SIGINT (Ctrl-C).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Case } from '../src/cases/index.js';
import { packageDir } from '../src/paths.js';
import { ProcessTier } from '../src/process/tier.js';
import { runScenario } from '../src/runner.js';

/** Names of the network namespaces on this machine (other runs may have their own: compare names exactly). */
const netnsList = (): string[] => {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter(Boolean);
  } catch {
    return [];
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe(runScenario, () => {
  it('should report the failure, name an artifacts folder with every log and config, and tear down when a case fails', async () => {
    const tier = new ProcessTier();
    const cases: Case[] = [
      {
        id: 'always-ok',
        group: 'transport',
        title: 'a case that passes',
        expect: { ok: true },
        run: async (t) => ({ ok: (await t.sql('select 1'))[0]?.[0] === '1' }),
      },
      {
        id: 'expects-the-wrong-error',
        group: 'transport',
        title: 'a case whose expectation does not match',
        expect: { ok: false, error: /this error never happens/ },
        run: async () => ({ ok: false, error: 'something else' }),
      },
    ];
    let pids: number[] = [];
    tier.defer(() => {
      pids = [tier.postgres, tier.redisServer, tier.envoy].map(
        (s) => (s as unknown as { proc: { child: { pid: number } } }).proc.child.pid,
      );
    });
    const report = await runScenario(tier, cases);
    try {
      expect(report.status).toBe('failed');
      expect(report.results.map((r) => r.status)).toEqual(['passed', 'failed']);
      expect(report.message).toBe('1 of 2 case(s) failed: expects-the-wrong-error');
      expect(report.results[1]!.message).toMatch(
        /expected an error matching \/this error never happens\/, got: something else/,
      );
      const dir = report.artifacts!;
      expect(readdirSync(join(dir, 'logs')).sort()).toEqual(
        expect.arrayContaining(['envoy.log', 'postgres.log', 'redis.log']),
      );
      for (const f of [
        'inputs/cnpg-cluster.yaml',
        'inputs/envoy-configs.yaml',
        'envoy.yaml',
        'pg_hba.conf',
        'postgresql.auto.conf',
        'redis.conf',
        'inputs.json',
        'REASON.txt',
      ])
        expect(existsSync(join(dir, f)), f).toBe(true);
      expect(readFileSync(join(dir, 'redis.conf'), 'utf8')).toMatch(/^requirepass <redacted>$/m);
      const everything = readdirSync(dir, { recursive: true }).map(String);
      expect(everything.filter((f) => f.endsWith('.key'))).toEqual([]);
      rmSync(dir, { recursive: true, force: true });
      // Teardown: processes gone, run folder (private keys) gone, network namespace gone.
      expect(pids.length).toBe(3);
      expect(pids.filter(alive)).toEqual([]);
      expect(existsSync(tier.runDir)).toBe(false);
      if (tier.netns) expect(netnsList()).not.toContain(tier.netns.name);
    } finally {
      await tier.down();
    }
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'should leave no process, namespace or key behind when %s arrives while the servers run',
    async (signal, exit) => {
      const child = spawn(
        process.execPath,
        [
          join(packageDir, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
          'src/cli.ts',
          '--tier',
          'process',
          '--only',
          'pg-mtls-through-gateway',
        ],
        {
          cwd: packageDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let err = '';
      const up = new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          err += String(d);
          if (err.includes('global side up')) resolve();
        });
        child.on('exit', () => reject(new Error(`the CLI exited before the servers were up:\n${err}`)));
      });
      await up;
      const runDir = err.match(/run folder (\S+)/)?.[1];
      const redisPort = err.match(/redis (\d+),/)?.[1];
      const ns = err.match(/network namespace (us-e2e-\S+)/)?.[1];
      expect(runDir).toBeDefined();
      const mine = () =>
        execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
          .split('\n')
          .filter(
            (l) =>
              l.includes(runDir!) || (redisPort !== undefined && l.includes(`redis-server 127.0.0.1:${redisPort}`)),
          );
      // postgres and envoy name the run folder in their arguments; redis-server retitles itself `redis-server host:port`.
      expect(mine().length).toBeGreaterThanOrEqual(3);
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(exit);
      if (ns) expect(netnsList()).not.toContain(ns);
      expect(existsSync(runDir!)).toBe(false);
      expect(mine()).toEqual([]);
    },
  );
});
