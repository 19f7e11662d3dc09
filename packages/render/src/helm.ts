/**
 * Helm sources, as the repo-server runs them (`util/helm/cmd.go`, `reposerver/repository`): the `helm template`
 * command line in Argo's exact flag order, value file resolution (`$ref`, globs, URL schemes, root checks), the
 * missing-dependency retry and chart fetching from (offline-mapped) chart repositories and OCI registries.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { sha256 } from './cache.js';
import { envsubst } from './envsubst.js';
import { RenderError } from './errors.js';
import { expandGlob, hasGlobMeta } from './glob.js';
import { parseUserYaml, toYaml } from './manifests.js';
import { isInside, resolveRepoFile, resolveValueFile } from './paths.js';
import { formatCommand } from './redact.js';
import type { ChartRepoMap } from './repos.js';
import { maxSatisfying, parseVersion } from './semver.js';
import type { Session } from './session.js';
import type { ToolSet } from './tools.js';
import type { ApplicationSource, HelmSource } from './types.js';

/** A source that others reference with `$<ref>` (multi-source apps). */
export interface RefTarget {
  repoURL: string;
  targetRevision?: string;
  chart?: string;
  /** Local checkout of the repository, when mapped. */
  dir?: string;
}

/** Everything `helm template` depends on for one source. */
export interface HelmTemplateRequest {
  /** Chart folder (cwd; the chart argument is `.`). */
  appPath: string;
  /** Root that value files must stay inside (the repository; for chart-repo sources the chart folder). */
  repoRoot: string;
  /** Application name (name part of the instance name): the default release name. */
  appName: string;
  /** spec.destination.namespace */
  namespace: string;
  helm: HelmSource;
  /** `spec.source.kustomize.namespace`, which Argo consults before the destination namespace. */
  kustomizeNamespace?: string;
  /** ARGOCD_APP_* build environment of this source. */
  env: Record<string, string>;
  /** True when the app uses `spec.sources` (enables `$ref`). */
  multiSource: boolean;
  /** `$<ref>` -> referenced source. */
  refSources: Record<string, RefTarget>;
  /** Cluster Kubernetes version (normalised here). */
  kubeVersion: string;
  /** Cluster API versions (`group/version` and `group/version/Kind`). */
  apiVersions: string[];
  /** argocd-cm helm.valuesFileSchemes. */
  valuesFileSchemes: string[];
  /** valueFiles globbing + de-duplication (Argo CD >= 3.4). */
  globs: boolean;
}

/** The built command: arguments plus the local files it reads (for the cache key). */
export interface HelmTemplateCommand {
  args: string[];
  /** Local files read through --values / --set-file (absolute). */
  files: string[];
  /** Content of the inline values file, when one is written. */
  inlineValues?: string;
  /** True when a remote URL is read (output cannot be cached). */
  remote: boolean;
}

/** `k8sversion.ParseGeneric(v).String()`: `v1.29.3+k3s1` -> `1.29.3`. */
export function normalizeKubeVersion(v: string): string {
  if (!v) return v;
  const m = /^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$/.exec(v);
  if (!m || m[1]!.split('.').length < 2) {
    throw new RenderError('E_KUBE_VERSION', `could not parse "${v}" as version`, 'Use a version like 1.31.2.');
  }
  return m[1]!;
}

/** Argo's `cleanSetParameters`: `{...}` list syntax untouched, else every `,` not after `\` becomes `\,`. */
export function cleanSetParameter(val: string): string {
  if (val.startsWith('{') && val.endsWith('}')) return val;
  let out = '';
  for (let i = 0; i < val.length; i++) {
    if (val[i] === ',' && (i === 0 || val[i - 1] !== '\\')) out += '\\,';
    else out += val[i];
  }
  return out;
}

