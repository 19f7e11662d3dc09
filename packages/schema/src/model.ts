/**
 * A read-only model of the things the rules reason about, extracted from a loaded deploy repo: Kubernetes objects per
 * cluster, the site worker's effective configuration (values + the worker chart's defaults), the global cluster's
 * TLS passthrough routes, CNPG clusters and certificates.
 */
import type { Cluster, DeployRepo } from './repo.js';
import type { JsonPath, YamlSource } from './source.js';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A place in the repo: a document of a YAML source and a JSON path inside it. */
export interface Loc {
  source: YamlSource;
  doc: number;
  path: JsonPath;
}

export interface K8sObject extends Loc {
  obj: Obj;
  kind: string;
  apiVersion: string;
  name: string;
  cluster: Cluster;
}

/** What the nautobot-worker chart does on its own; site values only need to say what differs. */
export interface WorkerChartDefaults {
  /** `mtls.enabled` default: the chart mounts the client certificate and sets the DB TLS env vars. */
  mtlsEnabled: boolean;
  /** Secret holding tls.crt, tls.key, ca.crt (`mtls.secretName`). */
  secretName: string;
  /** Where the secret is mounted (`mtls.mountPath`). */
  mountPath: string;
  /** File mode of the mounted keys (`mtls.defaultMode`), decimal 256 = octal 0400. */
  defaultMode: number;
  /**
   * Env vars the chart sets itself when mTLS is enabled, each from a key under `mtls` (with the chart's default), e.g.
   * NAUTOBOT_DB_SSLMODE from `mtls.dbSslMode` (default verify-ca).
   */
  mtlsEnv: Readonly<Record<string, { key: string; default: string }>>;
  /** `mtls.trustBundle.mode` default: `combined` (system CAs + ca.crt), `private-ca` (ca.crt alone) or `system`. */
  trustBundleMode: string;
}

export const WORKER_CHART_DEFAULTS: WorkerChartDefaults = Object.freeze({
  mtlsEnabled: true,
  secretName: 'nautobot-mtls-client',
  mountPath: '/etc/nautobot/mtls',
  defaultMode: 256,
  mtlsEnv: Object.freeze({
    NAUTOBOT_DB_SSLMODE: { key: 'dbSslMode', default: 'verify-ca' },
    NAUTOBOT_DB_SSLNEGOTIATION: { key: 'dbSslNegotiation', default: 'direct' },
  }),
  trustBundleMode: 'combined',
});

/** Component directory of the site worker overlay and values. */
export const WORKER_DIR = 'nautobot-worker';

export function k8sObjects(cluster: Cluster): K8sObject[] {
  const out: K8sObject[] = [];
  for (const source of cluster.sources) {
    if (source === cluster.deploy) continue;
    for (const d of source.docs) {
      const v = d.value;
      if (!isObj(v) || typeof v.kind !== 'string' || typeof v.apiVersion !== 'string') continue;
      const name = str((v.metadata as Obj | undefined)?.name) ?? '';
      out.push({ source, doc: d.index, path: [], obj: v, kind: v.kind, apiVersion: v.apiVersion, name, cluster });
    }
  }
  return out;
}

export function get(obj: unknown, path: JsonPath): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isObj(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

/** Depth-first walk over plain values with their paths (bounded depth; YAML aliases are already expanded). */
export function* walk(value: unknown, path: JsonPath = [], depth = 0): Generator<[unknown, JsonPath]> {
  if (depth > 40) return;
  yield [value, path];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* walk(value[i], [...path, i], depth + 1);
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) yield* walk(v, [...path, k], depth + 1);
  }
}

export interface EnvEntry {
  name: string;
  /** Literal value (strings, numbers and booleans as text). */
  value?: string;
  /** `valueFrom` (secretKeyRef, configMapKeyRef, ...), when used. */
  valueFrom?: unknown;
  /** Path of the entry (list item or map key). */
  path: JsonPath;
  /** Path of the literal value. */
  valuePath: JsonPath;
}

const ENV_KEY = /^(extra)?env(vars?)?$/i;

