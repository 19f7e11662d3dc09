/**
 * Rendering a deploy repository: for each cluster folder holding `deploy.yaml`, the app-of-apps chart
 * (`charts/argocd-understack` from the UnderStack repository) is rendered as a root Application with release name =
 * cluster name and `$deploy/<cluster>/deploy.yaml` as its values file; every Application it emits is then rendered
 * source by source. One failing app does not stop the others.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type ApplicationResult,
  createContext,
  DEFAULT_API_VERSIONS,
  type RenderContext,
  type RenderOptions,
  renderApplicationWith,
} from './application.js';
import { asRenderError, RenderError, UsageError } from './errors.js';
import { type ClusterFacts, readRenderConfig } from './repos.js';
import { understackRoot } from './tools.js';
import type { Application, K8sObject } from './types.js';

/** Path of the app-of-apps chart inside the UnderStack repository. */
export const APP_OF_APPS_CHART = 'charts/argocd-understack';
/** Output name of a cluster's root (app-of-apps) render. */
export const ROOT_APP = 'app-of-apps';
/** Placeholder repoURLs used when a cluster's values name no URL. */
export const LOCAL_UNDERSTACK_URL = 'https://understack.invalid/understack.git';
export const LOCAL_DEPLOY_URL = 'https://understack.invalid/deploy.git';

/** Options of {@link renderCluster} / {@link renderDeployRepo}. */
export interface DeployRepoOptions extends RenderOptions {
  /** The UnderStack repository holding charts/argocd-understack (default: this repository). */
  understack?: string;
  /** Only these clusters (default: every folder with a deploy.yaml). */
  clusters?: string[];
  /** Called after each application finishes. */
  onProgress?: (event: ProgressEvent) => void;
}

/** Progress of a deploy-repo render. */
export interface ProgressEvent {
  cluster: string;
  app: string;
  /** Applications finished so far (all clusters). */
  done: number;
  /** Applications known so far (grows as roots render). */
  total: number;
  ok: boolean;
}

/** One application's outcome inside a cluster. */
export interface AppOutcome {
  name: string;
  result?: ApplicationResult;
  error?: RenderError;
}

/** A cluster's rendering: the root and every app. */
export interface ClusterResult {
  cluster: string;
  /** The app-of-apps render (undefined when it failed; see `error`). */
  root?: ApplicationResult;
  /** Applications emitted by the root, sorted by name. */
  apps: AppOutcome[];
  /** A failure of the cluster itself (deploy.yaml, app-of-apps chart). */
  error?: RenderError;
  warnings: string[];
}

/** Clusters of a deploy repository: top-level folders with a deploy.yaml, sorted. */
export function discoverClusters(deployRepo: string): string[] {
  if (!existsSync(deployRepo) || !statSync(deployRepo).isDirectory()) {
    throw new RenderError(
      'E_DEPLOY_REPO',
      `deploy repository ${deployRepo} is not a folder`,
      'Pass the path of your deploy repository checkout.',
    );
  }
  return readdirSync(deployRepo)
    .filter((n) => !n.startsWith('.') && existsSync(join(deployRepo, n, 'deploy.yaml')))
    .sort();
}

function findKey(value: unknown, names: string[]): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (!Array.isArray(value)) {
    for (const n of names) {
      const v = (value as Record<string, unknown>)[n];
      if (typeof v === 'string' && v) return v;
    }
  }
  for (const v of Object.values(value as object)) {
    const hit = findKey(v, names);
    if (hit) return hit;
  }
  return undefined;
}

/** The understack/deploy repo URLs named by the chart defaults and the cluster's deploy.yaml (deploy.yaml wins). */
export function repoUrlsFromValues(
  chartValues: unknown,
  deployValues: unknown,
): { understack?: string; deploy?: string } {
  const u =
    findKey(deployValues, ['understack_url', 'understackUrl']) ??
    findKey(chartValues, ['understack_url', 'understackUrl']);
  const d = findKey(deployValues, ['deploy_url', 'deployUrl']) ?? findKey(chartValues, ['deploy_url', 'deployUrl']);
  return { ...(u ? { understack: u } : {}), ...(d ? { deploy: d } : {}) };
}