/** Argo's check of a `$ref` before checkout; returns the referenced source or undefined for a plain path. */
export function referencedSource(
  raw: string,
  multiSource: boolean,
  refSources: Record<string, RefTarget>,
): RefTarget | undefined {
  if (!multiSource || !raw.startsWith('$')) return undefined;
  const refVar = raw.split('/')[0]!;
  const hit = refSources[refVar];
  if (!hit) {
    const keys = Object.keys(refSources).sort();
    if (keys.length === 0) {
      throw new RenderError(
        'E_REF',
        `source referenced "${refVar}", but no source has a 'ref' field defined`,
        'Either: add a source with `ref: <name>` to spec.sources, or drop the `$` prefix to use a path in this repository.',
      );
    }
    throw new RenderError(
      'E_REF',
      `source referenced "${refVar}", which is not one of the available sources (${keys.join(', ')})`,
      `Either: use one of ${keys.join(', ')}, or add a source with \`ref: ${refVar.slice(1)}\`.`,
    );
  }
  if (hit.chart) {
    throw new RenderError(
      'E_REF',
      "source has a 'chart' field defined, but Helm charts are not yet not supported for 'ref' sources",
      'Move the values into a Git repository and reference that source instead.',
    );
  }
  return hit;
}

/** Resolves `$ref/...`: first segment dropped, env-substituted, inside the referenced repository's root. */
function resolveRefFile(raw: string, ref: RefTarget, env: Record<string, string>, schemes: string[]): string {
  if (!ref.dir) {
    throw new RenderError(
      'E_REPO_UNMAPPED',
      `failed to find repo "${ref.repoURL}"`,
      `Map it with --repo ${ref.repoURL}=<dir>.`,
    );
  }
  const parts = raw.split('/');
  parts[0] = '';
  return resolveValueFile(ref.dir, ref.dir, envsubst(parts.join('/'), env), schemes, raw).path;
}

/** Argo's `getResolvedValueFiles`. */
export function resolveValueFiles(req: HelmTemplateRequest): { files: string[]; remote: boolean } {
  const helm = req.helm;
  const out: string[] = [];
  let remote = false;
  for (const raw of helm.valueFiles ?? []) {
    const ref = referencedSource(raw, req.multiSource, req.refSources);
    let path: string;
    let isRemote = false;
    try {
      if (ref) {
        path = resolveRefFile(raw, ref, req.env, req.valuesFileSchemes);
      } else {
        const r = resolveValueFile(req.appPath, req.repoRoot, envsubst(raw, req.env), req.valuesFileSchemes, raw);
        path = r.path;
        isRemote = r.remote;
      }
    } catch (err) {
      if (err instanceof RenderError && err.code === 'E_PATH_OUTSIDE_ROOT') {
        throw new RenderError(err.code, `error resolving value file path: ${err.message}`, err.hint, { cause: err });
      }
      throw err;
    }
    if (isRemote) {
      remote = true;
      out.push(path);
      continue;
    }
    if (req.globs && hasGlobMeta(path)) {
      const root = ref?.dir ?? req.repoRoot;
      const matches = expandGlob(path).filter((m) => statSync(m, { throwIfNoEntry: false })?.isFile());
      if (matches.length === 0) {
        if (helm.ignoreMissingValueFiles) continue;
        throw new RenderError(
          'E_VALUES_GLOB',
          `values file glob "${raw}" matched no files`,
          'Either: fix the pattern, or set helm.ignoreMissingValueFiles: true.',
        );
      }
      for (const m of matches) out.push(resolveRepoFile(root, root, relative(root, m), m));
      continue;
    }
    if (!existsSync(path) && helm.ignoreMissingValueFiles) continue;
    out.push(path);
  }
  // Argo CD >= 3.4 de-duplicates, keeping each file at its first position.
  const files = req.globs ? [...new Set(out)] : out;
  return { files, remote };
}

