/**
 * The example deploy repository (examples/deploy), rendered as Argo CD would: the shape every site cluster must have
 * and what must never reach one.
 *
 * - Each site-only cluster (deploy.yaml enables `site`, not `global`) gets exactly one `<cluster>-nautobot-worker`
 *   Application whose sources are exactly the worker chart source plus the deploy repo's overlay (`ref: deploy`); its
 *   render holds the worker Deployment(s) and one ExternalSecret per `externalsecret-*.yaml` file in the overlay.
 * - Nothing rendered for a site, by any app, can issue certificates or carry the CA private key: no Issuer or
 *   ClusterIssuer, no CA Certificate, no Secret with a CA key, no ExternalSecret/PushSecret naming the CA key secret.
 * - The global cluster renders nautobot-mtls with one client Certificate per site in its values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { type DeployRepoResult, renderDeployRepo } from '../src/cluster.js';
import { understackRoot } from '../src/tools.js';
import type { K8sObject } from '../src/types.js';

const ROOT = understackRoot();
const DEPLOY = join(ROOT, 'examples/deploy');

type Values = Record<string, unknown>;
const readYaml = (path: string): Values => (parse(readFileSync(path, 'utf8')) ?? {}) as Values;
const at = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Values)[k] : undefined), v);

/** The CA key secret name: the example's nautobot-mtls override, else the chart default. */
const CA_KEY_SECRET = (at(readYaml(join(DEPLOY, 'global-1/nautobot-mtls/values.yaml')), 'ca', 'secretName') ??
  at(readYaml(join(ROOT, 'charts/nautobot-mtls/values.yaml')), 'ca', 'secretName')) as string;

/** Clusters whose deploy.yaml turns the site scope on and the global scope off. */
function siteOnlyClusters(): string[] {
  return readdirSync(DEPLOY)
    .filter((n) => {
      try {
        const d = readYaml(join(DEPLOY, n, 'deploy.yaml'));
        return at(d, 'site', 'enabled') === true && at(d, 'global', 'enabled') !== true;
      } catch {
        return false;
      }
    })
    .sort();
}

/**
 * Why an object may not be on a site cluster, or undefined when it may. Checks every way the CA could leak or be
 * re-created on a site: an issuer of any type, a CA Certificate, a Secret holding a CA key, and an ExternalSecret or
 * PushSecret that names the secret holding the CA key.
 */
export function forbiddenOnSite(o: K8sObject, caKeySecret: string): string | undefined {
  const kind = o.kind ?? '';
  if (kind === 'Issuer' || kind === 'ClusterIssuer') return `a cert-manager ${kind}`;
  if (kind === 'Certificate' && at(o, 'spec', 'isCA') === true) return 'a CA Certificate (spec.isCA: true)';
  if (kind === 'Secret') {
    const keys = [
      ...Object.keys((o.data as Values | undefined) ?? {}),
      ...Object.keys((o.stringData as Values | undefined) ?? {}),
    ];
    if (keys.includes('ca.key')) return 'a Secret carrying ca.key';
    if (o.metadata?.name === caKeySecret && keys.includes('tls.key')) return `the CA key Secret ${caKeySecret}`;
  }
  if ((kind === 'ExternalSecret' || kind === 'PushSecret') && JSON.stringify(o.spec ?? {}).includes(caKeySecret))
    return `a ${kind} naming the CA key secret ${caKeySecret}`;
  return undefined;
}

