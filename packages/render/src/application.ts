/**
 * Rendering one Application as Argo CD does: validation of `spec.sources`, one GenerateManifest per source (tool
 * detection, `.argocd-source*.yaml` overrides, Helm / Kustomize / Directory), tracking metadata, and the two
 * output modes (GetManifests concatenation and controller target state).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OutputCache, sha256 } from './cache.js';
import { directoryManifests } from './directory.js';
import { asRenderError, RenderError, wrapSourceError } from './errors.js';
import { fetchChart, type HelmContext, helmTemplate, type RefTarget } from './helm.js';
import { kustomizeBuild } from './kustomize.js';
import { parseUserYaml, splitYaml } from './manifests.js';
import { checkOutOfBoundsSymlinks, resolveAppPath } from './paths.js';
import { ChartRepoMap, normalizeRepoUrl, RepoMap } from './repos.js';
import { Session } from './session.js';
import { applyTracking, maskSecrets, type TargetState, targetState } from './target.js';
import { type ToolSet, toolsFor } from './tools.js';
import type { Application, ApplicationSource, K8sObject, TrackingMethod } from './types.js';

/** Default cluster Kubernetes version when none is given. */
export const DEFAULT_KUBE_VERSION = '1.33.0';

/** Built-in API list (group/version and group/version/Kind) used when no --api-versions are given. */
export const DEFAULT_API_VERSIONS: readonly string[] = (() => {
  const gv: Record<string, string[]> = {
    v1: [
      'ConfigMap',
      'Endpoints',
      'Event',
      'LimitRange',
      'Namespace',
      'Node',
      'PersistentVolume',
      'PersistentVolumeClaim',
      'Pod',
      'PodTemplate',
      'ReplicationController',
      'ResourceQuota',
      'Secret',
      'Service',
      'ServiceAccount',
    ],
    'apps/v1': ['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'],
    'batch/v1': ['CronJob', 'Job'],
    'autoscaling/v2': ['HorizontalPodAutoscaler'],
    'policy/v1': ['PodDisruptionBudget'],
    'networking.k8s.io/v1': ['Ingress', 'IngressClass', 'NetworkPolicy'],
    'rbac.authorization.k8s.io/v1': ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    'storage.k8s.io/v1': ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
    'apiextensions.k8s.io/v1': ['CustomResourceDefinition'],
    'admissionregistration.k8s.io/v1': ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    'scheduling.k8s.io/v1': ['PriorityClass'],
    'coordination.k8s.io/v1': ['Lease'],
    'discovery.k8s.io/v1': ['EndpointSlice'],
  };
  const out: string[] = [];
  for (const [g, kinds] of Object.entries(gv)) {
    out.push(g);
    for (const k of kinds) out.push(`${g}/${k}`);
  }
  return out.sort();
})();

/** Options shared by every render call. Each field maps to a CLI flag of the same name. */
export interface RenderOptions {
  /** Emulated Argo CD release (`--argocd-version`, default from scripts/tools.json: 3.5). */
  argocdVersion?: string;
  /** Cluster Kubernetes version (`--kube-version`). */
  kubeVersion?: string;
  /** Cluster API versions; replaces the built-in list (`--api-versions`). */
  apiVersions?: string[];
  /** argocd-cm application.instanceLabelKey (`--instance-label-key`). */
  instanceLabelKey?: string;
  /** argocd-cm application.resourceTrackingMethod (`--tracking-method`, default annotation). */
  trackingMethod?: TrackingMethod;
  /** argocd-cm installationID. */
  installationId?: string;
  /** Argo CD's control-plane namespace (`--app-namespace`, default argocd). */
  appNamespace?: string;
  /** argocd-cm helm.valuesFileSchemes (default https, http). */
  valuesFileSchemes?: string[];
  /** argocd-cm kustomize.buildOptions. */
  kustomizeBuildOptions?: string;
  /** Git repoURL -> local folder. */
  repos?: Record<string, string>;
  /** Chart repository / OCI registry -> folder of charts. */
  chartRepos?: Record<string, string>;
  /** Allow `helm pull` / `helm repo add` over the network for unmapped charts. */
  allowNetwork?: boolean;
  /** Keep Secret values in output (default: masked). */
  revealSecrets?: boolean;
  /** Cache folder for tool outputs; `false` disables the cache. */
  cacheDir?: string | false;
  /** Maximum concurrent tool processes (default: cores). */
  concurrency?: number;
  /** An existing session to reuse (shares cache, pool and command log). */
  session?: Session;
}

