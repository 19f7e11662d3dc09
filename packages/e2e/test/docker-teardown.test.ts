/**
 * Teardown of the Docker tiers when the run is interrupted: the SIGINT/SIGTERM hook (the supervisor's `onExit`, the
 * process tier's mechanism) runs the tier's teardown plan with the real `kind` binary, reports what it could not remove
 * with the command to run by hand, and removes the run folder; `down()` is idempotent. No Docker engine is needed: on
 * this machine `kind delete cluster` fails (no daemon) and the hook must say so rather than hang or stay silent.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainersTier } from '../src/containers/tier.js';
import { KindTier } from '../src/kind/tier.js';
import { packageDir } from '../src/paths.js';

function interrupted(tier: 'kind' | 'containers', signal: NodeJS.Signals) {
  const child = spawn(
    process.execPath,
    [join(packageDir, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'test/fixtures/docker-teardown/interrupted.ts', tier],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  return new Promise<{ code: number | null; err: string }>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      const before = err;
      err += String(d);
      if (!before.includes('ready\n') && err.includes('ready\n')) child.kill(signal);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, err }));
  });
}

describe('Docker tiers interrupted', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('should delete the kind clusters (site first) and the run folder on %s', async (signal, exit) => {
    const { code, err } = await interrupted('kind', signal);
    expect(code).toBe(exit);
    const runDir = err.match(/run folder (\S+)/)![1]!;
    expect(existsSync(runDir)).toBe(false);
    const site = err.indexOf('interrupted: removing kind cluster us-e2e-');
    expect(site).toBeGreaterThan(-1);
    expect(err.slice(site)).toMatch(
      /removing kind cluster us-e2e-\w+-site-iad3\n.*removing kind cluster us-e2e-\w+-global-1/,
    );
    if (!/removing kind cluster \S+ failed/.test(err)) return; // a Docker engine answered: the deletes succeeded
    // No Docker engine here: each failure names the command to run by hand.
    expect(err).toMatch(/by hand: \S*kind delete cluster --name us-e2e-\w+-site-iad3 --kubeconfig \S+kubeconfig-site/);
  });

  it('should remove the containers tier run folder on SIGTERM when no container was started', async () => {
    const { code, err } = await interrupted('containers', 'SIGTERM');
    expect(code).toBe(143);
    expect(existsSync(err.match(/run folder (\S+)/)![1]!)).toBe(false);
    expect(err).not.toMatch(/interrupted: removing/);
  });
});

describe('Docker tiers down()', () => {
  it.each([
    ['kind', () => new KindTier()],
    ['containers', () => new ContainersTier()],
  ] as const)('should be idempotent on the %s tier, also when up() never ran', async (_name, make) => {
    const tier = make();
    expect(existsSync(tier.runDir)).toBe(true);
    await tier.down();
    expect(existsSync(tier.runDir)).toBe(false);
    await expect(tier.down()).resolves.toBeUndefined();
    expect(tier instanceof KindTier ? tier.teardownPlan() : tier.teardownPlan()).toEqual([]);
  });

  it('should keep the run folder with --keep', async () => {
    const tier = new KindTier({ keep: true });
    await tier.down();
    expect(existsSync(tier.runDir)).toBe(true);
    await new KindTier().down();
    const { rmSync } = await import('node:fs');
    rmSync(tier.runDir, { recursive: true, force: true });
  });
});

describe('KindTier.collectArtifacts', () => {
  it('should write the reason and record a log export it could not make with its command (no Docker engine here)', async () => {
    const { readFileSync, rmSync } = await import('node:fs');
    const tier = new KindTier();
    const t = tier as unknown as { created: unknown[]; clusters: { global: unknown } };
    t.created.push(t.clusters.global);
    const dir = tier.collectArtifacts('a case failed');
    try {
      expect(readFileSync(join(dir, 'REASON.txt'), 'utf8')).toBe('a case failed\n');
      const exported = existsSync(join(dir, 'global', 'kind-logs'));
      if (!exported)
        expect(readFileSync(join(dir, 'COLLECT-ERRORS.txt'), 'utf8')).toMatch(
          /^logs of us-e2e-\w+-global-1: \S*kind export logs \S+\/global\/kind-logs --name us-e2e-\w+-global-1: exit 1 /m,
        );
      await tier.down();
      expect(existsSync(tier.runDir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