/** Env vars set in a values tree: lists of `{name, value|valueFrom}` and maps `NAME: value` under `*env*` keys. */
export function envEntries(values: unknown): EnvEntry[] {
  const out: EnvEntry[] = [];
  for (const [node, path] of walk(values)) {
    const key = path[path.length - 1];
    if (typeof key !== 'string' || !ENV_KEY.test(key)) continue;
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        if (!isObj(item) || typeof item.name !== 'string') return;
        const e: EnvEntry = { name: item.name, path: [...path, i], valuePath: [...path, i, 'value'] };
        if (item.value !== undefined && item.value !== null) e.value = String(item.value);
        if (item.valueFrom !== undefined) e.valueFrom = item.valueFrom;
        out.push(e);
      });
    } else if (isObj(node)) {
      for (const [name, v] of Object.entries(node)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        const e: EnvEntry = { name, path: [...path, name], valuePath: [...path, name] };
        if (isObj(v)) {
          if (v.value !== undefined && v.value !== null) {
            e.value = String(v.value);
            e.valuePath = [...path, name, 'value'];
          }
          if (v.valueFrom !== undefined) e.valueFrom = v.valueFrom;
        } else if (v !== null && v !== undefined) e.value = String(v);
        out.push(e);
      }
    }
  }
  return out;
}

export interface SecretVolume {
  secretName: string;
  defaultMode: unknown;
  /** Path of the `secret` object of the volume. */
  path: JsonPath;
  volumeName?: string;
}

export interface HostRef {
  host: string;
  path: JsonPath;
  port?: number;
}

/** An env var as the worker pod will see it, and where it comes from. */
export interface EffectiveEnv {
  value?: string;
  /** The explicit env entry (`celery.extraEnvVars`), which wins over the chart. */
  entry?: EnvEntry;
  /** `values`: a chart key such as `mtls.dbSslMode` sets it; `chart`: the chart's default. */
  from: 'env' | 'values' | 'chart';
  /** Path of the value in the values file (env entry value or chart key), when the values file sets it. */
  path?: JsonPath;
}

export interface WorkerConfig {
  cluster: Cluster;
  values: Obj;
  source: YamlSource;
  mtlsEnabled: boolean;
  /** Where `mtls.enabled` is set, if it is. */
  mtlsEnabledPath?: JsonPath;
  secretName: string;
  mountPath: string;
  env: EnvEntry[];
  /** Env value as the pod will see it: explicit entry, else the chart's default (when mTLS is on). */
  effectiveEnv(name: string): EffectiveEnv | undefined;
  /** `mtls.trustBundle.mode` in effect, and where the values set it (if they do). */
  trustBundle: { mode: string; path?: JsonPath };
  secretVolumes: SecretVolume[];
  dbHost?: HostRef;
  redisHost?: HostRef;
}

function hostUnder(values: unknown, keyRe: RegExp, env: EnvEntry[], envName: string): HostRef | undefined {
  for (const [node, path] of walk(values)) {
    const key = path[path.length - 1];
    if (typeof key === 'string' && keyRe.test(key) && isObj(node) && typeof node.host === 'string' && node.host) {
      const ref: HostRef = { host: node.host, path: [...path, 'host'] };
      if (typeof node.port === 'number') ref.port = node.port;
      return ref;
    }
  }
  const e = env.find((x) => x.name === envName && x.value);
  return e ? { host: e.value!, path: e.valuePath } : undefined;
}

export function workerConfig(
  repo: DeployRepo,
  cluster: Cluster,
  defaults: WorkerChartDefaults = WORKER_CHART_DEFAULTS,
): WorkerConfig | undefined {
  const source =
    repo.sources.get(`${cluster.dir}/${WORKER_DIR}/values.yaml`) ??
    repo.sources.get(`${cluster.dir}/${WORKER_DIR}/values.yml`);
  if (!source) return undefined;
  const v = source.docs[0]?.value;
  const values = isObj(v) ? v : {};
  const mtls = isObj(values.mtls) ? values.mtls : {};
  const env = envEntries(values);
  const mtlsEnabled = typeof mtls.enabled === 'boolean' ? mtls.enabled : defaults.mtlsEnabled;
  const secretVolumes: SecretVolume[] = [];
  for (const [node, path] of walk(values)) {
    if (isObj(node) && isObj(node.secret) && typeof node.secret.secretName === 'string') {
      const sv: SecretVolume = {
        secretName: node.secret.secretName,
        defaultMode: node.secret.defaultMode,
        path: [...path, 'secret'],
      };
      if (typeof node.name === 'string') sv.volumeName = node.name;
      secretVolumes.push(sv);
    }
  }
  const trustMode = str(get(mtls, ['trustBundle', 'mode']));
  const cfg: WorkerConfig = {
    cluster,
    values,
    source,
    mtlsEnabled,
    secretName: str(mtls.secretName) ?? defaults.secretName,
    mountPath: (str(mtls.mountPath) ?? defaults.mountPath).replace(/\/+$/, ''),
    env,
    secretVolumes,
    effectiveEnv(name) {
      const entry = [...env].reverse().find((e) => e.name === name);
      if (entry)
        return {
          ...(entry.value !== undefined ? { value: entry.value } : {}),
          entry,
          from: 'env',
          path: entry.valuePath,
        };
      const spec = mtlsEnabled ? defaults.mtlsEnv[name] : undefined;
      if (!spec) return undefined;
      const v = mtls[spec.key];
      if (v !== undefined && v !== null) return { value: String(v), from: 'values', path: ['mtls', spec.key] };
      return { value: spec.default, from: 'chart' };
    },
    trustBundle: {
      mode: trustMode ?? defaults.trustBundleMode,
      ...(trustMode ? { path: ['mtls', 'trustBundle', 'mode'] } : {}),
    },
  };
  if (typeof mtls.enabled === 'boolean') cfg.mtlsEnabledPath = ['mtls', 'enabled'];
  const db = hostUnder(values, /^(db|database|postgres(ql)?)$/i, env, 'NAUTOBOT_DB_HOST');
  if (db) cfg.dbHost = db;
  const redis = hostUnder(values, /^redis$/i, env, 'NAUTOBOT_REDIS_HOST');
  if (redis) cfg.redisHost = redis;
  return cfg;
}