/** Resolved context for rendering. */
export interface RenderContext extends HelmContext {
  session: Session;
  tools: ToolSet;
  repos: RepoMap;
  chartRepos: ChartRepoMap;
  allowNetwork: boolean;
  kubeVersion: string;
  apiVersions: string[];
  instanceLabelKey: string;
  trackingMethod: TrackingMethod;
  installationId?: string;
  appNamespace: string;
  valuesFileSchemes: string[];
  kustomizeBuildOptions: string;
  revealSecrets: boolean;
  /** True when this context created its session (and must dispose of it). */
  ownsSession: boolean;
}

/** Builds a render context from options (creates a session unless one is given). */
export function createContext(opts: RenderOptions = {}): RenderContext {
  const repos = new RepoMap();
  for (const [url, dir] of Object.entries(opts.repos ?? {})) repos.add(url, dir);
  const chartRepos = new ChartRepoMap();
  for (const [url, dir] of Object.entries(opts.chartRepos ?? {})) chartRepos.add(url, dir);
  const session =
    opts.session ??
    new Session({
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      ...(opts.cacheDir ? { cache: new OutputCache(opts.cacheDir) } : {}),
    });
  return {
    session,
    ownsSession: !opts.session,
    tools: toolsFor(opts.argocdVersion),
    repos,
    chartRepos,
    allowNetwork: opts.allowNetwork ?? false,
    kubeVersion: opts.kubeVersion ?? DEFAULT_KUBE_VERSION,
    // Argo passes the cluster's API list as a sorted set.
    apiVersions: [
      ...new Set(opts.apiVersions && opts.apiVersions.length > 0 ? opts.apiVersions : DEFAULT_API_VERSIONS),
    ].sort(),
    instanceLabelKey: opts.instanceLabelKey ?? 'app.kubernetes.io/instance',
    trackingMethod: opts.trackingMethod ?? 'annotation',
    ...(opts.installationId ? { installationId: opts.installationId } : {}),
    appNamespace: opts.appNamespace ?? 'argocd',
    valuesFileSchemes: opts.valuesFileSchemes ?? ['https', 'http'],
    kustomizeBuildOptions: opts.kustomizeBuildOptions ?? '',
    revealSecrets: opts.revealSecrets ?? false,
  };
}

/** Argo's instance name: `name` in the control-plane namespace, else `namespace_name`. */
export function instanceName(app: Application, appNamespace: string): string {
  const ns = app.metadata.namespace;
  return !ns || ns === appNamespace ? app.metadata.name : `${ns}_${app.metadata.name}`;
}

/** What one source produced. */
export interface SourceResult {
  /** 0-based index in spec.sources. */
  index: number;
  /** Tool used: Helm, Kustomize, Directory, or `Ref` for a ref-only source. */
  type: 'Helm' | 'Kustomize' | 'Directory' | 'Ref';
  /** Revision seen as ARGOCD_APP_REVISION (commit, or chart version). */
  revision: string;
  objects: K8sObject[];
}

/** The rendering of one Application. */
export interface ApplicationResult {
  /** metadata.name */
  name: string;
  /** Argo instance name (tracking). */
  instance: string;
  /** spec.destination.namespace */
  namespace: string;
  sources: SourceResult[];
  /** GetManifests: all sources concatenated in order, tracking applied (Secret data masked unless revealed). */
  manifests: K8sObject[];
  /** Controller target state. */
  target: TargetState;
  warnings: string[];
}

const REF_NAME = /^[a-zA-Z0-9_-]+$/;

function sourcesOf(app: Application): { sources: ApplicationSource[]; multi: boolean } {
  const multi = Array.isArray(app.spec.sources) && app.spec.sources.length > 0;
  if (multi) return { sources: app.spec.sources!, multi };
  if (!app.spec.source) {
    throw new RenderError(
      'E_VALIDATION',
      'spec.source or spec.sources must be specified',
      'Add spec.source (or spec.sources) to the Application.',
    );
  }
  return { sources: [app.spec.source], multi };
}