function isApplication(o: K8sObject): boolean {
  return o.kind === 'Application' && (o.apiVersion ?? '').startsWith('argoproj.io/');
}

/** Renders one cluster with an existing context. */
export async function renderClusterWith(
  baseCtx: RenderContext,
  deployRepo: string,
  cluster: string,
  opts: DeployRepoOptions,
  progress: { done: number; total: number } = { done: 0, total: 0 },
): Promise<ClusterResult> {
  const ctx = clusterContext(baseCtx, cluster, opts);
  const understack = resolve(opts.understack ?? understackRoot());
  const out: ClusterResult = { cluster, apps: [], warnings: [] };
  try {
    const deployFile = join(deployRepo, cluster, 'deploy.yaml');
    if (!existsSync(deployFile)) {
      throw new RenderError(
        'E_CLUSTER',
        `cluster ${cluster}: ${deployFile} does not exist`,
        `Either: create ${cluster}/deploy.yaml, or pick a cluster from: ${discoverClusters(deployRepo).join(', ')}.`,
      );
    }
    const deployValues = ctx.session.readYaml(deployFile);
    const chartDir = join(understack, APP_OF_APPS_CHART);
    if (!existsSync(join(chartDir, 'Chart.yaml'))) {
      throw new RenderError(
        'E_CLUSTER',
        `the app-of-apps chart ${chartDir} does not exist`,
        'Either: pass --understack <dir> pointing at an UnderStack checkout, or run from this repository.',
      );
    }
    const chartValuesFile = join(chartDir, 'values.yaml');
    const chartValues = existsSync(chartValuesFile) ? ctx.session.readYaml(chartValuesFile) : {};
    const urls = repoUrlsFromValues(chartValues, deployValues);
    const understackUrl = urls.understack ?? LOCAL_UNDERSTACK_URL;
    const deployUrl = urls.deploy ?? LOCAL_DEPLOY_URL;
    // Explicit --repo mappings win over the automatic ones.
    if (!ctx.repos.has(understackUrl)) ctx.repos.add(understackUrl, understack);
    if (!ctx.repos.has(deployUrl)) ctx.repos.add(deployUrl, deployRepo);
    const root: Application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: cluster, namespace: ctx.appNamespace },
      spec: {
        project: 'default',
        destination: { server: 'https://kubernetes.default.svc', namespace: ctx.appNamespace },
        sources: [
          {
            repoURL: understackUrl,
            path: APP_OF_APPS_CHART,
            targetRevision: 'HEAD',
            helm: { releaseName: cluster, valueFiles: [`$deploy/${cluster}/deploy.yaml`] },
          },
          { repoURL: deployUrl, targetRevision: 'HEAD', ref: 'deploy' },
        ],
      },
    };
    out.root = await renderApplicationWith(ctx, root);
    const apps = out.root.manifests.filter(isApplication) as unknown as Application[];
    const skipped = out.root.manifests.filter((o) => o.kind === 'ApplicationSet');
    for (const s of skipped)
      out.warnings.push(`ApplicationSet ${s.metadata?.name} is not expanded by understack-render`);
    progress.total += apps.length;
    out.apps = await Promise.all(
      apps.map(async (a): Promise<AppOutcome> => {
        const name = a.metadata?.name ?? '<unnamed>';
        try {
          const result = await renderApplicationWith(ctx, stripTracking(a));
          progress.done++;
          opts.onProgress?.({ cluster, app: name, done: progress.done, total: progress.total, ok: true });
          return { name, result };
        } catch (err) {
          progress.done++;
          opts.onProgress?.({ cluster, app: name, done: progress.done, total: progress.total, ok: false });
          const e = asRenderError(err);
          return {
            name,
            error: new RenderError(e.code, `cluster ${cluster}, application ${name}: ${e.message}`, e.hint, {
              cause: err,
            }),
          };
        }
      }),
    );
    out.apps.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  } catch (err) {
    const e = asRenderError(err);
    out.error = new RenderError(e.code, `cluster ${cluster}: ${e.message}`, e.hint, { cause: err });
  }
  return out;
}

