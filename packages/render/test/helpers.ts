/** Shared test helpers: fixture repositories in temp folders, an Application builder and a recording render. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ApplicationResult, type RenderOptions, renderApplication } from '../src/application.js';
import { OutputCache } from '../src/cache.js';
import { Session, type ToolCommand } from '../src/session.js';
import type { Application, ApplicationSource, K8sObject } from '../src/types.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const REPO_URL = 'https://git.example.com/org/repo.git';
export const VALUES_URL = 'https://git.example.com/org/values.git';
export const SHA = '0123456789abcdef0123456789abcdef01234567';

const temps: string[] = [];

/** A fresh temp folder removed by {@link cleanupTemps}. */
export function tempDir(prefix = 'render-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

export function cleanupTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Copies fixtures/repo into a temp Git repository with a known HEAD. Returns its path. */
export function fixtureRepo(name = 'repo'): string {
  const dir = join(tempDir(), name);
  cpSync(join(FIXTURES, 'repo'), dir, { recursive: true });
  return dir;
}

/** Makes `dir` a Git repository with one commit; returns the commit id. */
export function gitInit(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
    })
      .toString()
      .trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'fixture');
  return git('rev-parse', 'HEAD');
}

/** A chart mirror folder holding `foo-<v>.tgz` for each version (built from fixtures/mirror/src/foo). */
export function chartMirror(versions: string[], chart = 'foo'): string {
  const mirror = tempDir('mirror-');
  for (const v of versions) {
    const work = tempDir('pkg-');
    cpSync(join(FIXTURES, 'mirror', 'src', 'foo'), join(work, chart), { recursive: true });
    const chartYaml = join(work, chart, 'Chart.yaml');
    writeFileSync(
      chartYaml,
      readFileSync(chartYaml, 'utf8').replace('name: foo', `name: ${chart}`).replace('version: 0.0.0', `version: ${v}`),
    );
    execFileSync('tar', ['-czf', join(mirror, `${chart}-${v}.tgz`), '-C', work, chart]);
  }
  return mirror;
}

/** An Application with the spec's defaults: `guestbook` in `argocd`, destination `prod`, project default. */
export function app(spec: {
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  namespace?: string;
  destNamespace?: string;
}): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: spec.namespace ?? 'argocd' },
    spec: {
      project: 'default',
      destination: { server: 'https://kubernetes.default.svc', namespace: spec.destNamespace ?? 'prod' },
      ...(spec.source ? { source: spec.source } : {}),
      ...(spec.sources ? { sources: spec.sources } : {}),
    },
  };
}

/** The spec's default cluster: v1.29.3+k3s1 and four APIs. */
export const CLUSTER: RenderOptions = {
  kubeVersion: 'v1.29.3+k3s1',
  apiVersions: ['v1', 'v1/Pod', 'apps/v1', 'apps/v1/Deployment'],
  cacheDir: false,
};

let emulated = '3.5';

/** Sets the Argo CD release {@link render} emulates unless a test passes its own (suites run once per release). */
export function emulate(version: string): void {
  emulated = version;
}

/** A session that records outputs, with an output cache when `opts.cacheDir` names one. */
function recordingSession(opts: RenderOptions): Session {
  return new Session({
    recordOutputs: true,
    concurrency: 2,
    ...(opts.cacheDir ? { cache: new OutputCache(opts.cacheDir) } : {}),
  });
}

/** Renders with a recording session; returns the result and every command issued. */
export async function render(
  a: Application,
  opts: RenderOptions = {},
): Promise<{ result: ApplicationResult; commands: ToolCommand[] }> {
  const session = recordingSession(opts);
  try {
    const result = await renderApplication(a, { ...CLUSTER, argocdVersion: emulated, ...opts, session });
    return { result, commands: session.commands };
  } finally {
    session.dispose();
  }
}

/** Like {@link render} but returns the error message (fails the test when rendering succeeds). */
export async function renderError(
  a: Application,
  opts: RenderOptions = {},
): Promise<{ message: string; hint: string; commands: ToolCommand[] }> {
  const session = recordingSession(opts);
  try {
    await renderApplication(a, { ...CLUSTER, argocdVersion: emulated, ...opts, session });
  } catch (err) {
    return { message: (err as Error).message, hint: (err as { hint?: string }).hint ?? '', commands: session.commands };
  } finally {
    session.dispose();
  }
  throw new Error('expected rendering to fail');
}

/** The `helm template` commands issued. */
export function templates(commands: ToolCommand[]): ToolCommand[] {
  return commands.filter((c) => c.args[0] === 'template');
}

/** Values of every occurrence of `flag` (e.g. all `--set` arguments) as a set. */
export function flagSet(args: string[], flag: string): Set<string> {
  const out = new Set<string>();
  args.forEach((a, i) => {
    if (a === flag && i + 1 < args.length) out.add(args[i + 1]!);
  });
  return out;
}

/** Values of every occurrence of `flag`, in order. */
export function flagList(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag && i + 1 < args.length ? [args[i + 1]!] : []));
}

/** The args with every `--set*` pair removed (what must match exactly, in order). */
export function withoutSets(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--set' || args[i] === '--set-string' || args[i] === '--set-file') i++;
    else out.push(args[i]!);
  }
  return out;
}

/** Finds an object by kind and name. */
export function find(objs: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objs.find((o) => o.kind === kind && o.metadata?.name === name);
}

/** The values helm saw, from the chart's values-dump ConfigMap. */
export function helmValues(objs: K8sObject[], release = 'guestbook'): Record<string, unknown> {
  const cm = find(objs, 'ConfigMap', `${release}-values`);
  if (!cm)
    throw new Error(`no ${release}-values ConfigMap in ${objs.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return JSON.parse((cm['data'] as Record<string, string>)['values.json']!) as Record<string, unknown>;
}

export function writeFile(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}