/** Builds `helm template` arguments in Argo's order (see the spec, section 2). */
export function buildHelmTemplateArgs(req: HelmTemplateRequest): HelmTemplateCommand {
  const helm = req.helm;
  if (helm.version && helm.version !== 'v3') {
    throw new RenderError(
      'E_HELM_VERSION',
      `helm version '${helm.version}' is not supported`,
      'Remove spec.source.helm.version or set it to v3.',
    );
  }
  const release = helm.releaseName || req.appName;
  const namespace = helm.namespace || req.kustomizeNamespace || req.namespace;
  const kubeVersion = normalizeKubeVersion(helm.kubeVersion || req.kubeVersion);
  const apiVersions = helm.apiVersions && helm.apiVersions.length > 0 ? helm.apiVersions : req.apiVersions;

  // Go maps: duplicate names collapse to the last value. Emitted in sorted order for determinism.
  const set = new Map<string, string>();
  const setString = new Map<string, string>();
  for (const p of helm.parameters ?? []) {
    const value = envsubst(p.value ?? '', req.env);
    if (p.forceString) setString.set(p.name, value);
    else set.set(p.name, value);
  }
  const setFile = new Map<string, string>();
  const files: string[] = [];
  for (const p of helm.fileParameters ?? []) {
    const ref = referencedSource(p.path, req.multiSource, req.refSources);
    let path: string;
    try {
      path = ref
        ? resolveRefFile(p.path, ref, req.env, req.valuesFileSchemes)
        : resolveValueFile(req.appPath, req.repoRoot, envsubst(p.path, req.env), req.valuesFileSchemes, p.path).path;
    } catch (err) {
      if (err instanceof RenderError && err.code === 'E_PATH_OUTSIDE_ROOT') {
        throw new RenderError(err.code, `error resolving set file path: ${err.message}`, err.hint, { cause: err });
      }
      throw err;
    }
    setFile.set(p.name, path);
  }

  const args = ['template', '.', '--name-template', release];
  if (namespace) args.push('--namespace', namespace);
  if (kubeVersion) args.push('--kube-version', kubeVersion);
  const sorted = (m: Map<string, string>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, v] of sorted(set)) args.push('--set', `${k}=${cleanSetParameter(v)}`);
  for (const [k, v] of sorted(setString)) args.push('--set-string', `${k}=${cleanSetParameter(v)}`);
  for (const [k, v] of sorted(setFile)) {
    args.push('--set-file', `${k}=${cleanSetParameter(v)}`);
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) files.push(v);
  }
  const { files: valueFiles, remote } = resolveValueFiles(req);
  for (const f of valueFiles) {
    args.push('--values', f);
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(f)) files.push(f);
  }
  if (helm.values !== undefined && helm.values !== null && typeof helm.values !== 'string') {
    throw new RenderError(
      'E_VALIDATION',
      'spec.source.helm.values must be a string (a YAML document)',
      'Either: quote the block with `values: |`, or use `valuesObject:` for a map.',
    );
  }
  let inlineValues: string | undefined;
  if (helm.valuesObject !== undefined && helm.valuesObject !== null) {
    inlineValues = toYaml(helm.valuesObject);
  } else if (typeof helm.values === 'string' && helm.values !== '') {
    inlineValues = helm.values;
  }
  if (inlineValues !== undefined) args.push('--values', '<inline-values>');
  for (const v of apiVersions) args.push('--api-versions', v);
  if (!helm.skipCrds) args.push('--include-crds');
  if (helm.skipSchemaValidation) args.push('--skip-schema-validation');
  if (helm.skipTests) args.push('--skip-tests');
  return { args, files, ...(inlineValues !== undefined ? { inlineValues } : {}), remote };
}

const MISSING_DEP = /found in (Chart|requirements)\.yaml, but missing in charts\/ directory/;

/** Context the Helm runner needs. */
export interface HelmContext {
  session: Session;
  tools: ToolSet;
  chartRepos: ChartRepoMap;
  allowNetwork: boolean;
}

/** Dependencies of a chart (`Chart.yaml` v2 or `requirements.yaml` v1). */
function chartDependencies(
  session: Session,
  chartDir: string,
): { name: string; version?: string; repository?: string }[] {
  const read = (f: string) =>
    existsSync(join(chartDir, f)) ? (session.readYaml(join(chartDir, f)) as Record<string, unknown> | null) : null;
  const chart = read('Chart.yaml');
  const deps = (chart?.['dependencies'] ?? read('requirements.yaml')?.['dependencies'] ?? []) as {
    name: string;
    version?: string;
    repository?: string;
  }[];
  return Array.isArray(deps) ? deps : [];
}

