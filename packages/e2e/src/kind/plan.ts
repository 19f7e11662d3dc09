/**
 * What the kind tier creates and applies, as data: the two kind clusters, the `kind` command lines, and the order in
 * which rendered objects are applied (Argo CD's sync order: CRDs and Namespaces first, workloads last). Pure, so the
 * unit tests check it without Docker.
 */
import type { K8sObject } from '../envoy-config.js';
import { GLOBAL_CLUSTER, SITE_CLUSTER } from '../manifests.js';
import type { TeardownCommand } from '../teardown.js';

/** kindest/node image for the Kubernetes version the renderer assumes (DEFAULT_KUBE_VERSION 1.33). */
export const KIND_NODE_IMAGE = 'kindest/node:v1.33.1';

export interface KindCluster {
  /** The example deploy repo's cluster folder. */
  deployCluster: string;
  /** kind's name (also the Docker container prefix). */
  kindName: string;
  config: Record<string, unknown>;
}

/** The two clusters of the scenario; `runId` keeps parallel runs (and stale ones) apart. */
export function kindClusters(runId: string): { global: KindCluster; site: KindCluster } {
  const make = (deployCluster: string): KindCluster => ({
    deployCluster,
    kindName: `us-e2e-${runId}-${deployCluster}`.slice(0, 40),
    config: {
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name: `us-e2e-${runId}-${deployCluster}`.slice(0, 40),
      nodes: [{ role: 'control-plane', image: KIND_NODE_IMAGE }],
      networking: { apiServerAddress: '127.0.0.1', apiServerPort: 0 },
    },
  });
  return { global: make(GLOBAL_CLUSTER), site: make(SITE_CLUSTER) };
}

export function kindCreateArgs(c: KindCluster, configFile: string, kubeconfig: string, waitSeconds: number): string[] {
  return [
    'create',
    'cluster',
    '--name',
    c.kindName,
    '--config',
    configFile,
    '--kubeconfig',
    kubeconfig,
    '--wait',
    `${waitSeconds}s`,
  ];
}

export function kindDeleteArgs(c: KindCluster, kubeconfig: string): string[] {
  return ['delete', 'cluster', '--name', c.kindName, '--kubeconfig', kubeconfig];
}

/**
 * Apply order, as Argo CD syncs one wave: Namespaces, CRDs, then configuration (ServiceAccounts, RBAC, ConfigMaps,
 * Secrets), then everything else, workloads last; within a rank the render order is kept (stable).
 */
const RANK: Record<string, number> = {
  Namespace: 0,
  CustomResourceDefinition: 1,
  ServiceAccount: 2,
  ClusterRole: 2,
  ClusterRoleBinding: 2,
  Role: 2,
  RoleBinding: 2,
  ConfigMap: 3,
  Secret: 3,
  Service: 4,
  Deployment: 6,
  StatefulSet: 6,
  DaemonSet: 6,
  Job: 7,
};

export function applyOrder(objects: readonly K8sObject[]): K8sObject[] {
  const wave = (o: K8sObject) =>
    Number(
      (o.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[
        'argocd.argoproj.io/sync-wave'
      ] ?? 0,
    );
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => wave(a.o) - wave(b.o) || (RANK[a.o.kind ?? ''] ?? 5) - (RANK[b.o.kind ?? ''] ?? 5) || a.i - b.i)
    .map((x) => x.o);
}

/** Objects whose kind is served by a CRD that the same batch defines: they must wait for the CRD to be Established. */
export function dependsOnCrd(objects: readonly K8sObject[]): Set<string> {
  const crdKinds = new Set<string>();
  for (const o of objects)
    if (o.kind === 'CustomResourceDefinition') {
      const spec = (o as { spec?: { names?: { kind?: string } } }).spec;
      if (spec?.names?.kind) crdKinds.add(spec.names.kind);
    }
  return crdKinds;
}

/**
 * How the kind tier removes what it created: `kind delete cluster` per cluster, the last created first (a cluster whose
 * creation was interrupted is included: kind deletes a half-made cluster, and a missing one is not an error). Empty
 * with `--keep`. The same plan runs from `down()` and from the SIGINT/SIGTERM hook.
 */
export function kindTeardownPlan(
  created: readonly { cluster: KindCluster; kubeconfig: string }[],
  opts: { keep?: boolean; kind: string },
): TeardownCommand[] {
  if (opts.keep) return [];
  return [...created].reverse().map(({ cluster, kubeconfig }) => ({
    what: `kind cluster ${cluster.kindName}`,
    argv: [opts.kind, ...kindDeleteArgs(cluster, kubeconfig)],
  }));
}

