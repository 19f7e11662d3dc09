/**
 * Every cert-manager Certificate the repo declares, whichever way it declares it: as a manifest in a cluster's YAML,
 * or as the values of the nautobot-mtls chart (`<global cluster>/nautobot-mtls/values.yaml`, rendered by Argo CD on
 * top of the chart's defaults). The certificate rules reason about one shape; each certificate knows where its fields
 * are written, so a finding lands on the manifest line or on the values key (`sites.site-iad3.duration`).
 */

import { get, isObj, type K8sObject, type Loc, type Obj, str } from './model.js';
import type { Cluster, DeployRepo } from './repo.js';
import { formatPath, type JsonPath } from './source.js';

/** What a Certificate is for, as far as the rules care. */
export type CertificateRole = 'client' | 'postgres-server' | 'redis-server' | 'replication' | 'other';

export interface CertificateObject extends K8sObject {
  /** `manifest`: a Certificate document in the cluster's files; `nautobot-mtls`: rendered by that chart from values. */
  origin: 'manifest' | 'nautobot-mtls';
  /** Known for chart certificates; `other` for manifests (the rules classify those themselves). */
  role: CertificateRole;
  /**
   * Where a spec field is written. A manifest returns the path unchanged; a chart certificate returns the values key
   * that sets it (`sites.<site>.duration`, else `client.duration`), or the nearest entry when a chart default applies.
   */
  at(specPath: JsonPath): Loc & { key?: boolean };
  /** How a fix hint names that field: `spec.duration`, or the values key `sites.site-iad3.duration`. */
  field(specPath: JsonPath): string;
  /** The file a fix goes into: the manifest, or `<cluster>/nautobot-mtls/values.yaml` (even when it does not exist yet). */
  definedIn: string;
}

type Frozen<T> = { readonly [K in keyof T]: T[K] extends object ? Frozen<T[K]> : T[K] };
function deepFreeze<T>(o: T): Frozen<T> {
  if (o && typeof o === 'object') for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o) as Frozen<T>;
}

/**
 * The defaults of charts/nautobot-mtls/values.yaml that decide which certificates the chart renders and how (a subset;
 * `src/certificates.chart.test.ts` checks every key here against the chart's values.yaml).
 */
export const MTLS_CHART_DEFAULTS = deepFreeze({
  ca: { issuerName: 'mtls-ca-issuer' },
  postgres: {
    enabled: true,
    clusterName: 'nautobot-cluster',
    serverSecretName: 'nautobot-postgres-server-tls',
    gatewayHosts: [] as string[],
    extraDnsNames: [] as string[],
    duration: '8760h',
    renewBefore: '720h',
  },
  redis: {
    enabled: true,
    serverSecretName: 'nautobot-redis-server-tls',
    serviceNames: ['nautobot-redis-master', 'nautobot-redis-headless'],
    gatewayHosts: [] as string[],
    extraDnsNames: [] as string[],
    duration: '8760h',
    renewBefore: '720h',
  },
  client: {
    commonName: 'app',
    duration: '26280h',
    renewBefore: '2160h',
    privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS1', rotationPolicy: 'Always' },
  },
  globalClient: { enabled: true, secretName: 'nautobot-mtls-client' },
  sites: {},
});

/** The namespace Argo CD installs the nautobot-mtls chart into (argocd-understack application-nautobot-mtls.yaml). */
export const MTLS_CHART_NAMESPACE = 'nautobot';

/** Helm's values merge: maps merge recursively, lists and scalars replace, `null` deletes the inherited key. */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = mergeValues(base[k], v);
  }
  return out;
}

/** Deepest prefix of `path` that exists in `value` (where a finding about a missing key should point). */
function existingPrefix(value: unknown, path: JsonPath): JsonPath {
  let cur = value;
  let i = 0;
  for (; i < path.length; i++) {
    const next = get(cur, [path[i]!]);
    if (next === undefined) break;
    cur = next;
  }
  return path.slice(0, i);
}

const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

const serviceDnsNames = (name: string, ns: string) => [
  name,
  `${name}.${ns}`,
  `${name}.${ns}.svc`,
  `${name}.${ns}.svc.cluster.local`,
];

/**
 * The Certificates the nautobot-mtls chart renders for one global cluster, from `<cluster>/nautobot-mtls/values.yaml`
 * merged over the chart defaults (Argo CD passes the file with `ignoreMissingValueFiles`, so a missing file means the
 * defaults). Empty unless `global.nautobot_mtls.enabled` is true in the cluster's deploy.yaml.
 */