/** Tree hash of a chart including its `file://` dependencies (what its output depends on). */
export function chartHash(session: Session, chartDir: string, seen = new Set<string>()): string {
  if (seen.has(chartDir)) return '';
  seen.add(chartDir);
  const parts = [session.hasher.tree(chartDir)];
  for (const dep of chartDependencies(session, chartDir)) {
    if (dep.repository?.startsWith('file://')) {
      parts.push(chartHash(session, resolve(chartDir, dep.repository.slice('file://'.length)), seen));
    }
  }
  return sha256(parts.join('\n'));
}

/**
 * What the missing-dependency retry would vendor for the chart's remote dependencies: every version the chart-repo
 * mapping offers for each (with the content hash of its `.tgz` or folder). Part of the cache key, so a mirror that
 * gains a version or changes a chart never serves stale output. (Charts pulled over the network are keyed by their
 * digest in the chart cache; their version resolution runs again on a miss.)
 */
function remoteDependencyIdentity(ctx: HelmContext, chartDir: string): string[] {
  const out: string[] = [];
  for (const dep of chartDependencies(ctx.session, chartDir)) {
    const repo = dep.repository ?? '';
    if (repo === '' || repo.startsWith('file://')) continue;
    for (const c of ctx.chartRepos.versions(repo, dep.name)) {
      const h = c.path.endsWith('.tgz') ? ctx.session.hasher.file(c.path) : ctx.session.hasher.tree(c.path);
      out.push(`${repo}\0${dep.name}\0${c.version}\0${h}`);
    }
  }
  return out;
}

/** Runs `helm template` for a request, with cache and Argo's missing-dependency retry. Returns stdout and cache key. */
export async function helmTemplate(
  ctx: HelmContext,
  req: HelmTemplateRequest,
): Promise<{ stdout: string; key?: string }> {
  const built = buildHelmTemplateArgs(req);
  if (built.remote && !ctx.allowNetwork) {
    const urls = flagValues(built.args, '--values').filter((v) => /^[a-z][a-z0-9+.-]*:\/\//i.test(v));
    throw new RenderError(
      'E_NETWORK',
      `values file ${urls.join(', ')} needs the network (helm would download it)`,
      'Either: allow downloads with --allow-network, or copy the file into a mapped repository and use $<ref>/<path>.',
    );
  }
  const args = [...built.args];
  const inline = built.inlineValues;
  let prepare: (() => void) | undefined;
  if (inline !== undefined) {
    const i = args.indexOf('<inline-values>');
    const p = ctx.session.tempFilePath('values.yaml', inline);
    args[i] = p;
    // Written only when helm actually runs: a cached render never touches the disk for it.
    prepare = () => ctx.session.writeTempFile(p, inline);
  }
  const key = built.remote
    ? undefined
    : sha256(
        JSON.stringify({
          tool: ctx.tools.helm.identity,
          args: built.args.map((a) => (built.files.includes(a) ? `@${ctx.session.hasher.file(a)}` : a)),
          setFiles: built.files.map((f) => ctx.session.hasher.file(f)),
          inline: built.inlineValues ?? null,
          chart: chartHash(ctx.session, req.appPath),
          deps: remoteDependencyIdentity(ctx, req.appPath),
        }),
      );
  const first = await ctx.session.run({
    bin: ctx.tools.helm.path,
    args,
    cwd: req.appPath,
    helmHome: true,
    allowFailure: true,
    ...(key ? { cacheKey: key } : {}),
    ...(prepare ? { prepare } : {}),
  });
  if (first.exitCode === 0) return { stdout: first.stdout, ...(key ? { key } : {}) };
  if (!MISSING_DEP.test(first.stderr)) {
    throw templateFailure(args, first);
  }
  const built2 = await buildDependencies(ctx, req.appPath, req.repoRoot);
  const second = await ctx.session.run({
    bin: ctx.tools.helm.path,
    args,
    cwd: built2,
    helmHome: true,
    allowFailure: true,
  });
  if (second.exitCode !== 0) throw templateFailure(args, second);
  if (key && ctx.session.cache) ctx.session.cache.set(key, second.stdout);
  return { stdout: second.stdout, ...(key ? { key } : {}) };
}

function flagValues(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag && i + 1 < args.length ? [args[i + 1]!] : []));
}