/**
 * A private deep copy of an emitted Application: rendering it must not alter the root's objects. (The root's tracking
 * annotation on it is harmless: Argo reads only the child's spec.)
 */
function stripTracking(a: Application): Application {
  return JSON.parse(JSON.stringify(a)) as Application;
}

/** Renders one cluster of a deploy repository (fresh context unless `opts.session` is given). */
export async function renderCluster(
  deployRepo: string,
  cluster: string,
  opts: DeployRepoOptions = {},
): Promise<ClusterResult> {
  const ctx = contextFor(deployRepo, opts);
  try {
    return await renderClusterWith(ctx, resolve(deployRepo), cluster, opts);
  } finally {
    if (ctx.ownsSession) ctx.session.dispose();
  }
}

/** Every cluster of a deploy repository. */
export interface DeployRepoResult {
  deployRepo: string;
  clusters: ClusterResult[];
  /** True when no cluster and no application failed. */
  ok: boolean;
}

/** Context with the deploy repo's `.understack-render.yaml` chart repositories merged under explicit ones. */
export function contextFor(
  deployRepo: string,
  opts: DeployRepoOptions,
): RenderContext & { clusterFacts?: (c: string) => ClusterFacts } {
  const config = readRenderConfig(resolve(deployRepo));
  const chartRepos = { ...config.chartRepositories, ...opts.chartRepos };
  const ctx = createContext({ ...opts, chartRepos });
  return { ...ctx, clusterFacts: (c: string) => ({ ...config.defaults, ...config.clusters[c] }) };
}

/**
 * The context for one cluster: `.understack-render.yaml` facts apply unless the command line set them
 * (`--kube-version` wins; `--api-versions` replaces the whole list, extras included).
 */
function clusterContext(
  ctx: RenderContext & { clusterFacts?: (c: string) => ClusterFacts },
  cluster: string,
  opts: DeployRepoOptions,
): RenderContext {
  const f = ctx.clusterFacts?.(cluster) ?? {};
  const kubeVersion = opts.kubeVersion ?? f.kubeVersion ?? ctx.kubeVersion;
  const apiVersions =
    opts.apiVersions && opts.apiVersions.length > 0
      ? ctx.apiVersions
      : [...new Set([...DEFAULT_API_VERSIONS, ...(f.extraApiVersions ?? [])])].sort();
  return { ...ctx, kubeVersion, apiVersions };
}

/** Renders every cluster of a deploy repository (clusters and apps in parallel, tools bounded by cores). */
export async function renderDeployRepoWith(
  ctx: RenderContext,
  deployRepo: string,
  opts: DeployRepoOptions,
): Promise<DeployRepoResult> {
  const dir = resolve(deployRepo);
  const all = discoverClusters(dir);
  const wanted = opts.clusters && opts.clusters.length > 0 ? opts.clusters : all;
  for (const c of wanted) {
    if (!all.includes(c)) {
      throw new UsageError(
        'E_CLUSTER',
        `cluster ${c} not found in ${dir}`,
        `Either: pick one of ${all.join(', ') || '(none)'}, or create ${c}/deploy.yaml.`,
      );
    }
  }
  const progress = { done: 0, total: 0 };
  const clusters = await Promise.all(wanted.map((c) => renderClusterWith(ctx, dir, c, opts, progress)));
  const ok = clusters.every((c) => !c.error && c.apps.every((a) => !a.error));
  return { deployRepo: dir, clusters, ok };
}

/** Renders every cluster of a deploy repository with a fresh context; see {@link DeployRepoOptions}. */
export async function renderDeployRepo(deployRepo: string, opts: DeployRepoOptions = {}): Promise<DeployRepoResult> {
  const ctx = contextFor(deployRepo, opts);
  try {
    return await renderDeployRepoWith(ctx, deployRepo, opts);
  } finally {
    if (ctx.ownsSession) ctx.session.dispose();
  }
}