/** Validation the controller runs before generating manifests (`ref` names, duplicate refs). */
export function validateSources(app: Application): void {
  const { sources, multi } = sourcesOf(app);
  if (!multi) return;
  const seen = new Set<string>();
  for (const s of sources) {
    if (s.ref === undefined || s.ref === '') continue;
    if (!REF_NAME.test(s.ref)) {
      throw new RenderError(
        'E_VALIDATION',
        `sources.ref ${s.ref} cannot contain any special characters except '_' and '-'`,
        `At spec.sources[${sources.indexOf(s)}] (source ${sources.indexOf(s) + 1} of ${sources.length}).\nEither: rename the ref to letters, digits, '_' and '-' (e.g. ${s.ref.replace(/[^a-zA-Z0-9_-]/g, '-')}) and use $<ref>/<file> in valueFiles, or remove the ref.`,
      );
    }
    if (seen.has(s.ref)) {
      const first = sources.findIndex((x) => x.ref === s.ref) + 1;
      throw new RenderError(
        'E_VALIDATION',
        'invalid sources: multiple sources had the same `ref` key',
        `ref ${s.ref} is on sources ${first} and ${sources.indexOf(s) + 1} of ${sources.length} (spec.sources[${first - 1}] and spec.sources[${sources.indexOf(s)}]).\nEither: give each source its own ref (valueFiles name it as $<ref>/...), or remove the ref from the source no valueFiles use.`,
      );
    }
    seen.add(s.ref);
  }
}

/** Applies a JSON merge patch (RFC 7386). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** `.argocd-source.yaml` then `.argocd-source-<instance>.yaml`; chart/path/repoURL/targetRevision restored. */
export function applySourceOverrides(source: ApplicationSource, appPath: string, instance: string): ApplicationSource {
  let merged: unknown = JSON.parse(JSON.stringify(source));
  for (const name of ['.argocd-source.yaml', `.argocd-source-${instance}.yaml`]) {
    const file = join(appPath, name);
    if (!existsSync(file) || statSync(file).isDirectory()) continue;
    merged = mergePatch(merged, parseUserYaml(readFileSync(file, 'utf8'), file) ?? {});
  }
  const m = merged as ApplicationSource;
  const restore = (k: 'chart' | 'path' | 'repoURL' | 'targetRevision') => {
    if (source[k] === undefined) delete m[k];
    else m[k] = source[k] as string;
  };
  restore('chart');
  restore('path');
  restore('repoURL');
  restore('targetRevision');
  return m;
}

/** The explicit tool of a source or the one discovered from its files (Argo's `GetAppSourceType`). */
export function detectSourceType(
  source: ApplicationSource,
  appPath: string,
): 'Helm' | 'Kustomize' | 'Directory' | 'Plugin' {
  const explicit: ('Kustomize' | 'Helm' | 'Directory' | 'Plugin')[] = [];
  if (source.kustomize != null) explicit.push('Kustomize');
  if (source.helm != null) explicit.push('Helm');
  if (source.directory != null) explicit.push('Directory');
  if (source.plugin != null) explicit.push('Plugin');
  if (explicit.length > 1) {
    throw new RenderError(
      'E_VALIDATION',
      `multiple application sources defined: ${explicit.join(',')}`,
      'Keep only one of kustomize, helm, directory and plugin in the source.',
    );
  }
  if (explicit.length === 1) return explicit[0]!;
  let found: 'Helm' | 'Kustomize' | 'Directory' = 'Directory';
  const names = readdirSync(appPath).sort();
  for (const name of names) {
    if (statSync(join(appPath, name)).isDirectory()) continue;
    if (name.endsWith('Chart.yaml')) found = 'Helm';
    else if (name === 'kustomization.yaml' || name === 'kustomization.yml' || name === 'Kustomization')
      found = 'Kustomize';
  }
  return found;
}

/** ARGOCD_APP_* of one source. */
export function buildEnv(
  instance: string,
  destNamespace: string,
  project: string,
  source: ApplicationSource,
  revision: string,
): Record<string, string> {
  return {
    ARGOCD_APP_NAME: instance,
    ARGOCD_APP_NAMESPACE: destNamespace,
    ARGOCD_APP_PROJECT_NAME: project,
    ARGOCD_APP_REVISION: revision,
    ARGOCD_APP_REVISION_SHORT: revision.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: revision.slice(0, 8),
    ARGOCD_APP_SOURCE_REPO_URL: source.repoURL,
    ARGOCD_APP_SOURCE_PATH: source.path ?? '',
    ARGOCD_APP_SOURCE_TARGET_REVISION: source.targetRevision ?? '',
  };
}

/** `$ref` -> referenced source, with the revision rules Argo checks when it checks the ref repos out. */
function refTargets(ctx: RenderContext, sources: ApplicationSource[]): Record<string, RefTarget> {
  const out: Record<string, RefTarget> = {};
  for (const s of sources) {
    if (!s.ref) continue;
    out[`$${s.ref}`] = {
      repoURL: s.repoURL,
      ...(s.targetRevision !== undefined ? { targetRevision: s.targetRevision } : {}),
      ...(s.chart ? { chart: s.chart } : {}),
      ...(!s.chart && ctx.repos.has(s.repoURL) ? { dir: ctx.repos.get(s.repoURL).dir } : {}),
    };
  }
  return out;
}