function templateFailure(args: string[], r: { stderr: string; exitCode: number }): RenderError {
  const tail = r.stderr.trim().split('\n').slice(-15).join('\n');
  // The cluster API list can be long: shown as a count so the error stays readable (--verbose prints it whole).
  const apis = args.filter((_, i) => args[i - 1] === '--api-versions').length;
  const shown = args.filter((a, i) => a !== '--api-versions' && args[i - 1] !== '--api-versions');
  const at = args.indexOf('--api-versions');
  if (apis > 3 && at >= 0) shown.splice(at, 0, `--api-versions <${apis} APIs>`);
  const display =
    apis > 3
      ? formatCommand('helm', shown).replace(`'--api-versions <${apis} APIs>'`, `--api-versions <${apis} APIs>`)
      : formatCommand('helm', args);
  return new RenderError(
    'E_HELM_TEMPLATE',
    `failed to execute helm template command: \`${display}\` failed exit status ${r.exitCode}: ${tail}`,
    yamlHint(args) ??
      'Either: fix the chart template or the value helm names above (a wrong type or a missing required value in valueFiles, values or parameters), or reproduce it with the command above from the chart folder (--verbose prints every command).',
  );
}

/**
 * When helm fails, points at the first local values file that is not valid YAML as `file:line:col` (helm's own
 * message names the file but not always the position). Only consulted on failure, so a file helm accepts is never
 * second-guessed.
 */
function yamlHint(args: string[]): string | undefined {
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] !== '--values') continue;
    const f = args[i + 1]!;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(f) || !existsSync(f)) continue;
    try {
      parseUserYaml(readFileSync(f, 'utf8'), f);
    } catch (err) {
      if (err instanceof RenderError) return `${err.message}\n${err.hint ?? ''}`.trim();
    }
  }
  return undefined;
}

/**
 * Argo's `runHelmBuild` on a private copy: the chart (and its `file://` dependencies, at the same relative
 * places) is copied, remote dependencies come from the chart-repo mapping, then `helm dependency build` runs.
 */
