/**
 * The inputs the tiers are built from: the example global cluster's CNPG `Cluster` and the rendered envoy-configs
 * chart (Gateway, TLSRoutes, ClientTrafficPolicy). Taken from examples/deploy and charts/ of this repository, never
 * from a stand-in: a missing or incomplete input is an error naming the file (`source` says what was read).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { run, toolPath } from '@understack/scripts';
import { parseAllDocuments } from 'yaml';
import type { CnpgCluster } from './cnpg.js';
import type { K8sObject } from './envoy-config.js';
import { InputError } from './errors.js';
import { root } from './paths.js';

export interface Loaded<T> {
  value: T;
  /** File or command it came from (repository-relative). */
  source: string;
}

export const GLOBAL_CLUSTER = 'global-1';
export const SITE_CLUSTER = 'site-iad3';
/** Where Argo CD applies the envoy-configs chart (charts/argocd-understack: application-envoy-configs.yaml). */
export const GATEWAY_NAMESPACE = 'envoy-gateway-system';

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out.sort();
}

export function parseObjects(text: string, file: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const v = doc.toJS();
    if (v && typeof v === 'object' && 'kind' in v) out.push(v as K8sObject);
  }
  return out;
}

/**
 * The chart as Argo CD checks it out of git: a workspace member's chart folder also holds `node_modules/` (pnpm links
 * it), which helm would package unless a .helmignore says otherwise; a copy without it renders what Argo CD renders.
 */
function gitChartCopy(chart: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'understack-e2e-chart-'));
  const dst = join(dir, basename(chart));
  cpSync(chart, dst, { recursive: true, filter: (src) => !src.split(sep).includes('node_modules') });
  return dst;
}

function hasTemplates(chart: string): boolean {
  const t = join(chart, 'templates');
  return existsSync(join(chart, 'Chart.yaml')) && existsSync(t) && readdirSync(t).some((f) => /\.(ya?ml|tpl)$/.test(f));
}

/** The CNPG Cluster of the example global cluster (the first `postgresql.cnpg.io` Cluster under examples/deploy/global-1). */
export function loadCnpgCluster(repo: string = root()): Loaded<CnpgCluster> {
  const dir = join(repo, 'examples', 'deploy', GLOBAL_CLUSTER);
  if (!existsSync(dir))
    throw new InputError(
      `the example global cluster ${relative(repo, dir)}/ is missing: the e2e tiers are configured from it.\nEither: restore examples/deploy/${GLOBAL_CLUSTER} (git checkout -- examples/deploy)`,
    );
  const files = yamlFiles(dir);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!text.includes('postgresql.cnpg.io')) continue;
    const c = parseObjects(text, f).find(
      (o) => o.kind === 'Cluster' && o.apiVersion?.startsWith('postgresql.cnpg.io/'),
    );
    if (c) return { value: c as CnpgCluster, source: relative(repo, f) };
  }
  throw new InputError(
    `no CloudNativePG Cluster (apiVersion postgresql.cnpg.io/v1, kind Cluster) in ${relative(repo, dir)}/ (read ${files.length} YAML file(s)): the process tier configures PostgreSQL from it.\nEither: restore examples/deploy/${GLOBAL_CLUSTER}/nautobot/cnpg-cluster.yaml`,
  );
}

/** The envoy-configs chart rendered with the example global cluster's values (Argo CD's release name and namespace). */
export async function loadGatewayObjects(repo: string = root()): Promise<Loaded<K8sObject[]>> {
  const chart = join(repo, 'charts', 'envoy-configs');
  const values = join(repo, 'examples', 'deploy', GLOBAL_CLUSTER, 'envoy-configs', 'values.yaml');
  if (!hasTemplates(chart))
    throw new InputError(
      `${relative(repo, chart)} has no Chart.yaml or no templates: the gateway is translated from its render.\nEither: restore charts/envoy-configs`,
    );
  if (!existsSync(values))
    throw new InputError(
      `${relative(repo, values)} is missing: the gateway is rendered with the example global cluster's values.\nEither: restore it, or enable envoy_configs for ${GLOBAL_CLUSTER} in examples/deploy/${GLOBAL_CLUSTER}/deploy.yaml and add its values`,
    );
  const args = ['template', 'envoy-configs', chart, '--namespace', GATEWAY_NAMESPACE, '-f', values];
  const source = `helm ${args.map((a) => (a.startsWith('/') ? relative(repo, a) : a)).join(' ')}`;
  const copy = gitChartCopy(chart);
  try {
    const r = await run(
      toolPath('helm'),
      args.map((a) => (a === chart ? copy : a)),
      { reject: false },
    );
    if (r.exitCode !== 0)
      throw new InputError(
        `${source} failed (exit ${r.exitCode}):\n${r.stderr.trim().split('\n').slice(-10).join('\n')}`,
      );
    return { value: parseObjects(r.stdout, source), source };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