/** Argo's checks on the repositories a source's `$refs` point at (same repo, different revision). */
function checkRefRevisions(source: ApplicationSource, refs: Record<string, RefTarget>): void {
  const used = [...(source.helm?.valueFiles ?? []), ...(source.helm?.fileParameters ?? []).map((p) => p.path)]
    .filter((v) => v.startsWith('$'))
    .map((v) => v.split('/')[0]!);
  const byRepo = new Map<string, { key: string; revision: string }>();
  const rev = (r?: string) => r ?? '';
  for (const refVar of used) {
    const ref = refs[refVar];
    if (!ref) continue;
    const repo = normalizeRepoUrl(ref.repoURL);
    const prior = byRepo.get(repo);
    if (prior && prior.revision !== rev(ref.targetRevision)) {
      throw new RenderError(
        'E_REF',
        `cannot reference multiple revisions for the same repository (${refVar} references "${rev(ref.targetRevision)}" while ${prior.key} references "${prior.revision}")`,
        `Either: give the sources ${refVar.slice(1)} and ${prior.key.slice(1)} the same targetRevision, or keep one ref to ${ref.repoURL} and use it for every value file.`,
      );
    }
    byRepo.set(repo, { key: refVar, revision: rev(ref.targetRevision) });
    if (
      !source.chart &&
      repo === normalizeRepoUrl(source.repoURL) &&
      rev(ref.targetRevision) !== rev(source.targetRevision)
    ) {
      throw new RenderError(
        'E_REF',
        `cannot reference a different revision of the same repository (${refVar} references "${rev(ref.targetRevision)}" while the application references "${rev(source.targetRevision)}")`,
        `Either: set targetRevision "${rev(source.targetRevision)}" on the ref source ${refVar.slice(1)} too, or name the value file by its path inside the chart's repository instead of ${refVar}/....`,
      );
    }
  }
}

/** Parses tool output, reusing the cached parse of an identical cached output (YAML parsing dominates warm runs). */
function parseCached(ctx: RenderContext, out: { stdout: string; key?: string }, where: string): K8sObject[] {
  const cache = ctx.session.cache;
  if (!cache || !out.key) return splitYaml(out.stdout, where);
  const hit = cache.getJson<K8sObject[]>('objects', out.key);
  if (hit) return hit;
  const objs = splitYaml(out.stdout, where);
  cache.setJson('objects', out.key, objs);
  return objs;
}