async function buildDependencies(ctx: HelmContext, chartDir: string, repoRoot: string): Promise<string> {
  const tmpRoot = ctx.session.tempDir('dep-build');
  const copy = (dir: string): string => {
    const rel = isInside(repoRoot, dir) ? relative(repoRoot, dir) : basename(dir);
    const dest = join(tmpRoot, rel);
    if (!existsSync(dest)) cpSync(dir, dest, { recursive: true, dereference: true });
    return dest;
  };
  const copied = copy(chartDir);
  const deps = chartDependencies(ctx.session, chartDir);
  let needsBuild = false;
  let vendored = false;
  for (const dep of deps) {
    const repo = dep.repository ?? '';
    if (repo === '') continue;
    if (repo.startsWith('file://')) {
      const depDir = resolve(chartDir, repo.slice('file://'.length));
      if (!isInside(repoRoot, depDir)) {
        throw new RenderError('E_PATH_OUTSIDE_ROOT', `file '${repo}' resolved to outside repository root`);
      }
      copy(depDir);
      needsBuild = true;
      continue;
    }
    const local = ctx.chartRepos.versions(repo, dep.name);
    const wanted = dep.version ?? '*';
    const version =
      parseVersion(wanted) && !/[\^~<>=*xX| ,]/.test(wanted)
        ? wanted
        : maxSatisfying(
            local.map((c) => c.version),
            wanted,
          );
    const hit = local.find((c) => c.version === version);
    if (hit) {
      mkdirSync(join(copied, 'charts'), { recursive: true });
      if (hit.path.endsWith('.tgz')) cpSync(hit.path, join(copied, 'charts', basename(hit.path)));
      else cpSync(hit.path, join(copied, 'charts', dep.name), { recursive: true, dereference: true });
      vendored = true;
    } else if (ctx.allowNetwork) {
      // Argo runs `helm repo add` (HTTP repositories only; OCI needs none) and `helm dependency build`. Here each
      // remote dependency is pulled on its own through the content-addressed chart cache, so a mix of mapped,
      // network and file:// dependencies all end up in charts/ (dependency build would re-download everything).
      if (!isOciRepo(repo)) ctx.session.note(ctx.tools.helm.path, ['repo', 'add', dep.name, repo], copied);
      const v =
        parseVersion(wanted) && !/[\^~<>=*xX| ,]/.test(wanted)
          ? wanted
          : await resolveFromNetwork(ctx, repo, dep.name, wanted);
      const into = ctx.session.tempDir('dep-pull');
      const src = { repoURL: repo, chart: dep.name, targetRevision: v };
      const tgz = await pullChart(ctx, repo, dep.name, v, buildHelmPullArgs(src, v, into), into);
      mkdirSync(join(copied, 'charts'), { recursive: true });
      cpSync(tgz, join(copied, 'charts', `${dep.name}-${v}.tgz`));
      vendored = true;
    } else {
      throw offlineChartError(dep.name, wanted, repo);
    }
  }
  if (needsBuild && !vendored) {
    await ctx.session.run({ bin: ctx.tools.helm.path, args: ['dependency', 'build'], cwd: copied, helmHome: true });
  } else if (needsBuild) {
    // Mixed remote (vendored) and file:// dependencies: `dependency build` would try to download the remote ones,
    // so the file:// charts are packaged directly, which is what dependency build does for them.
    for (const dep of deps.filter((d) => d.repository?.startsWith('file://'))) {
      const depDir = join(dirname(copied), relative(dirname(chartDir), resolve(chartDir, dep.repository!.slice(7))));
      await ctx.session.run({
        bin: ctx.tools.helm.path,
        args: ['package', depDir, '-d', join(copied, 'charts')],
        cwd: copied,
        helmHome: true,
      });
    }
  }
  return copied;
}

/** The error for a chart that is neither mapped nor downloadable. */
export function offlineChartError(chart: string, version: string, repoURL: string): RenderError {
  return new RenderError(
    'E_CHART_OFFLINE',
    `chart ${chart} version ${version} from ${repoURL} is not available offline`,
    `Either: map the repository to a folder holding ${chart}-<version>.tgz or ${chart}/ with --chart-repo ${repoURL}=<dir>` +
      ` (or chartRepositories in .understack-render.yaml), or allow downloads with --allow-network.`,
  );
}

/** Where a chart source's chart came from. */
export interface FetchedChart {
  /** Extracted chart folder (the app path). */
  appPath: string;
  /** Resolved chart version (ARGOCD_APP_REVISION). */
  version: string;
  /** The `helm pull` arguments Argo would run. */
  pullArgs: string[];
}

/** True when a chart source's repoURL is an OCI registry (`oci://` or no scheme). */
export function isOciRepo(repoURL: string): boolean {
  return repoURL.startsWith('oci://') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(repoURL);
}

