/**
 * The subset of Argo CD's Application types the renderer reads (field names as in `argoproj.io/v1alpha1`).
 * Unknown fields are ignored, as the repo-server ignores them.
 */

/** A Kubernetes object as rendered (plain JSON). */
export type K8sObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** `spec.source.helm.parameters[]` */
export interface HelmParameter {
  name: string;
  value?: string;
  forceString?: boolean;
}

/** `spec.source.helm.fileParameters[]` */
export interface HelmFileParameter {
  name: string;
  path: string;
}

/** `spec.source.helm` */
export interface HelmSource {
  valueFiles?: string[];
  parameters?: HelmParameter[];
  fileParameters?: HelmFileParameter[];
  releaseName?: string;
  values?: string;
  valuesObject?: unknown;
  ignoreMissingValueFiles?: boolean;
  passCredentials?: boolean;
  skipCrds?: boolean;
  skipSchemaValidation?: boolean;
  skipTests?: boolean;
  version?: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

/** `spec.source.kustomize` */
export interface KustomizeSource {
  namePrefix?: string;
  nameSuffix?: string;
  images?: string[];
  replicas?: { name: string; count: number | string }[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  commonAnnotationsEnvsubst?: boolean;
  forceCommonLabels?: boolean;
  forceCommonAnnotations?: boolean;
  labelWithoutSelector?: boolean;
  labelIncludeTemplates?: boolean;
  namespace?: string;
  patches?: unknown[];
  components?: string[];
  ignoreMissingComponents?: boolean;
  version?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

/** `spec.source.directory` */
export interface DirectorySource {
  recurse?: boolean;
  include?: string;
  exclude?: string;
  jsonnet?: unknown;
}

/** One `spec.source` / `spec.sources[]` entry. */
export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  ref?: string;
  name?: string;
  helm?: HelmSource | null;
  kustomize?: KustomizeSource | null;
  directory?: DirectorySource | null;
  plugin?: unknown;
}

/** An `argoproj.io/v1alpha1` Application. */
export interface Application {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    project?: string;
    source?: ApplicationSource;
    sources?: ApplicationSource[];
    destination?: { server?: string; name?: string; namespace?: string };
    [key: string]: unknown;
  };
}

/** How the controller marks resources as belonging to an app (argocd-cm `application.resourceTrackingMethod`). */
export type TrackingMethod = 'annotation' | 'label' | 'annotation+label';

/** Output mode: the repo-server's GetManifests concatenation or the controller's target state. */
export type RenderMode = 'manifests' | 'target';
