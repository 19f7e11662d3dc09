/** renderCluster / renderDeployRepo as a library: app-of-apps expansion, repo URL mapping, per-app failures. */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverClusters, renderCluster, renderDeployRepo, repoUrlsFromValues } from '../src/cluster.js';
import { readRenderConfig } from '../src/repos.js';
import { Session } from '../src/session.js';
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

describe(readRenderConfig, () => {
  it('should apply kubeVersion and extraApiVersions per cluster from .understack-render.yaml', async () => {
    const d = join(tempDir(), 'deploy');
    cpSync(DEPLOY, d, { recursive: true });
    writeFileSync(
      join(d, '.understack-render.yaml'),
      'kubeVersion: "1.30.2"\nclusters:\n  site-a:\n    kubeVersion: "1.31.4"\n    extraApiVersions: [monitoring.coreos.com/v1, monitoring.coreos.com/v1/ServiceMonitor]\n',
    );
    const session = new Session({ recordOutputs: true });
    try {
      await renderDeployRepo(d, { understack: UNDERSTACK, session, clusters: ['site-a', 'site-b'] });
      const templatesRun = session.commands.filter(
        (x) => x.args[0] === 'template' && x.cwd.endsWith('nautobot-worker'),
      );
      expect(templatesRun).toHaveLength(2);
      const kube = templatesRun.map((x) => x.args[x.args.indexOf('--kube-version') + 1]).sort();
      expect(kube).toEqual(['1.30.2', '1.31.4']);
      const siteA = templatesRun.find((x) => x.args.includes('1.31.4'))!;
      expect(siteA.args).toContain('monitoring.coreos.com/v1/ServiceMonitor');
      expect(templatesRun.find((x) => x.args.includes('1.30.2'))!.args).not.toContain('monitoring.coreos.com/v1');
    } finally {
      session.dispose();
    }
  });

  it('should point at the config file and key when a fact has the wrong type', () => {
    const d = tempDir();
    writeFileSync(join(d, '.understack-render.yaml'), 'clusters:\n  a:\n    extraApiVersions: nope\n');
    expect(() => readRenderConfig(d)).toThrow(
      /\.understack-render\.yaml: clusters\.a\.extraApiVersions: must be a list/,
    );
  });
});
