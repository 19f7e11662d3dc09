/**
 * --allow-network against a loopback HTTP chart repository (real helm): constraints resolved against index.yaml as
 * Argo does, pulled charts cached content-addressed (by the .tgz digest), remote values files, dependency pulls
 * without `helm repo add` for OCI. Offline (the default) these refuse with the flag to use.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../src/cache.js';
import { fetchChart } from '../src/helm.js';
import { type ChartServer, startChartServer } from './chart-server.js';
import {
  app,
  CLUSTER,
  chartMirror,
  cleanupTemps,
  find,
  fixtureRepo,
  flagList,
  REPO_URL,
  render,
  renderError,
  tempDir,
  templates,
  writeFile,
} from './helpers.js';

let server: ChartServer;
beforeAll(async () => {
  server = await startChartServer(
    { foo: ['0.5.0', '0.5.1', '0.7.2', '0.8.0-rc1'], bar: ['1.0.0'] },
    { '/values/prod.yaml': 'fromUrl: yes\n' },
  );
});
afterAll(async () => {
  cleanupTemps();
  await server.close();
});

const cmData = (objs: Parameters<typeof find>[0], name: string) =>
  (find(objs, 'ConfigMap', name)?.['data'] ?? {}) as Record<string, string>;

describe(fetchChart, () => {
  it('should resolve a constraint against index.yaml and pull the highest match [vector 25, network]', async () => {
    const cacheDir = tempDir('cache-');
    const { result, commands } = await render(
      app({ source: { repoURL: server.repo, chart: 'foo', targetRevision: '>0.5.0,<0.7.0' } }),
      { allowNetwork: true, cacheDir },
    );
    expect(result.sources[0]!.revision).toBe('0.5.1');
    expect(cmData(result.manifests, 'guestbook-foo')['chartVersion']).toBe('0.5.1');
    const pull = commands.find((c) => c.args[0] === 'pull')!;
    expect(pull.args).toEqual([
      'pull',
      '--destination',
      pull.args[2],
      '--version',
      '0.5.1',
      '--repo',
      server.repo,
      'foo',
    ]);
    expect(pull.offline).toBeUndefined();
    const latest = await render(app({ source: { repoURL: server.repo, chart: 'foo', targetRevision: '>=0.5.0' } }), {
      allowNetwork: true,
      cacheDir,
    });
    expect(latest.result.sources[0]!.revision).toBe('0.7.2');
  });

  it("should fail with Argo's messages when the chart or no version is in the index [vector 25, network]", async () => {
    const missing = await renderError(
      app({ source: { repoURL: server.repo, chart: 'nope', targetRevision: '>=1.0.0' } }),
      { allowNetwork: true },
    );
    expect(missing.message).toContain("chart 'nope' not found in index");
    expect(missing.hint).toContain('lists: bar, foo');
    const none = await renderError(app({ source: { repoURL: server.repo, chart: 'foo', targetRevision: '>=9.0.0' } }), {
      allowNetwork: true,
    });
    expect(none.message).toContain('constraint not found in index');
    for (const v of ['0.5.0', '0.5.1', '0.7.2', '0.8.0-rc1']) expect(none.hint).toContain(v);
  });

  it('should say chart not found in index for a mapped folder without the chart [vector 25, offline]', async () => {
    const e = await renderError(
      app({ source: { repoURL: 'https://charts.ex', chart: 'nope', targetRevision: '>=1.0.0' } }),
      { chartRepos: { 'https://charts.ex': chartMirror(['1.0.0']) } },
    );
    expect(e.message).toContain("chart 'nope' not found in index");
  });

  it('should cache a pulled chart by the digest of its .tgz and serve the next render without the network', async () => {
    const cacheDir = tempDir('cache-');
    const source = { repoURL: server.repo, chart: 'bar', targetRevision: '1.0.0' };
    await render(app({ source }), { allowNetwork: true, cacheDir });
    const store = join(cacheDir, 'charts', 'sha256');
    const [file] = readdirSync(store);
    expect(file).toBe(`${sha256(readFileSync(join(store, file!)))}.tgz`);
    const before = server.hits.get('/charts/bar-1.0.0.tgz') ?? 0;
    // Offline now: the cached chart is enough, and the pull is only noted.
    const again = await render(app({ source }), { cacheDir });
    expect(again.commands.find((c) => c.args[0] === 'pull')!.offline).toBe(true);
    expect(server.hits.get('/charts/bar-1.0.0.tgz') ?? 0).toBe(before);
    // A cached file whose bytes no longer match its digest is not used.
    writeFileSync(join(store, file!), 'corrupt');
    const offline = await renderError(app({ source }), { cacheDir });
    expect(offline.message).toContain('is not available offline');
    const repulled = await render(app({ source }), { allowNetwork: true, cacheDir });
    expect(repulled.commands.find((c) => c.args[0] === 'pull')!.offline).toBeUndefined();
    expect(server.hits.get('/charts/bar-1.0.0.tgz')).toBe(before + 1);
  });

  it('should pass an http(s) values file to helm verbatim with --allow-network and refuse it offline [vector 14]', async () => {
    const R = fixtureRepo('repo');
    const url = `${server.url}/values/prod.yaml`;
    const source = { repoURL: REPO_URL, path: 'chart', targetRevision: 'HEAD', helm: { valueFiles: [url] } };
    const { result, commands } = await render(app({ source }), { repos: { [REPO_URL]: R }, allowNetwork: true });
    expect(flagList(templates(commands)[0]!.args, '--values')).toEqual([url]);
    const values = JSON.parse(cmData(result.manifests, 'guestbook-values')['values.json']!);
    expect(values.fromUrl).toBe(true);
    const offline = await renderError(app({ source }), { repos: { [REPO_URL]: R } });
    expect(offline.message).toContain(`values file ${url} needs the network`);
    expect(offline.hint).toContain('--allow-network');
    const s3 = await renderError(app({ source: { ...source, helm: { valueFiles: ['s3://b/v.yaml'] } } }), {
      repos: { [REPO_URL]: R },
      allowNetwork: true,
    });
    expect(s3.message).toContain("the URL scheme 's3' is not allowed");
  });
});

describe('missing-dependency retry with --allow-network', () => {
  it('should pull an HTTP dependency through the chart cache, noting helm repo add [vector 16, network]', async () => {
    const R = fixtureRepo('deps');
    writeFile(
      join(R, 'withdep', 'Chart.yaml'),
      `apiVersion: v2\nname: withdep\nversion: 0.1.0\ndependencies:\n  - name: bar\n    version: ~1.0.0\n    repository: ${server.repo}\n`,
    );
    writeFile(
      join(R, 'withdep', 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n',
    );
    const { result, commands } = await render(
      app({ source: { repoURL: REPO_URL, path: 'withdep', targetRevision: 'HEAD' } }),
      { repos: { [REPO_URL]: R }, allowNetwork: true, cacheDir: tempDir('cache-') },
    );
    expect(commands.map((c) => c.args.slice(0, 2).join(' '))).toEqual([
      'template .',
      'repo add',
      'pull --destination',
      'template .',
    ]);
    expect(commands[1]!.args).toEqual(['repo', 'add', 'bar', server.repo]);
    expect(commands[1]!.offline).toBe(true);
    expect(find(result.manifests, 'ConfigMap', 'guestbook-foo')).toBeDefined();
    expect(find(result.manifests, 'ConfigMap', 'parent')).toBeDefined();
  });

  it('should not run helm repo add for an oci:// dependency', async () => {
    const R = fixtureRepo('oci-deps');
    writeFile(
      join(R, 'ocidep', 'Chart.yaml'),
      'apiVersion: v2\nname: ocidep\nversion: 0.1.0\ndependencies:\n  - name: baz\n    version: 1.0.0\n    repository: oci://127.0.0.1:1/charts\n',
    );
    const { commands } = await renderError(
      app({ source: { repoURL: REPO_URL, path: 'ocidep', targetRevision: 'HEAD' } }),
      { ...CLUSTER, repos: { [REPO_URL]: R }, allowNetwork: true },
    );
    expect(commands.some((c) => c.args[0] === 'repo')).toBe(false);
    expect(commands.find((c) => c.args[0] === 'pull')!.args.slice(0, 4)).toEqual([
      'pull',
      'oci://127.0.0.1:1/charts/baz',
      '--version',
      '1.0.0',
    ]);
  });
});
