/**
 * Generate-and-diff gate for golden renders: every case of scripts/golden.ts must render exactly to its committed
 * test/golden/<case>/ tree (regenerate with `pnpm --filter @understack/render generate`).
 */
import { describe, expect, it } from 'vitest';
import { goldenCases, goldenDir, readTree, renderCase } from '../scripts/golden.js';
import { renderDeployRepo } from '../src/cluster.js';

describe(renderDeployRepo, () => {
  for (const c of goldenCases()) {
    // The fixture case always has goldens. examples/deploy is written by another change than its goldens; until
    // `pnpm generate` has been run once for it, the case is reported as skipped (by name), not silently passed.
    const pending = c.name !== 'fixture-deploy' && readTree(goldenDir(c.name)).size === 0;
    const title = `should render ${c.name} exactly as its golden files${pending ? ' (no goldens yet: run pnpm generate)' : ''}`;
    it.skipIf(pending)(title, async () => {
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
        expect(
          helm.objects.some((o) => o.kind === 'Deployment'),
          `${w.name}: no Deployment from the chart`,
        ).toBe(true);
        const overlay = res.sources.filter((src) => src.type !== 'Helm').flatMap((src) => src.objects);
        const wanted = overlay.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata!.name);
        expect(wanted.length, `${w.name}: the overlay has no ExternalSecret`).toBeGreaterThan(0);
        const got = res.target.resources.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata!.name);
        for (const name of wanted) expect(got, `${w.name}: ExternalSecret ${name} missing`).toContain(name);
        expect(res.target.resources.some((o) => o.kind === 'Deployment')).toBe(true);
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
