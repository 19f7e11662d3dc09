/**
 * Every numbered test vector of ../shared/specs/argocd-render.md (section 8), run against the real helm and
 * kustomize binaries pinned in scripts/tools.json. Each test asserts the command line built and the objects produced;
 * `--set*` flags are compared as sets (Argo builds them from Go maps).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApplication } from '../src/application.js';
import { buildHelmTemplateArgs } from '../src/helm.js';
import { buildKustomizeEdits } from '../src/kustomize.js';
import { maxSatisfying } from '../src/semver.js';
import { TRACKING_ANNOTATION } from '../src/target.js';
import {
  app,
  CLUSTER,
  chartMirror,
  cleanupTemps,
  emulate,
  find,
  fixtureRepo,
  flagList,
  flagSet,
  gitInit,
  helmValues,
  REPO_URL,
  render,
  renderError,
  templates,
  VALUES_URL,
  withoutSets,
  writeFile,
} from './helpers.js';

let R: string; // repository root
let V: string; // values repository root
let sha: string;
let repos: Record<string, string>;
const APIS = ['v1', 'v1/Pod', 'apps/v1', 'apps/v1/Deployment'];
// Argo hands helm the cluster's API list as a sorted set.
const apiFlags = [...APIS].sort().flatMap((a) => ['--api-versions', a]);

beforeAll(() => {
  R = fixtureRepo('repo');
  V = fixtureRepo('values');
  sha = gitInit(R);
  gitInit(V);
  repos = { [REPO_URL]: R, [VALUES_URL]: V };
});
afterAll(cleanupTemps);

const chartSource = (helm?: object) => ({
  repoURL: REPO_URL,
  path: 'chart',
  targetRevision: 'HEAD',
  ...(helm ? { helm } : {}),
});

// Every vector runs once per emulated Argo CD release: 3.5 (Helm 4) and 3.4 (Helm 3).
describe.each(['3.5', '3.4'])(`${renderApplication.name} emulating Argo CD %s`, (version) => {
  beforeAll(() => emulate(version));

  it('should run helm template in the chart folder with Argo flag order when path holds a chart [vector 1]', async () => {
    const { result, commands } = await render(app({ source: chartSource() }), { repos });
    const [t] = templates(commands);
    expect(t!.cwd).toBe(join(R, 'chart'));
    expect(t!.args).toEqual([
      'template',
      '.',
      '--name-template',
      'guestbook',
      '--namespace',
      'prod',
      '--kube-version',
      '1.29.3',
      ...apiFlags,
      '--include-crds',
    ]);
    expect(find(result.manifests, 'Deployment', 'guestbook-web')).toBeDefined();
    const dump = find(result.manifests, 'ConfigMap', 'guestbook-values')!['data'] as Record<string, string>;
    expect(dump['kubeVersion']).toBe('v1.29.3');
    expect(dump['hasDeploymentApi']).toBe('true');
  });

  it('should keep the release name and prefix the tracking id with namespace_ when the app lives outside argocd [vector 2]', async () => {
    const { result, commands } = await render(app({ source: chartSource(), namespace: 'team-a' }), { repos });
    expect(flagList(templates(commands)[0]!.args, '--name-template')).toEqual(['guestbook']);
    const dep = find(result.manifests, 'Deployment', 'guestbook-web')!;
    expect(dep.metadata!.annotations![TRACKING_ANNOTATION]).toBe('team-a_guestbook:apps/Deployment:prod/guestbook-web');
  });

  it('should omit --namespace when the destination namespace is empty and honour helm.namespace [vector 3]', async () => {
    const empty = await render(app({ source: chartSource(), destNamespace: '' }), { repos });
    expect(templates(empty.commands)[0]!.args).not.toContain('--namespace');
    const other = await render(app({ source: chartSource({ namespace: 'other' }) }), { repos });
    expect(flagList(templates(other.commands)[0]!.args, '--namespace')).toEqual(['other']);
    // The chart's Deployment has no namespace: the controller puts it in the destination namespace.
    expect(find(other.result.target.resources, 'Deployment', 'guestbook-web')!.metadata!.namespace).toBe('prod');
    expect(find(other.result.target.resources, 'ConfigMap', 'guestbook-values')!.metadata!.namespace).toBe('other');
  });

  it('should use helm.kubeVersion normalised and replace the API list with helm.apiVersions [vector 4]', async () => {
    const { commands } = await render(
      app({ source: chartSource({ kubeVersion: '1.30.1+eks', apiVersions: ['a/v1'] }) }),
      { repos },
    );
    const args = templates(commands)[0]!.args;
    expect(flagList(args, '--kube-version')).toEqual(['1.30.1']);
    expect(flagList(args, '--api-versions')).toEqual(['a/v1']);
  });

  it('should pass value files in order then one inline file from valuesObject when both values forms are set [vector 5]', async () => {
    const { result, commands } = await render(
      app({ source: chartSource({ valueFiles: ['b.yaml', 'a.yaml'], values: 'x: 1\n', valuesObject: { x: 2 } }) }),
      { repos },
    );
    const values = flagList(templates(commands)[0]!.args, '--values');
    expect(values.slice(0, 2)).toEqual([join(R, 'chart/b.yaml'), join(R, 'chart/a.yaml')]);
    expect(values).toHaveLength(3);
    expect(helmValues(result.manifests)['x']).toBe(2);
  });

  it('should emit --set, --set-string and --set-file before --values when parameters are given [vector 6]', async () => {
    const { result, commands } = await render(
      app({
        source: chartSource({
          parameters: [
            { name: 'replicas', value: '3' },
            { name: 'tag', value: '007', forceString: true },
          ],
          fileParameters: [{ name: 'cfg', path: 'c.json' }],
          valueFiles: ['a.yaml'],
        }),
      }),
      { repos },
    );
    const args = templates(commands)[0]!.args;
    expect(flagSet(args, '--set')).toEqual(new Set(['replicas=3']));
    expect(flagSet(args, '--set-string')).toEqual(new Set(['tag=007']));
    expect(flagSet(args, '--set-file')).toEqual(new Set([`cfg=${join(R, 'chart/c.json')}`]));
    expect(args.indexOf('--set')).toBeLessThan(args.indexOf('--set-string'));
    expect(args.indexOf('--set-string')).toBeLessThan(args.indexOf('--set-file'));
    expect(args.indexOf('--set-file')).toBeLessThan(args.indexOf('--values'));
    const v = helmValues(result.manifests);
    expect(v['replicas']).toBe(3);
    expect(v['tag']).toBe('007');
    expect(v['cfg']).toBe(readFileSync(join(R, 'chart/c.json'), 'utf8'));
  });

  it('should escape commas except in {lists} and after a backslash [vector 7]', async () => {
    const { result, commands } = await render(
      app({
        source: chartSource({
          parameters: [
            { name: 'a', value: 'a,b' },
            { name: 'l', value: '{a,b}' },
            { name: 'e', value: 'a\\,b' },
          ],
        }),
      }),
      { repos },
    );
    expect(flagSet(templates(commands)[0]!.args, '--set')).toEqual(new Set(['a=a\\,b', 'l={a,b}', 'e=a\\,b']));
    const v = helmValues(result.manifests);
    expect(v['a']).toBe('a,b');
    expect(v['l']).toEqual(['a', 'b']);
    expect(v['e']).toBe('a,b');
  });

  it('should substitute ARGOCD_APP_* like os.Expand with $$ as a literal dollar [vector 8]', async () => {
    const { result, commands } = await render(
      app({
        source: chartSource({
          parameters: [
            { name: 'n', value: '$ARGOCD_APP_NAME-$ARGOCD_APP_REVISION_SHORT' },
            { name: 'p1', value: 'pa$$wd' },
            { name: 'p2', value: 'pa$wd' },
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Go os.Expand syntax under test, not a JS template
            { name: 'p3', value: '${NOPE}x' },
          ],
        }),
      }),
      { repos },
    );
    expect(flagSet(templates(commands)[0]!.args, '--set')).toEqual(
      new Set([`n=guestbook-${sha.slice(0, 7)}`, 'p1=pa$wd', 'p2=pa', 'p3=x']),
    );
    expect(helmValues(result.manifests)['n']).toBe(`guestbook-${sha.slice(0, 7)}`);
  });

  it('should pass one flag with the last value when a parameter name repeats [vector 9]', async () => {
    const { result, commands } = await render(
      app({
        source: chartSource({
          parameters: [
            { name: 'x', value: '1' },
            { name: 'x', value: '2' },
          ],
        }),
      }),
      { repos },
    );
    expect(flagList(templates(commands)[0]!.args, '--set')).toEqual(['x=2']);
    expect(helmValues(result.manifests)['x']).toBe(2);
  });

  it('should drop --include-crds with skipCrds and end with the skip flags in order [vector 10]', async () => {
    const skip = await render(app({ source: chartSource({ skipCrds: true }) }), { repos });
    const args = templates(skip.commands)[0]!.args;
    expect(args.some((a) => a.includes('crd'))).toBe(false);
    expect(find(skip.result.manifests, 'CustomResourceDefinition', 'widgets.example.com')).toBeUndefined();
    const both = await render(app({ source: chartSource({ skipTests: true, skipSchemaValidation: true }) }), { repos });
    expect(templates(both.commands)[0]!.args.slice(-3)).toEqual([
      '--include-crds',
      '--skip-schema-validation',
      '--skip-tests',
    ]);
    expect(find(both.result.manifests, 'Pod', 'guestbook-test')).toBeUndefined();
  });

  it.each([['v2'], ['3']])('should refuse helm.version %s', async (version) => {
    const { message } = await renderError(app({ source: chartSource({ version }) }), { repos });
    expect(message).toBe(`failed to generate manifest for source 1 of 1: helm version '${version}' is not supported`);
  });

  it('should accept helm.version v3 [vector 11]', async () => {
    const { result } = await render(app({ source: chartSource({ version: 'v3' }) }), { repos });
    expect(result.manifests.length).toBeGreaterThan(0);
  });

  it('should refuse ../ escapes and root /paths at the repository root [vector 12]', async () => {
    const { message } = await renderError(app({ source: chartSource({ valueFiles: ['../../x.yaml'] }) }), { repos });
    expect(message).toContain("file '../../x.yaml' resolved to outside repository root");
    const { result, commands } = await render(app({ source: chartSource({ valueFiles: ['/envs/p.yaml'] }) }), {
      repos,
    });
    expect(flagList(templates(commands)[0]!.args, '--values')).toEqual([join(R, 'envs/p.yaml')]);
    expect(helmValues(result.manifests)['fromRoot']).toBe(true);
  });

  it('should refuse a values file whose symlink leaves the repository [vector 12, symlink]', async () => {
    const r = fixtureRepo('linked');
    const outside = join(r, '..', 'secret.yaml');
    writeFileSync(outside, 'stolen: true\n');
    symlinkSync('../../secret.yaml', join(r, 'chart', 'link.yaml'));
    const { message } = await renderError(app({ source: chartSource({ valueFiles: ['link.yaml'] }) }), {
      repos: { [REPO_URL]: r },
    });
    expect(message).toMatch(/out-of-bounds symlinks|resolved to outside repository root/);
  });

  it('should pass a missing file to helm, or drop it with ignoreMissingValueFiles [vector 13]', async () => {
    const { message, commands } = await renderError(app({ source: chartSource({ valueFiles: ['missing.yaml'] }) }), {
      repos,
    });
    expect(flagList(templates(commands)[0]!.args, '--values')).toEqual([join(R, 'chart/missing.yaml')]);
    expect(message).toContain('failed to execute helm template command');
    expect(message).toContain('missing.yaml');
    const ok = await render(
      app({ source: chartSource({ valueFiles: ['missing.yaml'], ignoreMissingValueFiles: true }) }),
      { repos },
    );
    expect(templates(ok.commands)[0]!.args).not.toContain('--values');
  });

  // Run against real helm with a loopback HTTP values file in network.test.ts; here the argument building alone.
  it('should build https URLs verbatim and refuse other schemes [vector 14, args]', () => {
    const req = {
      appPath: join(R, 'chart'),
      repoRoot: R,
      appName: 'guestbook',
      namespace: 'prod',
      env: {},
      multiSource: false,
      refSources: {},
      kubeVersion: '1.29.3',
      apiVersions: [],
      valuesFileSchemes: ['https', 'http'],
      globs: true,
    };
    const built = buildHelmTemplateArgs({ ...req, helm: { valueFiles: ['https://h/v.yaml'] } });
    expect(flagList(built.args, '--values')).toEqual(['https://h/v.yaml']);
    expect(built.remote).toBe(true);
    expect(() => buildHelmTemplateArgs({ ...req, helm: { valueFiles: ['s3://b/v.yaml'] } })).toThrow(
      "the URL scheme 's3' is not allowed",
    );
  });

  it('should expand globs in lexical order, de-duplicate and fail on no match [vector 15]', async () => {
    const { result, commands } = await render(
      app({ source: chartSource({ valueFiles: ['envs/*.yaml', 'envs/prod.yaml'] }) }),
      { repos },
    );
    expect(flagList(templates(commands)[0]!.args, '--values')).toEqual([
      join(R, 'chart/envs/base.yaml'),
      join(R, 'chart/envs/prod.yaml'),
    ]);
    expect(helmValues(result.manifests)['env']).toBe('prod');
    const { message } = await renderError(app({ source: chartSource({ valueFiles: ['nomatch/*.yaml'] }) }), { repos });
    expect(message).toContain('values file glob "nomatch/*.yaml" matched no files');
  });

  it('should run Helm 3 and still glob and de-duplicate when emulating Argo CD 3.4 [vector 15, 3.4]', async () => {
    const { commands } = await render(app({ source: chartSource({ valueFiles: ['envs/*.yaml', 'envs/prod.yaml'] }) }), {
      repos,
      argocdVersion: '3.4',
    });
    const t = templates(commands)[0]!;
    expect(t.bin).toMatch(/helm3$/);
    expect(flagList(t.args, '--values')).toEqual([join(R, 'chart/envs/base.yaml'), join(R, 'chart/envs/prod.yaml')]);
  });

  it('should build dependencies and retry only on the missing-dependency error [vector 16]', async () => {
    const { result, commands } = await render(
      app({ source: { repoURL: REPO_URL, path: 'depchart', targetRevision: 'HEAD' } }),
      { repos },
    );
    expect(commands.filter((c) => !c.offline).map((c) => c.args.slice(0, 2).join(' '))).toEqual([
      'template .',
      'dependency build',
      'template .',
    ]);
    expect(find(result.manifests, 'ConfigMap', 'dep-child')).toBeDefined();
    expect(find(result.manifests, 'ConfigMap', 'dep-parent')).toBeDefined();
    // the user's checkout is untouched: the build ran on a private copy
    expect(() => readFileSync(join(R, 'depchart', 'Chart.lock'))).toThrow();
    const { commands: failed } = await renderError(app({ source: chartSource({ valueFiles: ['missing.yaml'] }) }), {
      repos,
    });
    expect(failed.map((c) => c.args[0])).toEqual(['template']);
  });

  it('should pull a chart, resolve $values from the ref repo root and render nothing for the ref source [vector 17]', async () => {
    const mirror = chartMirror(['1.2.3']);
    const { result, commands } = await render(
      app({
        sources: [
          {
            repoURL: 'https://charts.ex',
            chart: 'foo',
            targetRevision: '1.2.3',
            helm: { valueFiles: ['$values/values-repo/env/prod.yaml'] },
          },
          { repoURL: VALUES_URL, targetRevision: 'main', ref: 'values' },
        ],
      }),
      { repos, chartRepos: { 'https://charts.ex': mirror } },
    );
    const pull = commands.find((c) => c.args[0] === 'pull')!;
    expect(withoutDestination(pull.args)).toEqual([
      'pull',
      '--destination',
      '<tmp>',
      '--version',
      '1.2.3',
      '--repo',
      'https://charts.ex',
      'foo',
    ]);
    expect(flagList(templates(commands)[0]!.args, '--values')).toEqual([join(V, 'values-repo/env/prod.yaml')]);
    expect(result.sources.map((s) => [s.type, s.objects.length])).toEqual([
      ['Helm', 1],
      ['Ref', 0],
    ]);
    const cm = find(result.manifests, 'ConfigMap', 'guestbook-foo')!['data'] as Record<string, string>;
    expect(JSON.parse(cm['values.json']!)['fromValuesRepo']).toBe('prod');
  });

  it('should refuse $values/../ escapes [vector 18]', async () => {
    const { message } = await renderError(
      app({ sources: [chartSource({ valueFiles: ['$values/../x.yaml'] }), { repoURL: VALUES_URL, ref: 'values' }] }),
      { repos },
    );
    expect(message).toBe(
      "failed to generate manifest for source 1 of 2: error resolving value file path: file '$values/../x.yaml' resolved to outside repository root",
    );
  });

  it('should name the unknown ref and the available ones, or say none is defined [vector 19]', async () => {
    const unknown = await renderError(
      app({ sources: [chartSource({ valueFiles: ['$nope/x.yaml'] }), { repoURL: VALUES_URL, ref: 'values' }] }),
      { repos },
    );
    expect(unknown.message).toContain('source referenced "$nope", which is not one of the available sources ($values)');
    const none = await renderError(app({ sources: [chartSource({ valueFiles: ['$nope/x.yaml'] })] }), { repos });
    expect(none.message).toContain(`source referenced "$nope", but no source has a 'ref' field defined`);
  });

  it('should treat $ARGOCD_APP_NAME as a ref in multi-source apps and as a variable in single-source apps [vector 20]', async () => {
    const multi = await renderError(app({ sources: [chartSource({ valueFiles: ['$ARGOCD_APP_NAME.yaml'] })] }), {
      repos,
    });
    expect(multi.message).toContain(
      `source referenced "$ARGOCD_APP_NAME.yaml", but no source has a 'ref' field defined`,
    );
    const single = await render(
      app({ source: chartSource({ valueFiles: ['$ARGOCD_APP_NAME.yaml'], ignoreMissingValueFiles: false }) }),
      {
        repos,
      },
    ).catch((e: Error) => e);
    // guestbook.yaml does not exist: helm is still called with the substituted path
    expect(String(single instanceof Error ? single.message : '')).toContain('guestbook.yaml');
    // ... and with the file present it is passed as --values <A>/guestbook.yaml and read.
    const r = fixtureRepo('v20');
    writeFile(join(r, 'chart', 'guestbook.yaml'), 'fromAppName: yes\n');
    const ok = await render(app({ source: chartSource({ valueFiles: ['$ARGOCD_APP_NAME.yaml'] }) }), {
      repos: { [REPO_URL]: r },
    });
    expect(flagList(templates(ok.commands)[0]!.args, '--values')).toEqual([join(r, 'chart', 'guestbook.yaml')]);
    expect(helmValues(ok.result.manifests)['fromAppName']).toBe(true);
  });

  it('should reject bad ref names, duplicate refs and refs to chart sources [vector 21]', async () => {
    const bad = await renderError(app({ sources: [chartSource(), { repoURL: VALUES_URL, ref: 'my.values' }] }), {
      repos,
    });
    expect(bad.message).toBe("sources.ref my.values cannot contain any special characters except '_' and '-'");
    const dup = await renderError(
      app({
        sources: [
          { repoURL: VALUES_URL, ref: 'v' },
          { repoURL: REPO_URL, ref: 'v' },
        ],
      }),
      { repos },
    );
    expect(dup.message).toBe('invalid sources: multiple sources had the same `ref` key');
    const chartRef = await renderError(
      app({
        sources: [
          chartSource({ valueFiles: ['$c/values.yaml'] }),
          { repoURL: 'https://charts.ex', chart: 'foo', targetRevision: '1.0.0', ref: 'c' },
        ],
      }),
      { repos, chartRepos: { 'https://charts.ex': chartMirror(['1.0.0']) } },
    );
    expect(chartRef.message).toContain(
      "source has a 'chart' field defined, but Helm charts are not yet not supported for 'ref' sources",
    );
  });

  it('should render ref+path sources while $values still means the repository root [vector 22]', async () => {
    const { result, commands } = await render(
      app({
        sources: [
          chartSource({ valueFiles: ['$values/envs/p.yaml'] }),
          { repoURL: REPO_URL, targetRevision: 'HEAD', path: 'manifests', ref: 'values' },
        ],
      }),
      { repos },
    );
    expect(flagList(templates(commands)[0]!.args, '--values')).toEqual([join(R, 'envs/p.yaml')]);
    expect(result.sources[1]!.type).toBe('Directory');
    expect(find(result.manifests, 'ConfigMap', 'top')).toBeDefined();
  });

  it('should refuse the same repository at two revisions [vector 23]', async () => {
    const { message } = await renderError(
      app({
        sources: [
          chartSource({ valueFiles: ['$values/envs/p.yaml'] }),
          { repoURL: REPO_URL, targetRevision: 'other', ref: 'values' },
        ],
      }),
      { repos },
    );
    expect(message).toContain(
      'cannot reference a different revision of the same repository ($values references "other" while the application references "HEAD")',
    );
    const two = await renderError(
      app({
        sources: [
          chartSource({ valueFiles: ['$a/x.yaml', '$b/y.yaml'] }),
          { repoURL: VALUES_URL, targetRevision: 'v1', ref: 'a' },
          { repoURL: `${VALUES_URL}/`, targetRevision: 'v2', ref: 'b' },
        ],
      }),
      { repos },
    );
    expect(two.message).toContain(
      'cannot reference multiple revisions for the same repository ($b references "v2" while $a references "v1")',
    );
  });

  it('should keep the last duplicate with a warning in target mode and both in GetManifests [vector 24]', async () => {
    const { result } = await render(
      app({
        sources: [
          chartSource(),
          {
            repoURL: REPO_URL,
            path: 'chart',
            targetRevision: 'HEAD',
            helm: { parameters: [{ name: 'replicas', value: '5' }] },
          },
        ],
      }),
      { repos },
    );
    expect(result.manifests.filter((o) => o.kind === 'Deployment')).toHaveLength(2);
    const deps = result.target.resources.filter((o) => o.kind === 'Deployment');
    expect(deps).toHaveLength(1);
    expect((deps[0]!['spec'] as { replicas: number }).replicas).toBe(5);
    expect(result.warnings).toContain(
      'Resource apps/Deployment/prod/guestbook-web appeared 2 times among application resources.',
    );
  });

  it('should resolve Masterminds constraints over tags and require a targetRevision [vector 25]', async () => {
    const tags = ['0.5.0', '0.5.1', '0.7.2', '0.8.0-rc1'];
    expect(maxSatisfying(tags, '>=0.5.0')).toBe('0.7.2');
    expect(maxSatisfying(tags, '>0.5.0,<0.7.0')).toBe('0.5.1');
    expect(maxSatisfying(tags, '>=0.8.0-rc0')).toBe('0.8.0-rc1');
    const mirror = chartMirror(tags);
    const chartRepos = { 'oci://registry.ex/charts': mirror };
    const viaConstraint = await render(
      app({ source: { repoURL: 'registry.ex/charts', chart: 'foo', targetRevision: '>=0.5.0' } }),
      { chartRepos },
    );
    expect(viaConstraint.result.sources[0]!.revision).toBe('0.7.2');
    const exact = await renderError(
      app({ source: { repoURL: 'registry.ex/charts', chart: 'foo', targetRevision: '0.5' } }),
      { chartRepos },
    );
    expect(exact.message).toContain('chart foo version 0.5 from registry.ex/charts is not available offline');
    const none = await renderError(
      app({ source: { repoURL: 'registry.ex/charts', chart: 'foo', targetRevision: '>=9.0.0' } }),
      { chartRepos },
    );
    expect(none.message).toContain('invalid revision: version matching constraint not found in 4 tags');
    const missing = await renderError(app({ source: { repoURL: 'registry.ex/charts', chart: 'foo' } }), { chartRepos });
    expect(missing.message).toContain('targetRevision is required if the manifest source is a helm chart');
  });

  it('should pull OCI charts as oci://<repo>/<chart> [vector 26]', async () => {
    const mirror = chartMirror(['15.9.0'], 'nginx');
    const { commands, result } = await render(
      app({ source: { repoURL: 'registry-1.docker.io/bitnamicharts', chart: 'nginx', targetRevision: '15.9.0' } }),
      { chartRepos: { 'oci://registry-1.docker.io/bitnamicharts': mirror } },
    );
    const pull = commands.find((c) => c.args[0] === 'pull')!;
    expect(withoutDestination(pull.args)).toEqual([
      'pull',
      'oci://registry-1.docker.io/bitnamicharts/nginx',
      '--version',
      '15.9.0',
      '--destination',
      '<tmp>',
    ]);
    expect(find(result.manifests, 'ConfigMap', 'guestbook-foo')).toBeDefined();
    const offline = await renderError(
      app({ source: { repoURL: 'registry-1.docker.io/bitnamicharts', chart: 'nginx', targetRevision: '15.9.0' } }),
    );
    expect(offline.hint).toContain('--chart-repo registry-1.docker.io/bitnamicharts=<dir>');
  });

  it('should pick Kustomize over Helm by lexical order and refuse two explicit tools [vector 27]', async () => {
    const { result, commands } = await render(app({ source: { repoURL: REPO_URL, path: 'both' } }), { repos });
    expect(result.sources[0]!.type).toBe('Kustomize');
    expect(commands[0]!.args).toEqual(['build', join(R, 'both')]);
    expect(find(result.manifests, 'ConfigMap', 'from-kustomize')).toBeDefined();
    const { message } = await renderError(
      app({ source: { repoURL: REPO_URL, path: 'both', helm: {}, directory: {} } }),
      { repos },
    );
    expect(message).toBe(
      'failed to generate manifest for source 1 of 1: multiple application sources defined: Helm,Directory',
    );
  });

  it('should walk directories with recurse, include/exclude, skip marker and the JSON rule [vector 28]', async () => {
    const names = async (directory?: object) =>
      (
        await render(app({ source: { repoURL: REPO_URL, path: 'manifests', ...(directory ? { directory } : {}) } }), {
          repos,
        })
      ).result.manifests
        .map((o) => o.metadata!.name)
        .sort();
    expect(await names()).toEqual(['json-one', 'top']);
    expect(await names({ recurse: true })).toEqual(['deep-a', 'deep-b', 'json-one', 'top']);
    expect(await names({ recurse: true, include: '*.yml' })).toEqual(['deep-a', 'deep-b']);
    expect(await names({ recurse: true, include: '{one.json,cm.yaml}' })).toEqual(['json-one', 'top']);
    expect(await names({ recurse: true, exclude: 'sub/*' })).toEqual(['json-one', 'top']);
    const r = fixtureRepo('jsonrule');
    writeFileSync(
      join(r, 'manifests', 'two.json'),
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}\n{"apiVersion":"v1"}',
    );
    const { message } = await renderError(app({ source: { repoURL: REPO_URL, path: 'manifests' } }), {
      repos: { [REPO_URL]: r },
    });
    expect(message).toContain('Found multiple objects in "two.json". Only single objects are allowed in JSON files.');
    writeFileSync(join(r, 'manifests', 'two.json'), '{}');
    writeFileSync(join(r, 'manifests', 'broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n');
    const broken = await renderError(app({ source: { repoURL: REPO_URL, path: 'manifests' } }), {
      repos: { [REPO_URL]: r },
    });
    expect(broken.message).toContain('failed to unmarshal "broken.yaml"');
  });

  it('should flatten kind List in place and drop null items and empty documents [vector 29]', async () => {
    const { result } = await render(app({ source: { repoURL: REPO_URL, path: 'manifests/sub' } }), { repos });
    expect(result.manifests.map((o) => o.metadata!.name)).toEqual(['deep-a', 'deep-b']);
  });

  it('should run kustomize edits in Argo order on a copy [vector 30]', async () => {
    const kustomize = {
      namePrefix: 'p-',
      nameSuffix: '-s',
      images: ['example/app=example/app:$ARGOCD_APP_REVISION_SHORT'],
      replicas: [{ name: 'app', count: 3 }],
      commonLabels: { team: 'a' },
      commonAnnotations: { note: 'hello' },
      namespace: 'kns',
      patches: [{ target: { kind: 'Deployment' }, patch: '- op: add\n  path: /spec/minReadySeconds\n  value: 7' }],
      components: ['../components/extra'],
    };
    const { result, commands } = await render(app({ source: { repoURL: REPO_URL, path: 'kust/overlay', kustomize } }), {
      repos,
    });
    expect(commands.map((c) => c.args.slice(0, 3).join(' '))).toEqual([
      'edit set nameprefix',
      'edit set namesuffix',
      'edit set image',
      'edit set replicas',
      'edit add label',
      'edit add annotation',
      'edit set namespace',
      'edit add component',
      `build ${commands.at(-1)!.args[1]}`,
    ]);
    expect(commands.at(-1)!.cwd).not.toBe(R); // a private copy
    const dep = find(result.manifests, 'Deployment', 'p-app-s')!;
    expect(dep.metadata!.namespace).toBe('kns');
    expect(dep.metadata!.labels).toMatchObject({ team: 'a' });
    expect(dep.metadata!.annotations).toMatchObject({ note: 'hello' });
    expect((dep['spec'] as { minReadySeconds: number }).minReadySeconds).toBe(7);
    expect((dep['spec'] as { replicas: number }).replicas).toBe(3);
    expect(JSON.stringify(dep)).toContain(`example/app:${sha.slice(0, 7)}`);
    expect(find(result.manifests, 'ConfigMap', 'p-extra-s')).toBeDefined();
    expect(readFileSync(join(R, 'kust/overlay/kustomization.yaml'), 'utf8')).not.toContain('nameprefix');
  });

  it('should env-substitute commonLabels always and commonAnnotations only with commonAnnotationsEnvsubst [vector 31]', () => {
    const env = { ARGOCD_APP_NAME: 'guestbook' };
    const off = buildKustomizeEdits(
      { commonLabels: { l: '$ARGOCD_APP_NAME' }, commonAnnotations: { a: '$ARGOCD_APP_NAME' } },
      env,
    );
    expect(off.map((e) => (e.kind === 'edit' ? e.args : []))).toEqual([
      ['edit', 'add', 'label', 'l:guestbook'],
      ['edit', 'add', 'annotation', 'a:$ARGOCD_APP_NAME'],
    ]);
    const on = buildKustomizeEdits(
      { commonAnnotations: { a: '$ARGOCD_APP_NAME' }, commonAnnotationsEnvsubst: true },
      env,
    );
    expect(on[0]).toEqual({ kind: 'edit', args: ['edit', 'add', 'annotation', 'a:guestbook'] });
  });

  it('should label with the substituted value and annotate verbatim unless commonAnnotationsEnvsubst, with real kustomize [vector 31]', async () => {
    const kustomize = { commonLabels: { l: '$ARGOCD_APP_NAME' }, commonAnnotations: { a: '$ARGOCD_APP_NAME' } };
    const source = (k: object) => ({ repoURL: REPO_URL, path: 'kust/base', targetRevision: 'HEAD', kustomize: k });
    const off = await render(app({ source: source(kustomize) }), { repos });
    const cm = find(off.result.manifests, 'ConfigMap', 'settings')!;
    expect(cm.metadata!.labels!['l']).toBe('guestbook');
    expect(cm.metadata!.annotations!['a']).toBe('$ARGOCD_APP_NAME');
    expect(off.commands.filter((c) => c.args[0] === 'edit').map((c) => c.args)).toEqual([
      ['edit', 'add', 'label', 'l:guestbook'],
      ['edit', 'add', 'annotation', 'a:$ARGOCD_APP_NAME'],
    ]);
    const on = await render(app({ source: source({ ...kustomize, commonAnnotationsEnvsubst: true }) }), { repos });
    expect(find(on.result.manifests, 'ConfigMap', 'settings')!.metadata!.annotations!['a']).toBe('guestbook');
  });

  it('should append patches after existing ones, fail without kustomization and ignore missing components [vector 32]', async () => {
    const { result } = await render(
      app({
        source: {
          repoURL: REPO_URL,
          path: 'kust/overlay',
          kustomize: {
            patches: [
              {
                target: { kind: 'ConfigMap', name: 'settings' },
                patch: '- op: replace\n  path: /data/fromOverlay\n  value: "second"',
              },
            ],
            components: ['../components/nope'],
            ignoreMissingComponents: true,
          },
        },
      }),
      { repos },
    );
    expect((find(result.manifests, 'ConfigMap', 'settings')!['data'] as Record<string, string>)['fromOverlay']).toBe(
      'second',
    );
    const { message } = await renderError(
      app({ source: { repoURL: REPO_URL, path: 'manifests', kustomize: { patches: [{ patch: 'x' }] } } }),
      { repos },
    );
    expect(message).toContain('kustomization file not found in the path');
  });

  it('should pass buildOptions after the app path with cwd at the repository root [vector 33]', async () => {
    const { commands } = await render(app({ source: { repoURL: REPO_URL, path: 'kust/overlay' } }), {
      repos,
      kustomizeBuildOptions: '--load-restrictor LoadRestrictionsNone',
    });
    expect(commands[0]!.args).toEqual(['build', join(R, 'kust/overlay'), '--load-restrictor', 'LoadRestrictionsNone']);
    expect(commands[0]!.cwd).toBe(R);
  });

  it('should track Deployments, cluster-scoped kinds with the destination namespace and never CRDs [vector 34]', async () => {
    const { result } = await render(app({ source: chartSource() }), { repos, installationId: 'inst-1' });
    const ann = (kind: string, name: string) => find(result.manifests, kind, name)!.metadata!.annotations ?? {};
    expect(ann('Deployment', 'guestbook-web')[TRACKING_ANNOTATION]).toBe(
      'guestbook:apps/Deployment:prod/guestbook-web',
    );
    expect(ann('ClusterRole', 'guestbook-reader')[TRACKING_ANNOTATION]).toBe(
      'guestbook:rbac.authorization.k8s.io/ClusterRole:prod/guestbook-reader',
    );
    expect(ann('ClusterRole', 'guestbook-reader')['argocd.argoproj.io/installation-id']).toBe('inst-1');
    expect(ann('CustomResourceDefinition', 'widgets.example.com')[TRACKING_ANNOTATION]).toBeUndefined();
    const label = await render(app({ source: chartSource() }), {
      repos,
      trackingMethod: 'label',
      instanceLabelKey: 'example.com/app',
    });
    const dep = find(label.result.manifests, 'Deployment', 'guestbook-web')!;
    expect(dep.metadata!.labels!['example.com/app']).toBe('guestbook');
    expect(dep.metadata!.annotations?.[TRACKING_ANNOTATION]).toBeUndefined();
  });

  it('should set both annotation and label, the label cut to 63 characters, with annotation+label [vector 34]', async () => {
    const long = `guestbook-${'x'.repeat(60)}`; // 70 characters
    const a = app({ source: chartSource({ releaseName: 'guestbook' }) });
    a.metadata.name = long;
    const { result } = await render(a, { repos, trackingMethod: 'annotation+label' });
    const dep = find(result.manifests, 'Deployment', 'guestbook-web')!;
    expect(dep.metadata!.annotations![TRACKING_ANNOTATION]).toBe(`${long}:apps/Deployment:prod/guestbook-web`);
    expect(dep.metadata!.labels!['app.kubernetes.io/instance']).toBe(long.slice(0, 63));
    expect(long.slice(0, 63)).toHaveLength(63);
    const crd = find(result.manifests, 'CustomResourceDefinition', 'widgets.example.com')!;
    expect(crd.metadata!.labels?.['app.kubernetes.io/instance']).toBeUndefined();
  });

  it('should default namespaces, clear cluster-scoped ones and treat unknown kinds as namespaced [vector 35]', async () => {
    const r = fixtureRepo('ns');
    writeFile(
      join(r, 'mixed', 'all.yaml'),
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: plain }',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: cr, namespace: wrong }',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }',
        'apiVersion: example.com/v1\nkind: Gadget\nmetadata: { name: g, namespace: wrong }',
        'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: gadgets.example.com }\nspec: { group: example.com, scope: Cluster, names: { kind: Gadget } }',
      ].join('\n---\n'),
    );
    const { result } = await render(app({ source: { repoURL: REPO_URL, path: 'mixed' } }), {
      repos: { [REPO_URL]: r },
    });
    const ns = (kind: string, name: string) => find(result.target.resources, kind, name)!.metadata!.namespace;
    expect(ns('ConfigMap', 'plain')).toBe('prod');
    expect(ns('ClusterRole', 'cr')).toBeUndefined();
    expect(ns('Widget', 'w')).toBe('prod');
    expect(ns('Gadget', 'g')).toBeUndefined();
  });

  it('should apply .argocd-source.yaml then .argocd-source-<app>.yaml replacing lists whole [vector 36]', async () => {
    const r = fixtureRepo('overrides');
    writeFileSync(
      join(r, 'chart', '.argocd-source.yaml'),
      'helm:\n  valueFiles: [a.yaml]\n  parameters: [{ name: p, value: base }]\npath: elsewhere\n',
    );
    writeFileSync(
      join(r, 'chart', '.argocd-source-guestbook.yaml'),
      'helm:\n  parameters: [{ name: q, value: app }]\n',
    );
    const { commands } = await render(app({ source: chartSource({ parameters: [{ name: 'orig', value: '1' }] }) }), {
      repos: { [REPO_URL]: r },
    });
    const args = templates(commands)[0]!.args;
    expect(flagSet(args, '--set')).toEqual(new Set(['q=app']));
    expect(flagList(args, '--values')).toEqual([join(r, 'chart/a.yaml')]);
    expect(commands[0]!.cwd).toBe(join(r, 'chart')); // path restored
  });

  it('should keep hooks in render output and map or drop them in target mode [vector 37]', async () => {
    const { result } = await render(app({ source: chartSource() }), { repos });
    expect(find(result.manifests, 'Job', 'guestbook-migrate')).toBeDefined();
    expect(find(result.manifests, 'Pod', 'guestbook-test')).toBeDefined();
    expect(find(result.target.resources, 'Job', 'guestbook-migrate')).toBeUndefined();
    expect(result.target.hooks.map((h) => [h.object.metadata!.name, h.phases])).toEqual([
      ['guestbook-migrate', ['PreSync']],
    ]);
    expect(result.target.hooks[0]!.object.metadata!.annotations!['argocd.argoproj.io/sync-wave']).toBe('-5');
  });

  it('should let argocd.argoproj.io/hook override helm.sh/hook in target mode [vector 37]', async () => {
    const r = fixtureRepo('hooks');
    writeFile(
      join(r, 'hooks', 'all.yaml'),
      [
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: both\n  annotations:\n    helm.sh/hook: pre-install\n    argocd.argoproj.io/hook: PostSync',
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: argo-only\n  annotations:\n    argocd.argoproj.io/hook: Sync,SyncFail',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain',
      ].join('\n---\n'),
    );
    const { result } = await render(app({ source: { repoURL: REPO_URL, path: 'hooks' } }), {
      repos: { [REPO_URL]: r },
    });
    expect(result.manifests.map((o) => o.metadata!.name).sort()).toEqual(['argo-only', 'both', 'plain']);
    expect(result.target.resources.map((o) => o.metadata!.name)).toEqual(['plain']);
    expect(
      result.target.hooks
        .map((h) => [h.object.metadata!.name, h.phases])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    ).toEqual([
      ['argo-only', ['Sync', 'SyncFail']],
      ['both', ['PostSync']],
    ]);
  });

  it('should give a chart source its chart version as ARGOCD_APP_REVISION [vector 38]', async () => {
    const mirror = chartMirror(['2.0.1']);
    const { result, commands } = await render(
      app({
        source: {
          repoURL: 'https://charts.ex',
          chart: 'foo',
          targetRevision: '2.0.1',
          helm: { parameters: [{ name: 'rev', value: '$ARGOCD_APP_REVISION' }] },
        },
      }),
      { chartRepos: { 'https://charts.ex': mirror } },
    );
    expect(flagSet(templates(commands)[0]!.args, '--set')).toEqual(new Set(['rev=2.0.1']));
    const cm = find(result.manifests, 'ConfigMap', 'guestbook-foo')!['data'] as Record<string, string>;
    expect(cm['chartVersion']).toBe('2.0.1');
  });

  it('should keep the exact non-set argument order of vector 1 with every option set', async () => {
    const { commands } = await render(
      app({
        source: chartSource({
          releaseName: 'rel',
          parameters: [{ name: 'a', value: '1' }],
          valueFiles: ['a.yaml'],
          values: 'z: 1',
          skipTests: true,
        }),
      }),
      { repos },
    );
    const args = withoutSets(templates(commands)[0]!.args);
    expect(args.slice(0, 8)).toEqual([
      'template',
      '.',
      '--name-template',
      'rel',
      '--namespace',
      'prod',
      '--kube-version',
      '1.29.3',
    ]);
    expect(args.slice(8, 12)).toEqual(['--values', join(R, 'chart/a.yaml'), '--values', args[11]]);
    expect(args.slice(12)).toEqual([...apiFlags, '--include-crds', '--skip-tests']);
    expect(CLUSTER.apiVersions).toEqual(APIS);
  });
});

function withoutDestination(args: string[]): string[] {
  return args.map((a, i) => (args[i - 1] === '--destination' ? '<tmp>' : a));
}

// Keep the symlink helper import used on all platforms.
void mkdirSync;

describe('render edge cases', () => {
  beforeAll(() => emulate('3.5'));
  it('should vendor a remote chart dependency from a mapped chart repository when retrying a missing dependency', async () => {
    const r = fixtureRepo('remote-dep');
    writeFile(
      join(r, 'withdep', 'Chart.yaml'),
      'apiVersion: v2\nname: withdep\nversion: 0.1.0\ndependencies:\n  - name: foo\n    version: ^1.0.0\n    repository: https://charts.ex\n',
    );
    writeFile(
      join(r, 'withdep', 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n',
    );
    const mirror = chartMirror(['1.0.0', '1.4.0', '2.0.0']);
    const { result } = await render(app({ source: { repoURL: REPO_URL, path: 'withdep' } }), {
      repos: { [REPO_URL]: r },
      chartRepos: { 'https://charts.ex': mirror },
    });
    const cm = find(result.manifests, 'ConfigMap', 'guestbook-foo')!['data'] as Record<string, string>;
    expect(cm['chartVersion']).toBe('1.4.0');
    const offline = await renderError(app({ source: { repoURL: REPO_URL, path: 'withdep' } }), {
      repos: { [REPO_URL]: r },
    });
    expect(offline.message).toContain('chart foo version ^1.0.0 from https://charts.ex is not available offline');
  });

  it('should refuse config management plugins and Jsonnet naming the application', async () => {
    const plugin = await renderError(app({ source: { repoURL: REPO_URL, path: 'manifests', plugin: { name: 'x' } } }), {
      repos,
    });
    expect(plugin.message).toContain('application guestbook: config management plugins are not supported');
    const r = fixtureRepo('jsonnet');
    writeFileSync(join(r, 'manifests', 'app.jsonnet'), '{}');
    const jsonnet = await renderError(app({ source: { repoURL: REPO_URL, path: 'manifests' } }), {
      repos: { [REPO_URL]: r },
    });
    expect(jsonnet.message).toContain('application guestbook: Jsonnet (app.jsonnet) is not supported');
  });

  it('should report app path errors with Argo messages', async () => {
    expect((await renderError(app({ source: { repoURL: REPO_URL, path: 'nope' } }), { repos })).message).toContain(
      'nope: app path does not exist',
    );
    expect((await renderError(app({ source: { repoURL: REPO_URL, path: '../x' } }), { repos })).message).toContain(
      '../x: app path outside root',
    );
    expect((await renderError(app({ source: { repoURL: REPO_URL, path: '/abs' } }), { repos })).message).toContain(
      '/abs: app path is absolute',
    );
    expect(
      (await renderError(app({ source: { repoURL: REPO_URL, path: 'envs/p.yaml' } }), { repos })).message,
    ).toContain('envs/p.yaml: app path is not a directory');
    const unmapped = await renderError(app({ source: { repoURL: 'https://git.example.com/other.git', path: 'x' } }), {
      repos,
    });
    expect(unmapped.hint).toContain('--repo https://git.example.com/other.git=<dir>');
  });

  it('should run kustomize --enable-helm with the emulated helm and the cluster flags', async () => {
    const r = fixtureRepo('kust-helm');
    writeFile(
      join(r, 'kh', 'kustomization.yaml'),
      'helmCharts:\n  - name: chart\n    releaseName: kh\nhelmGlobals:\n  chartHome: ../\n',
    );
    const { result, commands } = await render(app({ source: { repoURL: REPO_URL, path: 'kh' } }), {
      repos: { [REPO_URL]: r },
      kustomizeBuildOptions: '--enable-helm --load-restrictor LoadRestrictionsNone',
    });
    const build = commands.find((c) => c.args[0] === 'build')!;
    expect(build.args.slice(2)).toEqual([
      '--enable-helm',
      '--load-restrictor',
      'LoadRestrictionsNone',
      '--helm-kube-version',
      '1.29.3',
      ...[...APIS].sort().flatMap((a) => ['--helm-api-versions', a]),
    ]);
    expect(find(result.manifests, 'Deployment', 'kh-web')).toBeDefined();
  });
});

describe('helm values validation', () => {
  it('should refuse a map in helm.values and point at valuesObject', async () => {
    const r = fixtureRepo('values-map');
    const e = await renderError(
      app({ source: { repoURL: REPO_URL, path: 'chart', helm: { values: { x: 1 } as unknown as string } } }),
      {
        repos: { [REPO_URL]: r },
      },
    );
    expect(e.message).toContain('spec.source.helm.values must be a string');
    expect(e.hint).toContain('valuesObject');
  });
});
