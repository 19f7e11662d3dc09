/**
 * Post-processing: the repo-server's tracking metadata, Secret masking for printed output, and the controller's
 * target state (namespace defaulting, de-duplication with Argo's warning, hooks mapped or dropped).
 */
import { groupOf, resourceKey } from './manifests.js';
import type { K8sObject, TrackingMethod } from './types.js';

/** Annotation holding the tracking id. */
export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Annotation holding argocd-cm installationID. */
export const INSTALLATION_ID_ANNOTATION = 'argocd.argoproj.io/installation-id';

/** True for CustomResourceDefinitions (never tracked). */
export function isCrd(obj: K8sObject): boolean {
  return obj.kind === 'CustomResourceDefinition' && groupOf(obj) === 'apiextensions.k8s.io';
}

/** Tracking options (argocd-cm). */
export interface TrackingOptions {
  method: TrackingMethod;
  instanceLabelKey: string;
  installationId?: string;
}

/** Argo's `SetAppInstance` on every object except CRDs (mutates and returns `objs`). */
export function applyTracking(
  objs: K8sObject[],
  instance: string,
  destNamespace: string,
  t: TrackingOptions,
): K8sObject[] {
  for (const obj of objs) {
    if (isCrd(obj)) continue;
    obj.metadata ??= {};
    const md = obj.metadata;
    if (t.method === 'annotation' || t.method === 'annotation+label') {
      const ns = md.namespace || destNamespace;
      md.annotations = {
        ...md.annotations,
        [TRACKING_ANNOTATION]: `${instance}:${groupOf(obj)}/${obj.kind ?? ''}:${ns}/${md.name ?? ''}`,
      };
    }
    if (t.method === 'label' || t.method === 'annotation+label') {
      const value = t.method === 'annotation+label' ? instance.slice(0, 63) : instance;
      md.labels = { ...md.labels, [t.instanceLabelKey]: value };
    }
    if (t.installationId) md.annotations = { ...md.annotations, [INSTALLATION_ID_ANNOTATION]: t.installationId };
  }
  return objs;
}

/** Replaces every core Secret's `data`/`stringData` value by `+` characters (Argo's HideSecretData style). */
export function maskSecrets(objs: K8sObject[]): K8sObject[] {
  return objs.map((obj) => {
    if (obj.kind !== 'Secret' || groupOf(obj) !== '') return obj;
    const copy: K8sObject = { ...obj };
    const data: Record<string, string> = {};
    const values = new Map<string, string>();
    for (const field of ['data', 'stringData'] as const) {
      const src = obj[field];
      if (!src || typeof src !== 'object') continue;
      for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
        const key = String(v);
        if (!values.has(key)) values.set(key, '+'.repeat(8 + values.size));
        data[k] = values.get(key)!;
      }
    }
    delete copy['stringData'];
    if (Object.keys(data).length > 0) copy['data'] = data;
    const ann = obj.metadata?.annotations;
    if (ann?.['kubectl.kubernetes.io/last-applied-configuration']) {
      copy.metadata = {
        ...obj.metadata,
        annotations: { ...ann, 'kubectl.kubernetes.io/last-applied-configuration': '++++++++' },
      };
    }
    return copy;
  });
}

/** Built-in cluster-scoped kinds (`group/Kind`), plus common operators' cluster-scoped CRs. */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'policy/PodSecurityPolicy',
  'certificates.k8s.io/CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'gateway.networking.k8s.io/GatewayClass',
  'cert-manager.io/ClusterIssuer',
  'external-secrets.io/ClusterSecretStore',
  'external-secrets.io/ClusterExternalSecret',
  'postgresql.cnpg.io/ClusterImageCatalog',
]);

/** One hook in the target state. */
export interface TargetHook {
  /** Argo sync phase(s), e.g. `PreSync`. */
  phases: string[];
  object: K8sObject;
}

/** The controller's target state of one app. */
export interface TargetState {
  /** Managed resources, namespaces defaulted, duplicates resolved, sorted by group/kind/namespace/name. */
  resources: K8sObject[];
  /** Hooks (not managed): phase + object. */
  hooks: TargetHook[];
  warnings: string[];
}

const HELM_HOOK_PHASES: Record<string, string> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};

/** Argo/gitops-engine hook detection: `argocd.argoproj.io/hook` wins, else mapped Helm hooks. */
export function hookPhases(obj: K8sObject): { isHook: boolean; phases: string[] } {
  const ann = obj.metadata?.annotations ?? {};
  const argo = ann['argocd.argoproj.io/hook'];
  if (argo !== undefined) {
    const phases = argo
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return { isHook: true, phases };
  }
  const helm = ann['helm.sh/hook'];
  if (helm !== undefined) {
    const phases = [
      ...new Set(
        helm
          .split(',')
          .map((s) => HELM_HOOK_PHASES[s.trim()])
          .filter((p): p is string => !!p),
      ),
    ];
    return { isHook: true, phases };
  }
  return { isHook: false, phases: [] };
}

/** The controller's target state from the concatenated manifests. */
export function targetState(objs: K8sObject[], destNamespace: string): TargetState {
  const clusterScoped = new Set(CLUSTER_SCOPED);
  for (const o of objs) {
    if (isCrd(o)) {
      const spec = o['spec'] as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
      if (spec?.scope === 'Cluster' && spec.names?.kind) clusterScoped.add(`${spec.group ?? ''}/${spec.names.kind}`);
    }
  }
  const warnings: string[] = [];
  const hooks: TargetHook[] = [];
  const byKey = new Map<string, K8sObject>();
  const counts = new Map<string, number>();
  for (const original of objs) {
    const obj: K8sObject = { ...original, metadata: { ...original.metadata } };
    const md = obj.metadata!;
    if (clusterScoped.has(`${groupOf(obj)}/${obj.kind}`)) delete md.namespace;
    else if (!md.namespace && destNamespace) md.namespace = destNamespace;
    const h = hookPhases(obj);
    if (h.isHook) {
      // Hooks with no phase Argo understands (Helm test, pre-rollback, ...) and `Skip` are not applied.
      const phases = h.phases.filter((p) => p !== 'Skip');
      if (phases.length > 0) {
        const weight = md.annotations?.['helm.sh/hook-weight'];
        if (weight !== undefined && md.annotations?.['argocd.argoproj.io/sync-wave'] === undefined) {
          md.annotations = { ...md.annotations, 'argocd.argoproj.io/sync-wave': weight };
        }
        hooks.push({ phases, object: obj });
      }
      continue;
    }
    const key = resourceKey(obj);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    byKey.delete(key);
    byKey.set(key, obj);
  }
  for (const [key, n] of counts) {
    if (n > 1) warnings.push(`Resource ${key} appeared ${n} times among application resources.`);
  }
  const resources = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  return { resources, hooks, warnings };
}