/** One source's GenerateManifest. */
export async function generateSource(
  ctx: RenderContext,
  app: Application,
  source: ApplicationSource,
  index: number,
  multi: boolean,
  refs: Record<string, RefTarget>,
): Promise<SourceResult> {
  const instance = instanceName(app, ctx.appNamespace);
  const destNs = app.spec.destination?.namespace ?? '';
  const project = app.spec.project ?? 'default';
  if (multi && source.ref && !source.path && !source.chart) {
    return { index, type: 'Ref', revision: source.targetRevision ?? '', objects: [] };
  }
  if (multi) checkRefRevisions(source, refs);
  if (source.plugin != null) {
    throw new RenderError(
      'E_UNSUPPORTED',
      `application ${app.metadata.name}: config management plugins are not supported by understack-render`,
      'Either: render the plugin output into the repository as plain manifests, or use a Helm/Kustomize source.',
    );
  }
  if (source.chart) {
    const fetched = await fetchChart(ctx, source);
    const env = buildEnv(instance, destNs, project, source, fetched.version);
    const out = await helmTemplate(ctx, {
      appPath: fetched.appPath,
      repoRoot: fetched.appPath,
      appName: app.metadata.name,
      namespace: destNs,
      helm: source.helm ?? {},
      ...(source.kustomize?.namespace ? { kustomizeNamespace: source.kustomize.namespace } : {}),
      env,
      multiSource: multi,
      refSources: refs,
      kubeVersion: ctx.kubeVersion,
      apiVersions: ctx.apiVersions,
      valuesFileSchemes: ctx.valuesFileSchemes,
      globs: ctx.tools.valueFileGlobs,
    });
    return {
      index,
      type: 'Helm',
      revision: fetched.version,
      objects: parseCached(ctx, out, `helm template of chart ${source.chart}`),
    };
  }
  const repo = ctx.repos.get(source.repoURL);
  const revision = ctx.repos.revision(source.repoURL);
  const appPath = resolveAppPath(repo.dir, source.path ?? '.');
  ctx.session.once(`oob\0${repo.dir}\0${appPath}`, () => checkOutOfBoundsSymlinks(repo.dir, appPath));
  const merged = applySourceOverrides(source, appPath, instance);
  const env = buildEnv(instance, destNs, project, merged, revision);
  const type = detectSourceType(merged, appPath);
  if (type === 'Plugin') {
    throw new RenderError(
      'E_UNSUPPORTED',
      `application ${app.metadata.name}: config management plugins are not supported by understack-render`,
    );
  }
  if (type === 'Helm') {
    const out = await helmTemplate(ctx, {
      appPath,
      repoRoot: repo.dir,
      appName: app.metadata.name,
      namespace: destNs,
      helm: merged.helm ?? {},
      ...(merged.kustomize?.namespace ? { kustomizeNamespace: merged.kustomize.namespace } : {}),
      env,
      multiSource: multi,
      refSources: refs,
      kubeVersion: ctx.kubeVersion,
      apiVersions: ctx.apiVersions,
      valuesFileSchemes: ctx.valuesFileSchemes,
      globs: ctx.tools.valueFileGlobs,
    });
    return { index, type, revision, objects: parseCached(ctx, out, `helm template of ${source.path}`) };
  }
  if (type === 'Kustomize') {
    const out = await kustomizeBuild(ctx, {
      repoRoot: repo.dir,
      appPath,
      kustomize: merged.kustomize ?? null,
      env,
      buildOptions: ctx.kustomizeBuildOptions,
      kubeVersion: ctx.kubeVersion,
      apiVersions: ctx.apiVersions,
    });
    return { index, type, revision, objects: parseCached(ctx, out, `kustomize build of ${source.path}`) };
  }
  if (merged.directory?.jsonnet && Object.keys(merged.directory.jsonnet as object).length > 0) {
    throw new RenderError(
      'E_UNSUPPORTED',
      `application ${app.metadata.name}: Jsonnet is not supported by understack-render`,
    );
  }
  const cache = ctx.session.cache;
  const dirKey = cache
    ? sha256(JSON.stringify({ v: 1, tree: ctx.session.hasher.tree(appPath), directory: merged.directory ?? null }))
    : undefined;
  const hit = dirKey ? cache!.getJson<K8sObject[]>('objects', dirKey) : undefined;
  if (hit) return { index, type, revision, objects: hit };
  const objects = directoryManifests(repo.dir, appPath, merged.directory, app.metadata.name);
  if (dirKey) cache!.setJson('objects', dirKey, objects);
  return { index, type, revision, objects };
}

/** Renders one Application (all sources). Throws a {@link RenderError} naming the failing source. */
export async function renderApplicationWith(ctx: RenderContext, app: Application): Promise<ApplicationResult> {
  if (!app?.metadata?.name) throw new RenderError('E_VALIDATION', 'Application has no metadata.name');
  validateSources(app);
  const { sources, multi } = sourcesOf(app);
  const refs = multi ? refTargets(ctx, sources) : {};
  const instance = instanceName(app, ctx.appNamespace);
  const destNs = app.spec.destination?.namespace ?? '';
  const results = await Promise.all(
    sources.map(async (s, i) => {
      try {
        return await generateSource(ctx, app, s, i, multi, refs);
      } catch (err) {
        throw wrapSourceError(err, i, sources.length);
      }
    }),
  );
  const tracking = {
    method: ctx.trackingMethod,
    instanceLabelKey: ctx.instanceLabelKey,
    ...(ctx.installationId ? { installationId: ctx.installationId } : {}),
  };
  for (const r of results) applyTracking(r.objects, instance, destNs, tracking);
  const all = results.flatMap((r) => r.objects);
  const target = targetState(all, destNs);
  const manifests = ctx.revealSecrets ? all : maskSecrets(all);
  if (!ctx.revealSecrets) target.resources = maskSecrets(target.resources);
  return {
    name: app.metadata.name,
    instance,
    namespace: destNs,
    sources: results,
    manifests,
    target,
    warnings: [...target.warnings],
  };
}

/** Renders one Application with a fresh context; see {@link RenderOptions}. */
export async function renderApplication(app: Application, opts: RenderOptions = {}): Promise<ApplicationResult> {
  const ctx = createContext(opts);
  try {
    return await renderApplicationWith(ctx, app);
  } finally {
    if (ctx.ownsSession) ctx.session.dispose();
  }
}

export { asRenderError };
