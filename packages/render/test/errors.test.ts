/**
 * Bad input, against the real tools: every error names what failed and where (cluster, application, source index,
 * file:line where there is a file) and, where the user can act, an `Either:` list of fixes.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApplication } from '../src/application.js';
import { renderDeployRepo } from '../src/cluster.js';
import type { ApplicationSource } from '../src/types.js';
import {
  app,
  cleanupTemps,
  FIXTURES,
  fixtureRepo,
  REPO_URL,
  renderError,
  tempDir,
  VALUES_URL,
  writeFile,
} from './helpers.js';

let R: string;
let V: string;
let repos: Record<string, string>;
beforeAll(() => {
  R = fixtureRepo('repo');
  V = fixtureRepo('values');
  repos = { [REPO_URL]: R, [VALUES_URL]: V };
  // Broken inputs, each in its own folder.
  writeFile(join(R, 'bad-dir', 'ok.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n');
  writeFile(
    join(R, 'bad-dir', 'broken.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  a: [unclosed\n',
  );
  writeFile(join(R, 'bad-json', 'two.json'), '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}\n{}\n');
  writeFile(join(R, 'bad-kust', 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
  writeFile(join(R, 'bad-kust', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: 1\n');
  writeFile(join(R, 'bad-kfile', 'kustomization.yaml'), 'resources:\n  - cm.yaml\n   bad: indent\n');
  writeFile(join(R, 'bad-kfile', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
  writeFile(join(R, 'fail-chart', 'Chart.yaml'), 'apiVersion: v2\nname: fail-chart\nversion: 0.1.0\n');
  writeFile(join(R, 'fail-chart', 'templates', 'x.yaml'), '{{ required "image.tag is required" .Values.tag }}\n');
});
afterAll(cleanupTemps);

const src = (s: Partial<ApplicationSource>): ApplicationSource => ({ repoURL: REPO_URL, targetRevision: 'HEAD', ...s });

describe(renderApplication, () => {
  it.each<[string, ApplicationSource[], RegExp | string, (string | RegExp)[]]>([
    [
      'a ref with special characters',
      [src({ path: 'chart' }), src({ ref: 'my.values' })],
      "sources.ref my.values cannot contain any special characters except '_' and '-'",
      ['spec.sources[1] (source 2 of 2)', 'Either: rename the ref', 'my-values'],
    ],
    [
      'a duplicate ref',
      [src({ path: 'chart' }), src({ ref: 'v' }), src({ ref: 'v', repoURL: VALUES_URL })],
      'invalid sources: multiple sources had the same `ref` key',
      ['ref v is on sources 2 and 3 of 3', 'Either: give each source its own ref'],
    ],
    [
      'two refs to different revisions of one repository',
      [
        src({ path: 'chart', helm: { valueFiles: ['$a/values-repo/a.yaml', '$b/values-repo/b.yaml'] } }),
        src({ ref: 'a', repoURL: VALUES_URL, targetRevision: 'main' }),
        src({ ref: 'b', repoURL: VALUES_URL, targetRevision: 'v1' }),
      ],
      'cannot reference multiple revisions for the same repository',
      ['Either: give the sources b and a the same targetRevision'],
    ],
    [
      'a ref to another revision of the application repository',
      [
        src({ path: 'chart', helm: { valueFiles: ['$v/chart/envs/prod.yaml'] } }),
        src({ ref: 'v', targetRevision: 'other' }),
      ],
      'cannot reference a different revision of the same repository',
      ['Either: set targetRevision "HEAD" on the ref source v too'],
    ],
    [
      'a directory manifest that is not valid YAML',
      [src({ path: 'bad-dir' })],
      /failed to generate manifest for source 1 of 1: failed to unmarshal "broken.yaml": bad-dir\/broken\.yaml:\d+:\d+: invalid YAML: Flow sequence/,
      ['Either: fix the YAML at that position', 'directory.exclude'],
    ],
    [
      'a JSON file with two objects',
      [src({ path: 'bad-json' })],
      'Found multiple objects in "two.json". Only single objects are allowed in JSON files.',
      ['Either: fix bad-json/two.json, rename it to .yaml'],
    ],
    [
      'a kustomize resource that is not valid YAML',
      [src({ path: 'bad-kust' })],
      /failed to generate manifest for source 1 of 1: `\S*kustomize build \S*\/bad-kust` failed exit status 1: .*MalformedYAMLError/,
      [/^bad-kust\/cm\.yaml:\d+:\d+: invalid YAML: Flow map/, 'Either: fix the YAML at that position'],
    ],
    [
      'a kustomization file that is not valid YAML',
      [src({ path: 'bad-kfile' })],
      /kustomize build \S*\/bad-kfile` failed exit status 1: Error: invalid Kustomization/,
      [/^bad-kfile\/kustomization\.yaml:2:5: invalid YAML: Implicit keys/],
    ],
    [
      'a kustomize edit that fails',
      [src({ path: 'kust/overlay', kustomize: { components: ['../nope'] } })],
      /`.*kustomize edit add component \.\.\/nope` failed exit status 1/,
      ['Either: fix the input the tool names above, or reproduce it by running the command in'],
    ],
    [
      'a helm template that fails on a missing value',
      [src({ path: 'fail-chart' })],
      /failed to execute helm template command: .* failed exit status 1: .*image\.tag is required/s,
      ['Either: fix the chart template or the value helm names above'],
    ],
  ])('should name the source and list fixes when given %s', async (_name, sources, message, hints) => {
    const single = sources.length === 1;
    const e = await renderError(app(single ? { source: sources[0]! } : { sources }), { repos });
    if (process.env['SHOW']) console.log(`${e.message}\n--\n${e.hint}`);
    if (typeof message === 'string') expect(e.message).toContain(message);
    else expect(e.message).toMatch(message);
    for (const h of hints) {
      if (typeof h === 'string') expect(e.hint).toContain(h);
      else expect(e.hint).toMatch(h);
    }
  });
});

describe(renderDeployRepo, () => {
  it('should name cluster, application, source index and file:line when a deploy overlay manifest is invalid YAML', async () => {
    const d = join(tempDir(), 'deploy');
    cpSync(join(FIXTURES, 'deploy'), d, { recursive: true });
    writeFileSync(
      join(d, 'site-a', 'nautobot-worker', 'manifests', 'externalsecret.yaml'),
      'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: x\nspec: {a: [1}\n',
    );
    const r = await renderDeployRepo(d, { understack: join(FIXTURES, 'understack'), cacheDir: false });
    expect(r.ok).toBe(false);
    const failed = r.clusters.find((c) => c.cluster === 'site-a')!.apps[0]!.error!;
    if (process.env['SHOW']) console.log(`${failed.message}\n--\n${failed.hint}`);
    expect(failed.message).toMatch(
      /^cluster site-a, application site-a-nautobot-worker: failed to generate manifest for source 2 of 2: failed to unmarshal "externalsecret\.yaml": site-a\/nautobot-worker\/manifests\/externalsecret\.yaml:5:\d+: invalid YAML/,
    );
    expect(failed.hint).toContain('Either:');
    // the other cluster still rendered
    expect(r.clusters.find((c) => c.cluster === 'site-b')!.apps[0]!.result).toBeDefined();
  });
});
