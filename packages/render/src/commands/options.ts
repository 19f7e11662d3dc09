/**
 * Command-line options shared by `understack-render` and `understack-render diff`, declared once as a typed object
 * for `util.parseArgs`, and their translation into {@link DeployRepoOptions}.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defaultCacheDir } from '../cache.js';
import type { DeployRepoOptions } from '../cluster.js';
import { UsageError } from '../errors.js';
import { defaultArgoVersion, supportedArgoVersions } from '../tools.js';
import type { RenderMode, TrackingMethod } from '../types.js';

/** Options every command accepts (parseArgs config). */
export const commonOptions = {
  cluster: { type: 'string', multiple: true, short: 'c' },
  mode: { type: 'string' },
  understack: { type: 'string' },
  repo: { type: 'string', multiple: true },
  'chart-repo': { type: 'string', multiple: true },
  'allow-network': { type: 'boolean' },
  'argocd-version': { type: 'string' },
  'kube-version': { type: 'string' },
  'api-versions': { type: 'string', multiple: true },
  'instance-label-key': { type: 'string' },
  'tracking-method': { type: 'string' },
  'app-namespace': { type: 'string' },
  'installation-id': { type: 'string' },
  'values-file-schemes': { type: 'string' },
  'kustomize-build-options': { type: 'string' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  concurrency: { type: 'string', short: 'j' },
  'reveal-secrets': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text for the shared options. */
export function commonHelp(): string {
  return `Cluster selection and output:
  -c, --cluster <name>           render only this cluster (repeatable; default: every folder with a deploy.yaml)
      --mode target|manifests    target (default): the controller's target state (namespaces defaulted,
                                 duplicates resolved, hooks apart); manifests: GetManifests concatenation
      --json                     print a JSON summary on stdout
  -v, --verbose                  print every tool command (credentials redacted) on stderr
  -q, --quiet                    no progress on stderr

Repositories (offline):
      --understack <dir>         UnderStack checkout with charts/argocd-understack (default: this repository)
      --repo <url>=<dir>         map a Git repoURL to a local folder (repeatable). The app-of-apps values'
                                 understack_url and deploy_url are mapped automatically to --understack and
                                 the deploy repository
      --chart-repo <url>=<dir>   map a Helm repository or OCI registry (oci://host/path) to a folder of
                                 <chart>/ folders or <chart>-<version>.tgz files (repeatable); also read from
                                 chartRepositories in <deploy-repo>/.understack-render.yaml
      --allow-network            let helm pull charts that are not mapped

Argo CD emulation:
      --argocd-version <v>       ${supportedArgoVersions().join(' or ')} (default ${defaultArgoVersion()}): picks the bundled Helm and behaviour
      --kube-version <v>         cluster Kubernetes version (default 1.33.0)
      --api-versions <list>      cluster APIs, group/version[/Kind] (repeatable or comma-separated; replaces the
                                 built-in list and the config's extraApiVersions). Per-cluster kubeVersion and
                                 extraApiVersions can live in <deploy-repo>/.understack-render.yaml
      --instance-label-key <k>   argocd-cm application.instanceLabelKey (default app.kubernetes.io/instance)
      --tracking-method <m>      annotation (default), label or annotation+label
      --app-namespace <ns>       Argo CD's control-plane namespace (default argocd)
      --installation-id <id>     argocd-cm installationID
      --values-file-schemes <l>  argocd-cm helm.valuesFileSchemes (default https,http)
      --kustomize-build-options  argocd-cm kustomize.buildOptions

Performance:
      --cache-dir <dir>          tool output cache (default $XDG_CACHE_HOME/understack-render)
      --no-cache                 always run the tools
  -j, --concurrency <n>          parallel tool processes (default: cores = ${availableParallelism()})
      --reveal-secrets           print Secret values (masked with + by default)`;
}

function pairs(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const i = item.lastIndexOf('=');
    if (i <= 0 || i === item.length - 1) throw new UsageError('E_USAGE', `${flag} ${item}: expected <url>=<dir>`);
    out[item.slice(0, i)] = resolve(item.slice(i + 1));
  }
  return out;
}

type Values = {
  [K in keyof typeof commonOptions]?: (typeof commonOptions)[K] extends { multiple: true }
    ? string[]
    : (typeof commonOptions)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

/** Translates parsed flags into library options. */
export function toRenderOptions(v: Values): DeployRepoOptions & { mode: RenderMode } {
  const mode = (v.mode ?? 'target') as RenderMode;
  if (mode !== 'target' && mode !== 'manifests')
    throw new UsageError('E_USAGE', `--mode ${mode}: expected target or manifests`);
  const tracking = v['tracking-method'] as TrackingMethod | undefined;
  if (tracking && !['annotation', 'label', 'annotation+label'].includes(tracking)) {
    throw new UsageError('E_USAGE', `--tracking-method ${tracking}: expected annotation, label or annotation+label`);
  }
  let concurrency: number | undefined;
  if (v.concurrency !== undefined) {
    concurrency = Number(v.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new UsageError('E_USAGE', `--concurrency ${v.concurrency}: expected a positive integer`);
  }
  const apis = (v['api-versions'] ?? [])
    .flatMap((a) => a.split(','))
    .map((a) => a.trim())
    .filter(Boolean);
  return {
    mode,
    ...(v.cluster ? { clusters: v.cluster } : {}),
    ...(v.understack ? { understack: resolve(v.understack) } : {}),
    repos: pairs(v.repo, '--repo'),
    chartRepos: pairs(v['chart-repo'], '--chart-repo'),
    allowNetwork: v['allow-network'] ?? false,
    ...(v['argocd-version'] ? { argocdVersion: v['argocd-version'] } : {}),
    ...(v['kube-version'] ? { kubeVersion: v['kube-version'] } : {}),
    ...(apis.length ? { apiVersions: apis } : {}),
    ...(v['instance-label-key'] ? { instanceLabelKey: v['instance-label-key'] } : {}),
    ...(tracking ? { trackingMethod: tracking } : {}),
    ...(v['app-namespace'] ? { appNamespace: v['app-namespace'] } : {}),
    ...(v['installation-id'] ? { installationId: v['installation-id'] } : {}),
    ...(v['values-file-schemes']
      ? { valuesFileSchemes: v['values-file-schemes'].split(',').map((s) => s.trim()) }
      : {}),
    ...(v['kustomize-build-options'] ? { kustomizeBuildOptions: v['kustomize-build-options'] } : {}),
    cacheDir: v['no-cache'] ? false : (v['cache-dir'] ?? defaultCacheDir()),
    ...(concurrency ? { concurrency } : {}),
    revealSecrets: v['reveal-secrets'] ?? false,
  };
}

/** Progress reporter on stderr: an updating line on a terminal, a line per quarter otherwise. */
export function progressReporter(quiet: boolean): {
  onProgress: (e: { done: number; total: number; cluster: string; app: string; ok: boolean }) => void;
  end: () => void;
} {
  const tty = process.stderr.isTTY;
  let lastQuarter = -1;
  let wrote = false;
  // M grows while app-of-apps roots render; the final count is printed at the end if no line showed it yet.
  let last = '';
  let printed = '';
  return {
    onProgress(e) {
      if (quiet) return;
      last = `rendered ${e.done}/${e.total} apps`;
      if (!e.ok) process.stderr.write(`${tty && wrote ? '\n' : ''}failed: ${e.cluster}/${e.app}\n`);
      if (tty) {
        process.stderr.write(`\rrendered ${e.done}/${e.total} apps (${e.cluster}/${e.app})\x1b[K`);
        wrote = true;
      } else {
        const q = Math.floor((e.done / Math.max(1, e.total)) * 4);
        if (q !== lastQuarter) {
          lastQuarter = q;
          printed = last;
          process.stderr.write(`${last}\n`);
        }
      }
    },
    end() {
      if (tty && wrote) process.stderr.write('\n');
      else if (!tty && !quiet && last && last !== printed) process.stderr.write(`${last}\n`);
    },
  };
}