/** A command whose output (or files) go to the artifacts folder. */
export interface ArtifactCommand {
  what: string;
  argv: string[];
  /** File for stdout; absent when the command writes its own files (kind export logs). */
  file?: string;
}

/** Objects listed through the API into `file` (YAML, managedFields dropped). Never a Secret. */
export interface ArtifactDump {
  which: 'global' | 'site';
  apiVersion: string;
  kind: string;
  file: string;
}

/** Kinds dumped from both clusters (the `kubectl describe`/`get -o yaml` of a failure: status, conditions, events). */
const DUMP_BOTH: [string, string][] = [
  ['v1', 'Pod'],
  ['v1', 'Event'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['external-secrets.io/v1', 'ExternalSecret'],
];
/**
 * Never dumped: Secrets (the render holds real values), and kinds whose state says nothing about a failure (their
 * definitions are in the render). Everything else that was applied is dumped with the apiVersion it was applied with.
 */
const NOT_DUMPED = new Set([
  'Secret',
  'ConfigMap',
  'CustomResourceDefinition',
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
  'PriorityClass',
]);
/** Created by operators, not applied: cert-manager's requests show why a Certificate is not Ready. */
const DUMP_GLOBAL_EXTRA: [string, string][] = [['cert-manager.io/v1', 'CertificateRequest']];

/**
 * What the kind tier saves when a run fails: per cluster `kind export logs` (every container's log, current and
 * previous — what `kubectl logs` shows — plus kubelet and containerd), and as YAML (what `kubectl describe` shows:
 * status, conditions) the objects of DUMP_BOTH plus every kind applied to that cluster except NOT_DUMPED. Secrets are
 * never listed.
 */
export function kindArtifactPlan(
  created: readonly { which: 'global' | 'site'; cluster: KindCluster; applied?: readonly K8sObject[] }[],
  dir: string,
  kind: string,
): { commands: ArtifactCommand[]; dumps: ArtifactDump[] } {
  const commands: ArtifactCommand[] = [];
  const dumps: ArtifactDump[] = [];
  for (const { which, cluster, applied } of created) {
    commands.push({
      what: `logs of ${cluster.kindName}`,
      argv: [kind, 'export', 'logs', `${dir}/${which}/kind-logs`, '--name', cluster.kindName],
    });
    const kinds = new Map<string, string>(DUMP_BOTH.map(([v, k]) => [k, v]));
    for (const o of applied ?? [])
      if (o.kind && o.apiVersion && !NOT_DUMPED.has(o.kind) && !kinds.has(o.kind)) kinds.set(o.kind, o.apiVersion);
    if (which === 'global') for (const [v, k] of DUMP_GLOBAL_EXTRA) if (!kinds.has(k)) kinds.set(k, v);
    for (const [k, apiVersion] of kinds)
      dumps.push({ which, apiVersion, kind: k, file: `${dir}/${which}/${k.toLowerCase()}s.yaml` });
  }
  return { commands, dumps };
}

/** API groups the API server serves itself (no CRD, no operator needed). */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'autoscaling',
  'rbac.authorization.k8s.io',
  'apiextensions.k8s.io',
  'admissionregistration.k8s.io',
  'apiregistration.k8s.io',
  'networking.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
]);

const groupOf = (o: K8sObject) => {
  const v = o.apiVersion ?? '';
  return v.includes('/') ? v.slice(0, v.lastIndexOf('/')) : '';
};

/**
 * The two phases of an apply. First everything the API server serves itself — CRDs, the operators' (cert-manager,
 * CloudNativePG, Envoy Gateway, external-secrets) RBAC, Services and Deployments, and their webhook configurations —
 * then, once those Deployments are Available, the custom resources (Certificates, the CNPG Cluster, the Gateway and
 * TLSRoutes, the ClientTrafficPolicy, ExternalSecrets): their validating webhooks answer only when the operator runs,
 * which Argo CD gets from retries and sync waves across Applications that the flattened render no longer has. Each
 * phase keeps `applyOrder`.
 */
export function applyPhases(objects: readonly K8sObject[]): { builtin: K8sObject[]; custom: K8sObject[] } {
  const ordered = applyOrder(objects);
  return {
    builtin: ordered.filter((o) => BUILTIN_GROUPS.has(groupOf(o))),
    custom: ordered.filter((o) => !BUILTIN_GROUPS.has(groupOf(o))),
  };
}

type Svc = { namespace?: string; name?: string };
type Loose = K8sObject & {
  metadata?: { name?: string; namespace?: string };
  webhooks?: { clientConfig?: { service?: Svc } }[];
  spec?: {
    selector?: Record<string, string> | { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> } };
    conversion?: { webhook?: { clientConfig?: { service?: Svc } } };
  };
};

