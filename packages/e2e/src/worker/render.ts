/**
 * The site's rendered nautobot-worker chart: `helm template` of `charts/nautobot-worker` with the example site's values
 * (`examples/deploy/site-iad3/nautobot-worker/values.yaml`) and the identity Argo CD passes inline
 * (`understack.site`/`understack.partition`, release `nautobot-worker`, namespace `nautobot`), exactly as the
 * argocd-understack Application does. A missing example values file is an error naming it (no stand-in).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run, toolPath } from '@understack/scripts';
import type { K8sObject } from '../envoy-config.js';
import { InputError } from '../errors.js';
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

/** The values file the worker is rendered with: the example site's (an error naming it when it is missing). */
export function workerValuesFile(repo: string = root()): string {
  const example = join(repo, 'examples', 'deploy', WORKER_SITE.site, 'nautobot-worker', 'values.yaml');
  if (!existsSync(example))
    throw new InputError(
      `${relative(repo, example)} is missing: the site worker is rendered from the example site's values.\nEither: restore it (git checkout -- ${relative(repo, example)}), or enable nautobot_worker for ${WORKER_SITE.site} in examples/deploy/${WORKER_SITE.site}/deploy.yaml and add its values`,
    );
  return example;
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
    throw new InputError(
      `failed to render charts/nautobot-worker with ${relative(root(), valuesFile)}: helm exited ${r.exitCode}\n${r.stderr.trim().split('\n').slice(-10).join('\n')}`,
    );
  return {
    objects: parseObjects(r.stdout, 'helm template charts/nautobot-worker'),
    source: `helm ${args.map((a) => (a.startsWith('/') ? relative(root(), a) : a)).join(' ')}`,
    values: valuesFile,
  };
}