describe('examples/deploy', () => {
  let result: DeployRepoResult;
  beforeAll(async () => {
    result = await renderDeployRepo(DEPLOY, { cacheDir: false });
  }, 300_000);

  const sites = siteOnlyClusters();

  it('should find the site-only clusters of the example', () => {
    expect(sites).toEqual(['site-dfw3', 'site-iad3']);
  });

  it('should render every cluster and app without error', () => {
    const errors = result.clusters.flatMap((c) =>
      [c.error, ...c.apps.map((a) => a.error)].filter(Boolean).map((e) => `${c.cluster}: ${e!.message}`),
    );
    expect(errors).toEqual([]);
  });

  describe.each(sites)('site cluster %s', (cluster) => {
    const deploy = readYaml(join(DEPLOY, cluster, 'deploy.yaml'));
    const overlay = join(DEPLOY, cluster, 'nautobot-worker');
    const clusterResult = () => {
      const c = result.clusters.find((x) => x.cluster === cluster);
      if (!c) throw new Error(`cluster ${cluster} was not rendered`);
      return c;
    };
    const applications = () =>
      (clusterResult().root?.target.resources ?? []).filter((o) => o.kind === 'Application') as K8sObject[];

    it('should emit exactly one nautobot-worker Application whose sources are the chart and the overlay', () => {
      const workers = applications().filter(
        (a) => a.metadata?.labels?.['understack.rackspace.com/component'] === 'nautobot-worker',
      );
      expect(workers.map((a) => a.metadata?.name)).toEqual([`${cluster}-nautobot-worker`]);
      const labels = (deploy.appLabels ?? {}) as Record<string, string>;
      expect(at(workers[0], 'spec', 'sources')).toEqual([
        {
          repoURL: deploy.understack_url,
          targetRevision: deploy.understack_ref,
          path: 'charts/nautobot-worker',
          helm: {
            releaseName: 'nautobot-worker',
            ignoreMissingValueFiles: true,
            valueFiles: [`$deploy/${cluster}/nautobot-worker/values.yaml`],
            // Identity only: every other worker value comes from the deploy repo's values.yaml.
            valuesObject: {
              understack: {
                site: labels['understack.rackspace.com/site'],
                partition: labels['understack.rackspace.com/partition'],
              },
            },
          },
        },
        {
          repoURL: deploy.deploy_url,
          targetRevision: deploy.deploy_ref,
          path: `${cluster}/nautobot-worker`,
          ref: 'deploy',
        },
      ]);
    });

    it('should render the worker Deployment(s) and one ExternalSecret per externalsecret-*.yaml file of the overlay', () => {
      const app = clusterResult().apps.find((a) => a.name === `${cluster}-nautobot-worker`);
      expect(app?.error, app?.error?.message).toBeUndefined();
      const objects = app!.result!.target.resources;
      const deployments = objects.filter((o) => o.kind === 'Deployment');
      expect(deployments.length, 'no worker Deployment rendered').toBeGreaterThan(0);
      for (const d of deployments)
        expect(d.metadata?.labels?.['app.kubernetes.io/name'], `${d.metadata?.name}`).toBe('nautobot-worker');

      const onDisk = readdirSync(overlay)
        .filter((f) => /^externalsecret-.*\.ya?ml$/.test(f))
        .flatMap((f) =>
          parseAllDocuments(readFileSync(join(overlay, f), 'utf8'))
            .map((d) => d.toJS() as K8sObject | null)
            .filter((o): o is K8sObject => o?.kind === 'ExternalSecret')
            .map((o) => o.metadata!.name!),
        )
        .sort();
      expect(onDisk.length, `no externalsecret-*.yaml in ${overlay}`).toBeGreaterThan(0);
      const rendered = objects
        .filter((o) => o.kind === 'ExternalSecret')
        .map((o) => o.metadata!.name!)
        .sort();
      expect(rendered).toEqual(onDisk);
    });

    it('should render nothing that can issue certificates or carry the CA private key, in any app', () => {
      const c = clusterResult();
      const everything = [
        ...(c.root?.target.resources ?? []).map((o) => ({ app: 'app-of-apps', o })),
        ...c.apps.flatMap((a) => (a.result?.target.resources ?? []).map((o) => ({ app: a.name, o }))),
      ];
      expect(everything.length).toBeGreaterThan(0);
      const bad = everything
        .map(({ app, o }) => ({ app, o, why: forbiddenOnSite(o, CA_KEY_SECRET) }))
        .filter((x) => x.why)
        .map((x) => `${x.app}: ${x.o.kind}/${x.o.metadata?.name} is ${x.why}`);
      expect(bad).toEqual([]);
    });
  });

  it('should render nautobot-mtls on the global cluster with one client Certificate per site in its values', () => {
    const mtlsValues = readYaml(join(DEPLOY, 'global-1/nautobot-mtls/values.yaml'));
    const listed = Object.keys((mtlsValues.sites ?? {}) as Values).sort();
    expect(listed).toEqual(sites);
    const app = result.clusters
      .find((c) => c.cluster === 'global-1')
      ?.apps.find((a) => a.name === 'global-1-nautobot-mtls');
    expect(app?.result, 'global-1-nautobot-mtls was not rendered').toBeDefined();
    const clientCerts = app!
      .result!.target.resources.filter(
        (o) => o.kind === 'Certificate' && o.metadata?.name?.startsWith('nautobot-mtls-client-'),
      )
      .map((o) => o.metadata!.name)
      .sort();
    expect(clientCerts).toEqual(listed.map((s) => `nautobot-mtls-client-${s}`));
  });
});

describe(forbiddenOnSite, () => {
  const ca = 'mtls-ca-key-pair';
  it.each<[string, K8sObject, boolean]>([
    ['a selfSigned Issuer', { kind: 'Issuer', spec: { selfSigned: {} } }, true],
    ['a ClusterIssuer', { kind: 'ClusterIssuer', spec: { acme: {} } }, true],
    ['a CA Certificate', { kind: 'Certificate', spec: { isCA: true } }, true],
    ['a client Certificate', { kind: 'Certificate', spec: { usages: ['client auth'] } }, false],
    ['a Secret with ca.key', { kind: 'Secret', metadata: { name: 'x' }, data: { 'ca.key': 'x' } }, true],
    ['the CA key Secret', { kind: 'Secret', metadata: { name: ca }, data: { 'tls.key': 'x' } }, true],
    [
      'a client tls Secret',
      { kind: 'Secret', metadata: { name: 'nautobot-mtls-client' }, data: { 'tls.key': 'x' } },
      false,
    ],
    [
      'an ExternalSecret pulling the CA key',
      { kind: 'ExternalSecret', spec: { data: [{ remoteRef: { key: ca } }] } },
      true,
    ],
    ['a PushSecret of the CA key', { kind: 'PushSecret', spec: { selector: { secret: { name: ca } } } }, true],
    [
      'an ExternalSecret for the client cert',
      { kind: 'ExternalSecret', spec: { data: [{ remoteRef: { key: 'c' } }] } },
      false,
    ],
  ])('should flag %s: %s', (_name, o, flagged) => {
    expect(forbiddenOnSite(o, ca) !== undefined).toBe(flagged);
  });
});
