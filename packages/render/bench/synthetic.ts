/**
 * A synthetic deploy repository for the benchmark: one global cluster and N sites. Every cluster renders the
 * app-of-apps chart and two apps: `nautobot-worker` (multi-source: chart from the UnderStack repo + the site's
 * overlay folder as `ref: deploy`) and `site-config` (a Kustomize overlay over a shared base).
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
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
    write(
      join(deploy, c, 'site-config', 'kustomization.yaml'),
      `resources:\n  - ../../base/site-config\nlabels:\n  - pairs: { site: ${c} }\npatches:\n  - target: { kind: ConfigMap, name: site-config }\n    patch: |-\n      - op: replace\n        path: /data/region\n        value: ${c}\n`,
    );
  }
  return { understack, deploy };
}