/**
 * The Deployments behind the batch's admission and conversion webhooks (webhook configuration or CRD -> Service ->
 * Deployment whose pod labels match the Service's selector): the custom resources are applied once these are
 * Available. Only these: the applications' own Deployments (Nautobot needs the CNPG Cluster) come up after phase two.
 */
export function webhookDeployments(objects: readonly K8sObject[]): { namespace: string; name: string }[] {
  const all = objects as Loose[];
  const refs: Svc[] = [];
  for (const o of all) {
    if (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration')
      for (const w of o.webhooks ?? []) if (w.clientConfig?.service) refs.push(w.clientConfig.service);
    const conv = o.kind === 'CustomResourceDefinition' ? o.spec?.conversion?.webhook?.clientConfig?.service : undefined;
    if (conv) refs.push(conv);
  }
  const out = new Map<string, { namespace: string; name: string }>();
  for (const ref of refs) {
    const svc = all.find(
      (o) =>
        o.kind === 'Service' && o.metadata?.name === ref.name && (o.metadata?.namespace ?? 'default') === ref.namespace,
    );
    const selector = svc?.spec?.selector as Record<string, string> | undefined;
    if (!selector) continue;
    for (const d of all) {
      if (d.kind !== 'Deployment' || (d.metadata?.namespace ?? 'default') !== ref.namespace) continue;
      const labels = d.spec?.template?.metadata?.labels ?? {};
      if (Object.entries(selector).every(([k, v]) => labels[k] === v))
        out.set(`${ref.namespace}/${d.metadata?.name}`, { namespace: ref.namespace!, name: d.metadata!.name! });
    }
  }
  return [...out.values()];
}

interface ExternalSecretLike {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: {
    target?: { name?: string; template?: { type?: string } };
    data?: { secretKey: string; remoteRef: { key: string; property?: string } }[];
    dataFrom?: unknown[];
  };
}

/**
 * What the external secrets provider (Vault in the example) would deliver, with the harness as the provider: one
 * Secret per rendered ExternalSecret that uses `spec.data`, each key from `provider["<remote key>/<property>"]`.
 * ExternalSecrets built with `dataFrom`/templates (the site's client certificate) are left to the caller; `missing`
 * lists the remote values the provider map does not hold.
 */
export function providerSecrets(
  objects: readonly K8sObject[],
  provider: Readonly<Record<string, string>>,
): { secrets: K8sObject[]; missing: string[]; skipped: string[] } {
  const secrets: K8sObject[] = [];
  const missing: string[] = [];
  const skipped: string[] = [];
  for (const o of objects as ExternalSecretLike[]) {
    if (o.kind !== 'ExternalSecret') continue;
    const name = o.spec?.target?.name ?? o.metadata?.name ?? '';
    const ns = o.metadata?.namespace ?? 'default';
    if (!o.spec?.data || o.spec.dataFrom) {
      skipped.push(`${ns}/${name}`);
      continue;
    }
    const stringData: Record<string, string> = {};
    for (const d of o.spec.data) {
      const ref = `${d.remoteRef.key}${d.remoteRef.property ? `/${d.remoteRef.property}` : ''}`;
      const v = provider[ref];
      if (v === undefined) missing.push(`${ns}/${name} ${d.secretKey} <- ${ref}`);
      else stringData[d.secretKey] = v;
    }
    if (Object.keys(stringData).length === o.spec.data.length)
      secrets.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'understack-e2e' } },
        type: o.spec.target?.template?.type ?? 'Opaque',
        stringData,
      } as K8sObject);
  }
  return { secrets, missing, skipped };
}

/** Envoy Gateway's controller name (what a GatewayClass names to be reconciled by Envoy Gateway). */
export const ENVOY_GATEWAY_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';

/**
 * GatewayClasses the rendered Gateways name but nothing in the render defines. Envoy Gateway's chart (gateway-helm)
 * creates none, and without one a Gateway is never accepted and no proxy pod starts; the kind tier adds these (and
 * says so), the way a cluster operator would have to.
 */
export function missingGatewayClasses(objects: readonly K8sObject[]): K8sObject[] {
  const defined = new Set(objects.filter((o) => o.kind === 'GatewayClass').map((o) => o.metadata?.name));
  const wanted = new Set(
    objects
      .filter((o) => o.kind === 'Gateway')
      .map((o) => (o.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName)
      .filter((n): n is string => !!n && !defined.has(n)),
  );
  return [...wanted].map(
    (name) =>
      ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'understack-e2e' } },
        spec: { controllerName: ENVOY_GATEWAY_CONTROLLER },
      }) as K8sObject,
  );
}
