/** renderCluster / renderDeployRepo as a library: app-of-apps expansion, repo URL mapping, per-app failures. */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverClusters, renderCluster, renderDeployRepo, repoUrlsFromValues } from '../src/cluster.js';
import { cleanupTemps, FIXTURES, find, tempDir } from './helpers.js';

const UNDERSTACK = join(FIXTURES, 'understack');
const DEPLOY = join(FIXTURES, 'deploy');
afterAll(cleanupTemps);

describe(renderCluster, () => {
  it('should render the app-of-apps with release name = cluster and then every emitted Application', async () => {
    const c = await renderCluster(DEPLOY, 'site-a', { understack: UNDERSTACK, cacheDir: false });
    expect(c.error).toBeUndefined();
    expect(c.root!.sources[0]!.type).toBe('Helm');
    expect(c.apps.map((a) => a.name)).toEqual(['site-a-nautobot-worker']);
    const app = c.apps[0]!.result!;
    expect(app.sources.map((s) => s.type)).toEqual(['Helm', 'Directory']);
    expect(find(app.target.resources, 'Deployment', 'nautobot-worker')).toBeDefined();
    expect(find(app.target.resources, 'ExternalSecret', 'nautobot-worker-mtls')!.metadata!.namespace).toBe('nautobot');
  });

  it('should fail a cluster with the fix when its deploy.yaml is missing', async () => {
    const c = await renderCluster(DEPLOY, 'nope', { understack: UNDERSTACK, cacheDir: false });
    expect(c.error!.message).toContain('cluster nope:');
    expect(c.error!.hint).toContain('global-1, site-a, site-b');
  });

  it('should let an explicit --repo mapping win over understack_url auto-mapping', async () => {
    const other = join(tempDir(), 'understack');
    cpSync(UNDERSTACK, other, { recursive: true });
    writeFileSync(join(other, 'charts', 'nautobot-worker', 'values.yaml'), 'replicas: 7\nqueue: default\n');
    const c = await renderCluster(DEPLOY, 'site-a', {
      understack: UNDERSTACK,
      cacheDir: false,
      repos: { 'https://github.com/example/understack': other },
    });
    const dep = find(c.apps[0]!.result!.target.resources, 'Deployment', 'nautobot-worker')!;
    expect((dep['spec'] as { replicas: number }).replicas).toBe(7);
  });
});

describe(renderDeployRepo, () => {
  it('should render every cluster and keep going when one app fails', async () => {
    const d = join(tempDir(), 'deploy');
    cpSync(DEPLOY, d, { recursive: true });
    writeFileSync(join(d, 'site-b', 'nautobot-worker', 'values.yaml'), 'queue: [broken\n');
    const r = await renderDeployRepo(d, { understack: UNDERSTACK, cacheDir: false });
    expect(r.ok).toBe(false);
    expect(r.clusters.map((c) => c.cluster)).toEqual(['global-1', 'site-a', 'site-b']);
    expect(r.clusters[1]!.apps[0]!.result).toBeDefined();
    expect(r.clusters[2]!.apps[0]!.error!.message).toMatch(
      /^cluster site-b, application site-b-nautobot-worker: failed to generate manifest for source 1 of 2: failed to execute helm template command/,
    );
  });

  it('should find clusters as folders holding deploy.yaml', () => {
    expect(discoverClusters(DEPLOY)).toEqual(['global-1', 'site-a', 'site-b']);
  });
});

describe(repoUrlsFromValues, () => {
  it('should prefer deploy.yaml over chart defaults and search nested keys', () => {
    expect(repoUrlsFromValues({ understack_url: 'a', deploy_url: 'b' }, { global: { deployUrl: 'c' } })).toEqual({
      understack: 'a',
      deploy: 'c',
    });
  });
});
