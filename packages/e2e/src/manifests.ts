/**
 * The inputs the tiers are built from: the example global cluster's CNPG `Cluster` and the rendered envoy-configs
 * chart (Gateway, TLSRoutes, ClientTrafficPolicy). Taken from examples/deploy and charts/ of this repository; the
 * fixtures in packages/e2e/fixtures stand in only while those are absent, and `source` says which was used.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { run, toolPath } from '@understack/scripts';
import { parseAllDocuments } from 'yaml';
import type { CnpgCluster } from './cnpg.js';
import type { K8sObject } from './envoy-config.js';
import { packageDir, root } from './paths.js';

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

/** The CNPG Cluster of the example global cluster. */
export function loadCnpgCluster(): Loaded<CnpgCluster> {
  const dir = join(root(), 'examples', 'deploy', GLOBAL_CLUSTER);
  for (const f of yamlFiles(dir)) {
    const text = readFileSync(f, 'utf8');
    if (!text.includes('postgresql.cnpg.io')) continue;
    const c = parseObjects(text, f).find(
      (o) => o.kind === 'Cluster' && o.apiVersion?.startsWith('postgresql.cnpg.io/'),
    );
    if (c) return { value: c as CnpgCluster, source: relative(root(), f) };
  }
  const f = join(packageDir, 'fixtures', 'cnpg-cluster.yaml');
  return { value: parseObjects(readFileSync(f, 'utf8'), f)[0] as CnpgCluster, source: relative(root(), f) };
}

/** The envoy-configs chart rendered with the example global cluster's values (Argo CD's release name and namespace). */
export async function loadGatewayObjects(): Promise<Loaded<K8sObject[]>> {
  const chart = join(root(), 'charts', 'envoy-configs');
  const values = join(root(), 'examples', 'deploy', GLOBAL_CLUSTER, 'envoy-configs', 'values.yaml');
  // The chart counts once it has templates (its Chart.yaml and values.yaml contract may land first); from then on a
  // render without a Gateway is an error, never a silent fallback.
  if (hasTemplates(chart) && existsSync(values)) {
    const args = ['template', 'envoy-configs', chart, '--namespace', GATEWAY_NAMESPACE, '-f', values];
    const copy = gitChartCopy(chart);
    try {
      const r = await run(
        toolPath('helm'),
        args.map((a) => (a === chart ? copy : a)),
      );
      return {
        value: parseObjects(r.stdout, 'helm template'),
        source: `helm ${args.map((a) => (a.startsWith('/') ? relative(root(), a) : a)).join(' ')}`,
      };
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }
  const f = join(packageDir, 'fixtures', 'envoy-configs.yaml');
  return { value: parseObjects(readFileSync(f, 'utf8'), f), source: relative(root(), f) };
}
