/**
 * Generate-and-diff gate for golden renders: every case of scripts/golden.ts must render exactly to its committed
 * test/golden/<case>/ tree (regenerate with `pnpm --filter @understack/render generate`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenCases, goldenDir, readTree, renderCase } from '../scripts/golden.js';
import { renderDeployRepo } from '../src/cluster.js';
import { splitYaml } from '../src/manifests.js';

/** Names of every `kind: ExternalSecret` document in the YAML files under `dir` (recursively). */
function externalSecretsOnDisk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    if (!/\.ya?ml$/.test(name)) continue;
    for (const o of splitYaml(readFileSync(join(dir, name), 'utf8'), name))
      if (o.kind === 'ExternalSecret') out.push(o.metadata!.name!);
  }
  return out.sort();
}

describe(renderDeployRepo, () => {
  for (const c of goldenCases()) {
    // Missing goldens are a failure, never a skip: a deleted tree must not turn the gate green.
    it(`should render ${c.name} exactly as its golden files`, async () => {
      const want = readTree(goldenDir(c.name));
      expect(
        want.size,
        `no golden files for ${c.name}: run \`pnpm --filter @understack/render generate\``,
      ).toBeGreaterThan(0);
      const got = await renderCase(c);
      expect([...got.keys()].sort(), 'file list drifted: run `pnpm --filter @understack/render generate`').toEqual(
        [...want.keys()].sort(),
      );
      for (const [path, content] of got)
        expect(content, `${path} drifted: run \`pnpm --filter @understack/render generate\``).toBe(want.get(path));
    });
  }

  // For every golden case: each site's `<cluster>-nautobot-worker` app holds the worker Deployment(s) rendered from
  // the chart source and every ExternalSecret written in the deploy-repo overlay source.
  for (const c of goldenCases()) {
    it(`should put chart Deployments and every overlay ExternalSecret in each nautobot-worker app of ${c.name}`, async () => {
      const r = await renderDeployRepo(c.deploy, { understack: c.understack, cacheDir: false });
      const workers = r.clusters.flatMap((cl) => cl.apps.filter((a) => a.name === `${cl.cluster}-nautobot-worker`));
      expect(workers.length, 'no <cluster>-nautobot-worker app rendered').toBeGreaterThan(0);
      for (const w of workers) {
        expect(w.error, w.error?.message).toBeUndefined();
        const res = w.result!;
        const helm = res.sources.find((src) => src.type === 'Helm')!;
        const chartDeployments = helm.objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata!.name);
        expect(chartDeployments.length, `${w.name}: no Deployment from the chart`).toBeGreaterThan(0);
        const targetNames = (kind: string) =>
          res.target.resources.filter((o) => o.kind === kind).map((o) => o.metadata!.name);
        for (const name of chartDeployments)
          expect(targetNames('Deployment'), `${w.name}: chart Deployment ${name} missing`).toContain(name);
        // Expected ExternalSecrets come from the files on disk, not from the render: one dropped from the overlay's
        // kustomization (or filtered out) must fail here.
        const cluster = w.name.slice(0, -'-nautobot-worker'.length);
        const wanted = externalSecretsOnDisk(join(c.deploy, cluster, 'nautobot-worker'));
        expect(wanted.length, `${w.name}: the overlay folder has no ExternalSecret file`).toBeGreaterThan(0);
        for (const name of wanted)
          expect(targetNames('ExternalSecret'), `${w.name}: ExternalSecret ${name} missing`).toContain(name);
      }
    });
  }

  it('should hold the multi-source site app: chart worker Deployment plus every overlay ExternalSecret', async () => {
    const files = readTree(goldenDir('fixture-deploy'));
    const site = [...files.keys()].filter((p) => p.startsWith('site-a/site-a-nautobot-worker/'));
    expect(site.some((p) => p.includes('/Deployment.apps_'))).toBe(true);
    expect(site.some((p) => p.includes('/ExternalSecret.external-secrets.io_'))).toBe(true);
  });
});