export interface TlsRoute extends Loc {
  fqdn: string;
  /** The gateway listener port: `gatewayPort`, else the envoy-configs chart's default 443. */
  port: number;
  cluster: Cluster;
}

/** envoy-configs' `routes.tls[].gatewayPort` default (envoy-configs-values.schema.json, charts/envoy-configs). */
export const DEFAULT_GATEWAY_PORT = 443;

/**
 * TLS passthrough routes of global clusters' envoy-configs values (`routes.tls`, list or map form). Only clusters whose
 * deploy.yaml enables `global.envoy_configs`: otherwise Argo CD renders no Gateway and the values file routes nothing.
 */
export function tlsRoutes(repo: DeployRepo): TlsRoute[] {
  const out: TlsRoute[] = [];
  const enabled = (c: Cluster) => get(c.values, ['global', 'envoy_configs', 'enabled']) === true;
  for (const cluster of repo.clusters.filter((c) => c.isGlobal && enabled(c))) {
    for (const name of ['values.yaml', 'values.yml']) {
      const source = repo.sources.get(`${cluster.dir}/envoy-configs/${name}`);
      const values = source?.docs[0]?.value;
      if (!source || !isObj(values)) continue;
      const tls = get(values, ['routes', 'tls']);
      const items: Array<[unknown, JsonPath]> = Array.isArray(tls)
        ? tls.map((t, i) => [t, ['routes', 'tls', i]])
        : isObj(tls)
          ? Object.entries(tls).map(([k, t]) => [t, ['routes', 'tls', k]])
          : [];
      for (const [t, path] of items) {
        if (!isObj(t)) continue;
        const fqdn = str(t.fqdn) ?? str(t.hostname) ?? str(t.host);
        if (!fqdn) continue;
        const port = typeof t.gatewayPort === 'number' ? t.gatewayPort : DEFAULT_GATEWAY_PORT;
        out.push({ source, doc: 0, path: [...path, 'fqdn'], fqdn: fqdn.toLowerCase(), port, cluster });
      }
    }
  }
  return out;
}

/** Does a DNS name pattern (possibly `*.example.com`) cover `host`? */
export function dnsMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p === h) return true;
  if (p.startsWith('*.')) {
    const rest = p.slice(2);
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === rest;
  }
  return false;
}

/** Go duration (`26280h`, `90m`, `1h30m`) in hours; undefined when unparseable. */
export function durationHours(d: unknown): number | undefined {
  if (typeof d !== 'string' || !d) return undefined;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of d.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2]!;
    const factor: Record<string, number> = {
      h: 1,
      m: 1 / 60,
      s: 1 / 3600,
      ms: 1 / 3.6e6,
      us: 1 / 3.6e9,
      µs: 1 / 3.6e9,
      ns: 1 / 3.6e12,
    };
    total += n * factor[unit]!;
    consumed += m[0].length;
  }
  return consumed === d.length ? total : undefined;
}

/** All objects of the repo whose kind matches, across clusters. */
export function objectsOfKind(repo: DeployRepo, kinds: string[], clusters = repo.clusters): K8sObject[] {
  return clusters.flatMap((c) => k8sObjects(c)).filter((o) => kinds.includes(o.kind));
}
