/**
 * Deploy repositories for the benchmark. {@link buildExampleRepo} (the default workload) clones examples/deploy's
 * site to N sites over the real charts; {@link buildSyntheticRepo} (`--workload fixture`) is the small toy workload:
 * one global cluster and N sites. Every cluster renders the
 * app-of-apps chart and two apps: `nautobot-worker` (multi-source: chart from the UnderStack repo + the site's
 * overlay folder as `ref: deploy`) and `site-config` (a Kustomize overlay over a shared base).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));

function write(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

/** Site folder name of site `i` (1-based). */
export function siteName(i: number): string {
  return `site-${String(i).padStart(3, '0')}`;
}

/** Writes `<root>/understack` and `<root>/deploy`; returns their paths. */
export function buildSyntheticRepo(root: string, sites: number): { understack: string; deploy: string } {
  const understack = join(root, 'understack');
  const deploy = join(root, 'deploy');
  cpSync(join(FIXTURES, 'understack'), understack, { recursive: true });
  write(
    join(deploy, 'base', 'site-config', 'kustomization.yaml'),
    'resources:\n  - configmap.yaml\n  - networkpolicy.yaml\n',
  );
  write(
    join(deploy, 'base', 'site-config', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: site-config\ndata:\n  region: unset\n',
  );
  write(
    join(deploy, 'base', 'site-config', 'networkpolicy.yaml'),
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n',
  );
  const clusters = ['global-1', ...Array.from({ length: sites }, (_, i) => siteName(i + 1))];
  for (const c of clusters) {
    write(
      join(deploy, c, 'deploy.yaml'),
      `apps:\n  nautobot-worker:\n    chart: nautobot-worker\n    namespace: nautobot\n  site-config:\n    path: site-config\n    namespace: nautobot\n`,
    );
    write(join(deploy, c, 'nautobot-worker', 'values.yaml'), `queue: ${c}\nreplicas: 2\n`);
    write(
      join(deploy, c, 'nautobot-worker', 'manifests', 'externalsecret.yaml'),
      `apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: nautobot-worker-mtls\nspec:\n  secretStoreRef: { kind: ClusterSecretStore, name: vault }\n  target: { name: nautobot-worker-mtls }\n  dataFrom: [{ extract: { key: ${c}/mtls } }]\n`,
    );
    // A Kustomize overlay (not a plain Directory source): every object then comes from a tool command, so the
    // benchmark can compare the renderer's output with the plain script's.
    write(
      join(deploy, c, 'nautobot-worker', 'manifests', 'kustomization.yaml'),
      'resources:\n  - externalsecret.yaml\n',
    );
    write(
      join(deploy, c, 'site-config', 'kustomization.yaml'),
      `resources:\n  - ../../base/site-config\nlabels:\n  - pairs: { site: ${c} }\npatches:\n  - target: { kind: ConfigMap, name: site-config }\n    patch: |-\n      - op: replace\n        path: /data/region\n        value: ${c}\n`,
    );
  }
  return { understack, deploy };
}

const EXAMPLE = fileURLToPath(new URL('../../../examples/deploy/', import.meta.url));
const UNDERSTACK_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The example site every synthetic site is cloned from. */
const TEMPLATE_SITE = 'site-iad3';

/** Replaces every occurrence of the template site's name and partition in the files under `dir`. */
function renameSite(dir: string, site: string, partition: string): void {
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (!statSync(p).isFile()) continue;
    const text = readFileSync(p, 'utf8');
    const out = text.replaceAll(TEMPLATE_SITE, site).replaceAll('iad3', partition);
    if (out !== text) writeFileSync(p, out);
  }
}

/**
 * The realistic workload: `<root>/deploy` is examples/deploy with its global cluster (global-1, every app of the
 * real argocd-understack chart, vendored stand-in upstream charts) and N sites cloned from site-iad3 (the real
 * nautobot-worker chart + its Kustomize overlay with five ExternalSecrets, external-secrets). The charts are this
 * repository's own (`charts/argocd-understack`, `charts/nautobot-worker`, ...), copied once at the start.
 */
export function buildExampleRepo(root: string, sites: number): { understack: string; deploy: string } {
  const deploy = join(root, 'deploy');
  cpSync(EXAMPLE, deploy, {
    recursive: true,
    filter: (src) => !/\/site-[^/]+$/.test(src),
  });
  for (let i = 1; i <= sites; i++) {
    const site = siteName(i);
    cpSync(join(EXAMPLE, TEMPLATE_SITE), join(deploy, site), { recursive: true });
    renameSite(join(deploy, site), site, `p${String(i).padStart(3, '0')}`);
  }
  // A snapshot of this repository's charts: the shared checkout may change while the benchmark runs, and (a) and
  // (b) must render the same inputs.
  const understack = join(root, 'understack');
  cpSync(join(UNDERSTACK_ROOT, 'charts'), join(understack, 'charts'), {
    recursive: true,
    filter: (src) => !/\/(node_modules|\.turbo)$/.test(src),
  });
  return { understack, deploy };
}

/** Changes one site's values (d): the worker image tag of the example values file. */
export function changeOneSite(deploy: string, site: string, workload: 'example' | 'fixture'): void {
  const file = join(deploy, site, 'nautobot-worker', 'values.yaml');
  const text = readFileSync(file, 'utf8');
  if (workload === 'fixture') writeFileSync(file, `${text}replicas: 3\n`);
  else {
    const changed = text.replace(/tag: "2\.4\.10"/, 'tag: "2.4.11"');
    if (changed === text) throw new Error(`${file}: expected tag: "2.4.10" to change`);
    writeFileSync(file, changed);
  }
}
