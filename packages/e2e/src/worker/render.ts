/**
 * The site's rendered nautobot-worker chart: `helm template` of `charts/nautobot-worker` with the example site's values
 * (`examples/deploy/site-iad3/nautobot-worker/values.yaml`) and the identity Argo CD passes inline
 * (`understack.site`/`understack.partition`, release `nautobot-worker`, namespace `nautobot`), exactly as the
 * argocd-understack Application does. While the example is absent, the chart's `ci/site-values.yaml` stands in (the
 * source is reported).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run, toolPath } from '@understack/scripts';
import type { K8sObject } from '../envoy-config.js';
import { parseObjects } from '../manifests.js';
import { root } from '../paths.js';

/** The site the process tier plays, and the partition Argo CD passes for it. */
export const WORKER_SITE = {
  site: 'site-iad3',
  partition: 'iad3',
  release: 'nautobot-worker',
  namespace: 'nautobot',
} as const;

export interface WorkerRender {
  objects: K8sObject[];
  /** The command that produced it (paths relative to the repository). */
  source: string;
  /** The values file used. */
  values: string;
}

/** The values file the worker is rendered with: the example site's, else the chart's CI site values. */
export function workerValuesFile(): string {
  const example = join(root(), 'examples', 'deploy', WORKER_SITE.site, 'nautobot-worker', 'values.yaml');
  return existsSync(example) ? example : join(root(), 'charts', 'nautobot-worker', 'ci', 'site-values.yaml');
}

/** Renders the worker chart for the site (real helm from `.tools/bin`). */
export async function renderWorker(valuesFile = workerValuesFile()): Promise<WorkerRender> {
  const chart = join(root(), 'charts', 'nautobot-worker');
  const args = [
    'template',
    WORKER_SITE.release,
    chart,
    '--namespace',
    WORKER_SITE.namespace,
    '-f',
    valuesFile,
    '--set-string',
    `understack.site=${WORKER_SITE.site},understack.partition=${WORKER_SITE.partition}`,
  ];
  const r = await run(toolPath('helm'), args, { reject: false });
  if (r.exitCode !== 0)
    throw new Error(
      `failed to render charts/nautobot-worker with ${relative(root(), valuesFile)}: helm exited ${r.exitCode}\n${r.stderr.trim().split('\n').slice(-10).join('\n')}`,
    );
  return {
    objects: parseObjects(r.stdout, 'helm template charts/nautobot-worker'),
    source: `helm ${args.map((a) => (a.startsWith('/') ? relative(root(), a) : a)).join(' ')}`,
    values: valuesFile,
  };
}
