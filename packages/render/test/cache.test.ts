/**
 * The output cache must never serve stale output: every input a tool reads is part of the key. Each case renders,
 * edits one input, renders again with the same cache and expects the edit to show (and no tool run when nothing
 * changed).
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderApplication } from '../src/application.js';
import { OutputCache } from '../src/cache.js';
import { Session } from '../src/session.js';
import type { Application } from '../src/types.js';
import {
  app,
  CLUSTER,
  chartMirror,
  cleanupTemps,
  find,
  fixtureRepo,
  helmValues,
  REPO_URL,
  tempDir,
  writeFile,
} from './helpers.js';

afterAll(cleanupTemps);

async function renderCached(a: Application, repo: string, cacheDir: string) {
  const session = new Session({ cache: new OutputCache(cacheDir), recordOutputs: true });
  try {
    const result = await renderApplication(a, { ...CLUSTER, repos: { [REPO_URL]: repo }, session });
    return { result, ran: session.commands.filter((c) => !c.cached && !c.offline).length };
  } finally {
    session.dispose();
  }
}

describe(OutputCache, () => {
  it('should re-run helm when a values file or a chart template changes, and only then', async () => {
    const r = fixtureRepo('cache-helm');
    const cache = tempDir('cache-');
    const a = app({ source: { repoURL: REPO_URL, path: 'chart', helm: { valueFiles: ['/envs/p.yaml'] } } });
    expect((await renderCached(a, r, cache)).ran).toBe(1);
    expect((await renderCached(a, r, cache)).ran).toBe(0);
    writeFileSync(join(r, 'envs', 'p.yaml'), 'fromRoot: changed\n');
    const v = await renderCached(a, r, cache);
    expect(v.ran).toBe(1);
    expect(helmValues(v.result.manifests)['fromRoot']).toBe('changed');
    writeFileSync(
      join(r, 'chart', 'templates', 'extra.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: added\n',
    );
    const t = await renderCached(a, r, cache);
    expect(t.ran).toBe(1);
    expect(find(t.result.manifests, 'ConfigMap', 'added')).toBeDefined();
  });

  it('should re-run helm when a file:// dependency or a mirror-mapped remote dependency changes', async () => {
    const r = fixtureRepo('cache-deps');
    writeFile(
      join(r, 'withdep', 'Chart.yaml'),
      'apiVersion: v2\nname: withdep\nversion: 0.1.0\ndependencies:\n  - name: foo\n    version: ^1.0.0\n    repository: https://charts.ex\n  - name: libchart\n    version: 0.1.0\n    repository: file://../libchart\n',
    );
    writeFile(
      join(r, 'withdep', 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n',
    );
    const mirror = chartMirror(['1.0.0']);
    const cache = tempDir('cache-');
    const a = app({ source: { repoURL: REPO_URL, path: 'withdep' } });
    const go = async () => {
      const session = new Session({ cache: new OutputCache(cache), recordOutputs: true });
      try {
        const result = await renderApplication(a, {
          ...CLUSTER,
          repos: { [REPO_URL]: r },
          chartRepos: { 'https://charts.ex': mirror },
          session,
        });
        return { result, ran: session.commands.filter((c) => !c.cached && !c.offline).length };
      } finally {
        session.dispose();
      }
    };
    const version = (x: Awaited<ReturnType<typeof go>>) =>
      (find(x.result.manifests, 'ConfigMap', 'guestbook-foo')!['data'] as Record<string, string>)['chartVersion'];
    const first = await go();
    expect(version(first)).toBe('1.0.0');
    expect((await go()).ran).toBe(0);
    // The mirror gains a newer matching version: the retry would vendor it, so the cache must not answer.
    const newer = chartMirror(['1.5.0']);
    cpSync(join(newer, 'foo-1.5.0.tgz'), join(mirror, 'foo-1.5.0.tgz'));
    const bumped = await go();
    expect(bumped.ran).toBeGreaterThan(0);
    expect(version(bumped)).toBe('1.5.0');
    expect((await go()).ran).toBe(0);
    // A file:// dependency's template changes.
    writeFile(
      join(r, 'libchart', 'templates', 'extra.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-lib\n',
    );
    const lib = await go();
    expect(lib.ran).toBeGreaterThan(0);
    expect(find(lib.result.manifests, 'ConfigMap', 'from-lib')).toBeDefined();
  });

  it('should re-run kustomize when a base or a generator file outside the app folder changes', async () => {
    const r = fixtureRepo('cache-kust');
    writeFile(join(r, 'shared', 'app.conf'), 'level=info\n');
    writeFile(
      join(r, 'kust', 'gen', 'kustomization.yaml'),
      'resources: [../base]\nconfigMapGenerator:\n  - name: conf\n    files: [app.conf=../../shared/app.conf]\ngeneratorOptions:\n  disableNameSuffixHash: true\n',
    );
    const cache = tempDir('cache-');
    const a = app({ source: { repoURL: REPO_URL, path: 'kust/gen' } });
    const kustomizeBuildOptions = '--load-restrictor LoadRestrictionsNone';
    const go = async () => {
      const session = new Session({ cache: new OutputCache(cache), recordOutputs: true });
      try {
        const result = await renderApplication(a, {
          ...CLUSTER,
          repos: { [REPO_URL]: r },
          session,
          kustomizeBuildOptions,
        });
        return { result, ran: session.commands.filter((c) => !c.cached).length };
      } finally {
        session.dispose();
      }
    };
    expect((await go()).ran).toBe(1);
    expect((await go()).ran).toBe(0);
    writeFileSync(join(r, 'shared', 'app.conf'), 'level=debug\n');
    const g = await go();
    expect(g.ran).toBe(1);
    expect((find(g.result.manifests, 'ConfigMap', 'conf')!['data'] as Record<string, string>)['app.conf']).toBe(
      'level=debug\n',
    );
    writeFileSync(
      join(r, 'kust', 'base', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: { a: "2" }\n',
    );
    const b = await go();
    expect(b.ran).toBe(1);
    expect((find(b.result.manifests, 'ConfigMap', 'settings')!['data'] as Record<string, string>)['a']).toBe('2');
  });
});