export function mtlsChartCertificates(repo: DeployRepo, cluster: Cluster): CertificateObject[] {
  if (!cluster.isGlobal || get(cluster.values, ['global', 'nautobot_mtls', 'enabled']) !== true) return [];
  const source =
    repo.sources.get(`${cluster.dir}/nautobot-mtls/values.yaml`) ??
    repo.sources.get(`${cluster.dir}/nautobot-mtls/values.yml`);
  const fileValue = source?.docs[0]?.value;
  if (source && (source.problems.length || (fileValue !== undefined && fileValue !== null && !isObj(fileValue)))) {
    return []; // yaml/* and schema/* report it; the chart would not render either
  }
  const file: Obj = isObj(fileValue) ? fileValue : {};
  const v = mergeValues(MTLS_CHART_DEFAULTS, file) as Obj;
  // Without a values file, findings point at the component switch in deploy.yaml.
  const home: Loc = source
    ? { source, doc: 0, path: [] }
    : { source: cluster.deploy, doc: 0, path: ['global', 'nautobot_mtls'] };
  const valuesName = source ? source.file : `${cluster.dir}/nautobot-mtls/values.yaml`;
  const inFile = (path: JsonPath) => get(file, path) !== undefined && get(file, path) !== null;
  const place = (candidates: JsonPath[], fallback: JsonPath): Loc & { key?: boolean } => {
    if (!source) return { ...home, key: true };
    const hit = candidates.find(inFile);
    if (hit) return { source, doc: 0, path: hit };
    const near = existingPrefix(file, fallback);
    return { source, doc: 0, path: near, key: near.length > 0 };
  };
  const ns = MTLS_CHART_NAMESPACE;
  const issuerName = str(get(v, ['ca', 'issuerName'])) ?? MTLS_CHART_DEFAULTS.ca.issuerName;
  const out: CertificateObject[] = [];

  const make = (
    name: string,
    role: CertificateRole,
    spec: Obj,
    fieldPaths: (specPath: JsonPath) => { candidates: JsonPath[]; fallback: JsonPath; hint: JsonPath },
  ): CertificateObject => {
    const obj: Obj = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name, namespace: ns },
      spec: { secretName: name, ...spec, issuerRef: { group: 'cert-manager.io', kind: 'Issuer', name: issuerName } },
    };
    return {
      ...home,
      obj,
      kind: 'Certificate',
      apiVersion: 'cert-manager.io/v1',
      name,
      cluster,
      origin: 'nautobot-mtls',
      role,
      at(specPath) {
        const f = fieldPaths(specPath);
        return place(f.candidates, f.fallback);
      },
      field(specPath) {
        const f = fieldPaths(specPath);
        return formatPath(f.candidates.find(inFile) ?? f.hint);
      },
      definedIn: valuesName,
    };
  };

  // Client certificates: the global pods' and one per site; `client` defaults, per-site overrides of three keys.
  const client = isObj(v.client) ? v.client : {};
  const pk = isObj(client.privateKey) ? client.privateKey : {};
  const clientSpec = (cn: unknown, duration: unknown, renewBefore: unknown): Obj => ({
    commonName: cn,
    duration,
    renewBefore,
    isCA: false,
    usages: ['client auth'],
    privateKey: { ...pk },
  });
  const clientField =
    (site: string | undefined) =>
    (specPath: JsonPath): { candidates: JsonPath[]; fallback: JsonPath; hint: JsonPath } => {
      const [, key, ...rest] = specPath;
      const entry: JsonPath = site ? ['sites', site] : ['globalClient'];
      if (key === 'commonName' || key === 'duration' || key === 'renewBefore') {
        return {
          candidates: [...(site ? [[...entry, key]] : []), ['client', key]],
          fallback: entry,
          hint: site ? [...entry, key] : ['client', key],
        };
      }
      if (key === 'privateKey') {
        const p: JsonPath = ['client', 'privateKey', ...rest];
        return { candidates: [p], fallback: p, hint: p };
      }
      return { candidates: [], fallback: entry, hint: entry };
    };
  const globalClient = isObj(v.globalClient) ? v.globalClient : {};
  if (globalClient.enabled === true) {
    const name = str(globalClient.secretName) ?? MTLS_CHART_DEFAULTS.globalClient.secretName;
    out.push(
      make(name, 'client', clientSpec(client.commonName, client.duration, client.renewBefore), clientField(undefined)),
    );
  }
  const sites = isObj(v.sites) ? v.sites : {};
  for (const site of Object.keys(sites).sort()) {
    const e = sites[site];
    if (!isObj(e)) continue; // null removes the site; other types are schema/invalid
    // The chart uses `$e.x | default $c.x`: an empty value falls back to the client default.
    const pick = (k: string) => (e[k] !== undefined && e[k] !== null && e[k] !== '' ? e[k] : client[k]);
    out.push(
      make(
        `nautobot-mtls-client-${site}`,
        'client',
        clientSpec(pick('commonName'), pick('duration'), pick('renewBefore')),
        clientField(site),
      ),
    );
  }

  // Server certificates: SANs are the in-cluster Service names plus gatewayHosts and extraDnsNames.
  const serverField =
    (section: string) =>
    (specPath: JsonPath): { candidates: JsonPath[]; fallback: JsonPath; hint: JsonPath } => {
      const key = specPath[1];
      if (key === 'dnsNames' || key === 'commonName') {
        return {
          candidates: [
            [section, 'gatewayHosts'],
            [section, 'extraDnsNames'],
          ],
          fallback: [section],
          hint: [section, 'gatewayHosts'],
        };
      }
      if (key === 'duration' || key === 'renewBefore') {
        return { candidates: [[section, key]], fallback: [section], hint: [section, key] };
      }
      return { candidates: [], fallback: [section], hint: [section] };
    };
  const serverUsages = ['server auth', 'digital signature', 'key encipherment'];
  const serverKey = { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' };
  const pg = isObj(v.postgres) ? v.postgres : {};
  if (pg.enabled === true) {
    const c = str(pg.clusterName) ?? MTLS_CHART_DEFAULTS.postgres.clusterName;
    const name = str(pg.serverSecretName) ?? MTLS_CHART_DEFAULTS.postgres.serverSecretName;
    const dnsNames = [
      ...['rw', 'ro', 'r'].flatMap((s) => serviceDnsNames(`${c}-${s}`, ns)),
      ...new Set([...strList(pg.gatewayHosts), ...strList(pg.extraDnsNames)]),
    ];
    out.push(
      make(
        name,
        'postgres-server',
        {
          commonName: `${c}-rw`,
          dnsNames,
          duration: pg.duration,
          renewBefore: pg.renewBefore,
          usages: serverUsages,
          privateKey: serverKey,
        },
        serverField('postgres'),
      ),
    );
  }
  const redis = isObj(v.redis) ? v.redis : {};
  if (redis.enabled === true) {
    const services = strList(redis.serviceNames);
    const gateway = strList(redis.gatewayHosts);
    const name = str(redis.serverSecretName) ?? MTLS_CHART_DEFAULTS.redis.serverSecretName;
    out.push(
      make(
        name,
        'redis-server',
        {
          commonName: services[0] ?? gateway[0] ?? 'redis',
          dnsNames: [
            ...services.flatMap((s) => serviceDnsNames(s, ns)),
            ...new Set([...gateway, ...strList(redis.extraDnsNames)]),
          ],
          duration: redis.duration,
          renewBefore: redis.renewBefore,
          usages: serverUsages,
          privateKey: serverKey,
        },
        serverField('redis'),
      ),
    );
  }
  return out;
}

/** A Certificate manifest as a {@link CertificateObject}: its fields are where they are. */
export function manifestCertificate(o: K8sObject): CertificateObject {
  return {
    ...o,
    origin: 'manifest',
    role: 'other',
    at: (specPath) => ({ source: o.source, doc: o.doc, path: specPath }),
    field: (specPath) => formatPath(specPath),
    definedIn: o.source.file,
  };
}

/** Every cert-manager Certificate of a cluster: its manifests, then what the nautobot-mtls chart renders there. */
export function certificatesOf(repo: DeployRepo, cluster: Cluster, objects: K8sObject[]): CertificateObject[] {
  return [
    ...objects
      .filter((o) => o.kind === 'Certificate' && o.apiVersion.startsWith('cert-manager.io/'))
      .map(manifestCertificate),
    ...mtlsChartCertificates(repo, cluster),
  ];
}
