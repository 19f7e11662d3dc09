/**
 * @understack/render — renders exactly what Argo CD would apply for a deploy repository, offline.
 *
 * Entry points: {@link renderApplication} (one Application), {@link renderCluster} (one cluster's app-of-apps and
 * every Application it emits) and {@link renderDeployRepo} (every cluster of a deploy repository).
 */
export {
  type ApplicationResult,
  applySourceOverrides,
  buildEnv,
  createContext,
  DEFAULT_API_VERSIONS,
  DEFAULT_KUBE_VERSION,
  detectSourceType,
  instanceName,
  type RenderContext,
  type RenderOptions,
  renderApplication,
  renderApplicationWith,
  type SourceResult,
  validateSources,
} from './application.js';
export { defaultCacheDir, OutputCache } from './cache.js';
export {
  type AppOutcome,
  type ClusterResult,
  type DeployRepoOptions,
  type DeployRepoResult,
  discoverClusters,
  type ProgressEvent,
  renderCluster,
  renderDeployRepo,
} from './cluster.js';
export { type AppDiff, diffRenders, type RenderDiff, unifiedDiff } from './diff.js';
export { envsubst, goExpand } from './envsubst.js';
export { asRenderError, formatError, RenderError, UsageError } from './errors.js';
export {
  buildHelmPullArgs,
  buildHelmTemplateArgs,
  cleanSetParameter,
  type HelmTemplateRequest,
  normalizeKubeVersion,
} from './helm.js';
export { buildKustomizeBuildArgs, buildKustomizeEdits } from './kustomize.js';
export { splitYaml, toYaml } from './manifests.js';
export { jsonStream, type RenderSummary, renderFiles, summarize, writeTree, yamlStream } from './output.js';
export { CONFIG_FILE, normalizeRepoUrl, readChartRepoConfig } from './repos.js';
export { Constraint, maxSatisfying, parseVersion } from './semver.js';
export { Session, type SessionOptions, type ToolCommand } from './session.js';
export { applyTracking, maskSecrets, type TargetState, targetState } from './target.js';
export type { Application, ApplicationSource, K8sObject, RenderMode, TrackingMethod } from './types.js';