/** Argo's `helm pull` command line for a chart source. */
export function buildHelmPullArgs(source: ApplicationSource, version: string, destination: string): string[] {
  const chart = source.chart!;
  if (isOciRepo(source.repoURL)) {
    const repo = source.repoURL.replace(/^oci:\/\//, '').replace(/\/+$/, '');
    return ['pull', `oci://${repo}/${chart}`, '--version', version, '--destination', destination];
  }
  return ['pull', '--destination', destination, '--version', version, '--repo', source.repoURL, chart];
}

/**
 * Resolves a chart source's revision (a version as given, else a Masterminds constraint over the available
 * versions: the mapped folder offline, the repository's index.yaml with --allow-network) and makes the chart
 * available as a folder.
 */
export async function fetchChart(ctx: HelmContext, source: ApplicationSource): Promise<FetchedChart> {
  const chart = source.chart!;
  const rev = source.targetRevision ?? '';
  if (!rev) {
    throw new RenderError(
      'E_VALIDATION',
      'spec.source.targetRevision is required if the manifest source is a helm chart',
      `Set targetRevision to the chart version of ${chart}.`,
    );
  }
  const local = ctx.chartRepos.versions(source.repoURL, chart);
  const mapped = ctx.chartRepos.dir(source.repoURL) !== undefined;
  let version = rev;
  if (!parseVersion(rev)) {
    if (!mapped && ctx.allowNetwork) version = await resolveFromNetwork(ctx, source.repoURL, chart, rev);
    else version = resolveFromLocal(source.repoURL, chart, rev, local, mapped);
  }
  const dest = ctx.session.tempDir('chart');
  const pullArgs = buildHelmPullArgs(source, version, dest);
  const hit = local.find((c) => c.version === version);
  if (hit) {
    ctx.session.note(ctx.tools.helm.path, pullArgs, dest);
    return { appPath: await extractChart(ctx, hit.path, chart, dest), version, pullArgs };
  }
  const tgz = await pullChart(ctx, source.repoURL, chart, version, pullArgs, dest);
  return { appPath: await extractChart(ctx, tgz, chart, dest), version, pullArgs };
}

function resolveFromLocal(
  repoURL: string,
  chart: string,
  rev: string,
  local: { version: string }[],
  mapped: boolean,
): string {
  let best: string | undefined;
  try {
    best = maxSatisfying(
      local.map((c) => c.version),
      rev,
    );
  } catch (err) {
    throw new RenderError('E_REVISION', `invalid revision '${rev}': ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  if (best) return best;
  if (!mapped) throw offlineChartError(chart, rev, repoURL);
  if (isOciRepo(repoURL)) {
    throw new RenderError(
      'E_REVISION',
      `invalid revision: version matching constraint not found in ${local.length} tags`,
    );
  }
  if (local.length === 0) {
    throw new RenderError(
      'E_REVISION',
      `chart '${chart}' not found in index`,
      `Either: put ${chart}-<version>.tgz (or ${chart}/) into the folder mapped to ${repoURL}, or fix spec.source.chart.`,
    );
  }
  throw new RenderError(
    'E_REVISION',
    'constraint not found in index',
    `No version of ${chart} matches '${rev}' (available: ${local.map((c) => c.version).join(', ')}). Either: widen targetRevision, or add a matching ${chart}-<version>.tgz to the mapped folder.`,
  );
}

/** `fetch` with `user:password@` moved into an Authorization header (fetch refuses URLs with credentials). */
async function fetchText(url: string): Promise<string> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    headers['Authorization'] =
      `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  let res: Response;
  try {
    res = await fetch(u, { headers, signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new RenderError('E_CHART_PULL', `failed to fetch ${url}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  if (!res.ok) throw new RenderError('E_CHART_PULL', `failed to fetch ${url}: ${res.status} ${res.statusText}`);
  return res.text();
}

/** Argo's resolution of a constraint against a chart repository's index.yaml (OCI tags need a mapping). */
async function resolveFromNetwork(ctx: HelmContext, repoURL: string, chart: string, rev: string): Promise<string> {
  if (isOciRepo(repoURL)) {
    throw new RenderError(
      'E_REVISION',
      `invalid revision '${rev}': resolving a constraint over the tags of ${repoURL} is not supported by understack-render`,
      `Either: set targetRevision to an exact version, or map the registry to a folder of ${chart}-<version>.tgz with --chart-repo ${repoURL}=<dir>.`,
    );
  }
  const indexUrl = `${repoURL.replace(/\/+$/, '')}/index.yaml`;
  const index = await ctx.session.once(`index:${indexUrl}`, () => fetchText(indexUrl));
  let doc: { entries?: Record<string, { version?: unknown }[]> } | null;
  try {
    doc = parseUserYaml(index, indexUrl) as typeof doc;
  } catch (err) {
    throw new RenderError('E_CHART_PULL', `invalid index.yaml at ${indexUrl}`, undefined, { cause: err });
  }
  const entries = doc?.entries?.[chart];
  if (!entries || entries.length === 0) {
    throw new RenderError(
      'E_REVISION',
      `chart '${chart}' not found in index`,
      `Either: fix spec.source.chart (${indexUrl} lists: ${Object.keys(doc?.entries ?? {}).join(', ') || 'nothing'}), or point repoURL at the repository that publishes ${chart}.`,
    );
  }
  const versions = entries.map((e) => String(e.version ?? ''));
  let best: string | undefined;
  try {
    best = maxSatisfying(versions, rev);
  } catch (err) {
    throw new RenderError('E_REVISION', `invalid revision '${rev}': ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  if (!best) {
    throw new RenderError(
      'E_REVISION',
      'constraint not found in index',
      `No version of ${chart} in ${indexUrl} matches '${rev}' (available: ${versions.join(', ')}). Either: widen targetRevision, or pick one of those versions.`,
    );
  }
  return best;
}

/**
 * A chart `.tgz` pulled over the network, kept content-addressed in the cache: `charts/sha256/<digest>.tgz` holds the
 * bytes, `charts/refs/<hash of repo, chart, version>` names the digest. A cached file whose bytes no longer match its
 * digest is ignored (and replaced by a fresh pull).
 */
async function pullChart(
  ctx: HelmContext,
  repoURL: string,
  chart: string,
  version: string,
  pullArgs: string[],
  dest: string,
): Promise<string> {
  const cache = ctx.session.cache;
  const ref = cache ? join(cache.dir, 'charts', 'refs', sha256(`${repoURL}\0${chart}\0${version}`)) : undefined;
  if (cache && ref && existsSync(ref)) {
    const digest = readFileSync(ref, 'utf8').trim();
    const file = join(cache.dir, 'charts', 'sha256', `${digest}.tgz`);
    if (existsSync(file) && sha256(readFileSync(file)) === digest) {
      ctx.session.note(ctx.tools.helm.path, pullArgs, dest);
      return file;
    }
  }
  if (!ctx.allowNetwork) throw offlineChartError(chart, version, repoURL);
  await ctx.session.run({ bin: ctx.tools.helm.path, args: pullArgs, cwd: dest, helmHome: true });
  const tgzs = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (tgzs.length !== 1) throw new RenderError('E_CHART_PULL', `expected 1 file, found ${tgzs.length}`);
  const tgz = join(dest, tgzs[0]!);
  if (cache && ref) {
    const digest = sha256(readFileSync(tgz));
    const file = join(cache.dir, 'charts', 'sha256', `${digest}.tgz`);
    mkdirSync(dirname(file), { recursive: true });
    mkdirSync(dirname(ref), { recursive: true });
    // Written under a temp name and renamed: a concurrent reader never sees half a file (and a corrupt one is replaced).
    const tmp = `${file}.${process.pid}.tmp`;
    cpSync(tgz, tmp);
    renameSync(tmp, file);
    writeFileSync(ref, `${digest}\n`);
    return file;
  }
  return tgz;
}

const extracted = new WeakMap<Session, Map<string, Promise<string>>>();

/** Extracts a `.tgz` (once per session) or returns a chart folder as is. */
async function extractChart(ctx: HelmContext, path: string, chart: string, dest: string): Promise<string> {
  if (!path.endsWith('.tgz')) return path;
  let memo = extracted.get(ctx.session);
  if (!memo) {
    memo = new Map();
    extracted.set(ctx.session, memo);
  }
  let p = memo.get(path);
  if (!p) {
    p = (async () => {
      const out = join(dest, 'extracted');
      mkdirSync(out, { recursive: true });
      await new Promise<void>((ok, fail) =>
        execFile('tar', ['-xzf', path, '-C', out], (err, _o, stderr) =>
          err ? fail(new RenderError('E_CHART_PULL', `failed to extract ${path}: ${stderr || err.message}`)) : ok(),
        ),
      );
      const dir = join(out, chart);
      if (!existsSync(join(dir, 'Chart.yaml'))) {
        const found = readdirSync(out);
        throw new RenderError(
          'E_CHART_PULL',
          `${path} does not contain ${chart}/Chart.yaml (found: ${found.join(', ')})`,
        );
      }
      return dir;
    })();
    memo.set(path, p);
  }
  return p;
}
