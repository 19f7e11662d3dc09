/**
 * Translates rendered Gateway API objects (a Gateway with TLS Passthrough listeners, TLSRoutes, an optional Envoy
 * Gateway ClientTrafficPolicy) into a static Envoy bootstrap, the way Envoy Gateway programs its proxy:
 * one listener per Gateway listener port, a `tls_inspector` listener filter, one filter chain per TLSRoute matching
 * its hostnames on SNI (`server_names`), a `tcp_proxy` to the route's backend, no `transport_socket` (TLS is passed
 * through, never terminated) and no default filter chain (an unknown or missing SNI is closed).
 */

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface TranslateOptions {
  /** `<namespace>/<service>:<port>` of a backendRef -> where that service really listens. */
  backends: Record<string, Endpoint>;
  /** Address the listeners bind. */
  bindAddress: string;
  /** Gateway listener port -> the port actually bound (identity when omitted). */
  portMap?: (port: number) => number;
  adminPort: number;
  /** Namespace of objects without one (the Argo CD Application's destination). */
  defaultNamespace?: string;
}

export interface Translation {
  bootstrap: Record<string, unknown>;
  /** One entry per filter chain: which SNI goes where, and the stat prefix that counts it. */
  chains: { listener: string; port: number; serverNames: string[]; backend: string; statPrefix: string }[];
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

interface Listener {
  name: string;
  port: number;
  protocol: string;
  hostname?: string;
  tls?: { mode?: string };
  allowedRoutes?: {
    namespaces?: { from?: 'All' | 'Same' | 'Selector'; selector?: LabelSelector };
    kinds?: { group?: string; kind: string }[];
  };
}

function selects(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/**
 * Gateway API `allowedRoutes`: the kinds a listener takes (TLSRoute must be among them when listed) and the
 * namespaces it admits routes from — `Same` (the default), `All`, or `Selector` over the namespace's labels (every
 * namespace carries `kubernetes.io/metadata.name`; a rendered Namespace object adds its own labels).
 */
function admits(l: Listener, gwNs: string, routeNs: string, nsLabels: Record<string, Record<string, string>>): boolean {
  const kinds = l.allowedRoutes?.kinds;
  if (kinds && kinds.length > 0 && !kinds.some((k) => k.kind === 'TLSRoute')) return false;
  const from = l.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === gwNs;
  const labels = { ...(nsLabels[routeNs] ?? {}), 'kubernetes.io/metadata.name': routeNs };
  return selects(l.allowedRoutes?.namespaces?.selector ?? {}, labels);
}

/** A backendRef into another namespace needs a ReferenceGrant there admitting TLSRoutes of the route's namespace. */
function granted(objects: K8sObject[], routeNs: string, backendNs: string, service: string, d: string): boolean {
  if (routeNs === backendNs) return true;
  return objects.some((o) => {
    if (o.kind !== 'ReferenceGrant' || ns(o, d) !== backendNs) return false;
    const spec = o.spec as {
      from?: { group?: string; kind?: string; namespace?: string }[];
      to?: { group?: string; kind?: string; name?: string }[];
    };
    const fromOk = (spec.from ?? []).some(
      (f) => f.group === 'gateway.networking.k8s.io' && f.kind === 'TLSRoute' && f.namespace === routeNs,
    );
    const toOk = (spec.to ?? []).some(
      (t) => (t.group ?? '') === '' && t.kind === 'Service' && (t.name === undefined || t.name === service),
    );
    return fromOk && toOk;
  });
}

interface ParentRef {
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}

interface BackendRef {
  name: string;
  namespace?: string;
  port?: number;
}

const ns = (o: K8sObject, d: string) => o.metadata?.namespace ?? d;

/** Gateway API hostname matching: a listener hostname `*.example.com` admits `a.example.com`. */
function hostMatches(listener: string | undefined, host: string): boolean {
  if (!listener) return true;
  if (listener.startsWith('*.'))
    return host.endsWith(listener.slice(1)) && host.split('.').length > listener.split('.').length - 1;
  return listener === host;
}

export function translate(objects: K8sObject[], opts: TranslateOptions): Translation {
  const d = opts.defaultNamespace ?? 'default';
  const gateways = objects.filter(
    (o) => o.kind === 'Gateway' && o.apiVersion?.startsWith('gateway.networking.k8s.io/'),
  );
  const routes = objects.filter((o) => o.kind === 'TLSRoute' && o.apiVersion?.startsWith('gateway.networking.k8s.io/'));
  const policies = objects.filter((o) => o.kind === 'ClientTrafficPolicy');
  const nsLabels: Record<string, Record<string, string>> = {};
  for (const o of objects)
    if (o.kind === 'Namespace' && o.metadata?.name)
      nsLabels[o.metadata.name] = (o.metadata as { labels?: Record<string, string> }).labels ?? {};
  if (gateways.length === 0)
    throw new Error('no Gateway (gateway.networking.k8s.io) in the rendered envoy-configs output');
  if (routes.length === 0) throw new Error('no TLSRoute in the rendered envoy-configs output');

  const listeners: Record<string, unknown>[] = [];
  const clusters = new Map<string, Record<string, unknown>>();
  const chains: Translation['chains'] = [];

  for (const gw of gateways) {
    const gwNs = ns(gw, d);
    const gwName = gw.metadata?.name ?? '';
    const policy = policyFor(policies, gwNs, gwName, d);
    const keepalive = policy?.keepalive;
    const byPort = new Map<number, Listener[]>();
    for (const l of (gw.spec?.listeners as Listener[] | undefined) ?? []) {
      if (l.protocol !== 'TLS' || (l.tls?.mode ?? 'Terminate') !== 'Passthrough') continue;
      byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
    }
    for (const [port, ls] of byPort) {
      const filterChains: Record<string, unknown>[] = [];
      const listenerName = `${gwNs}/${gwName}/${port}`;
      for (const route of routes) {
        const rNs = ns(route, d);
        const parents = ((route.spec?.parentRefs as ParentRef[] | undefined) ?? []).filter(
          (p) =>
            p.name === gwName &&
            (p.namespace ?? rNs) === gwNs &&
            (p.port === undefined || p.port === port) &&
            (p.sectionName === undefined || ls.some((l) => l.name === p.sectionName)),
        );
        if (parents.length === 0) continue;
        const attached = ls.filter(
          (l) =>
            parents.some((p) => p.sectionName === undefined || p.sectionName === l.name) &&
            admits(l, gwNs, rNs, nsLabels),
        );
        const hostnames = (route.spec?.hostnames as string[] | undefined) ?? [];
        const serverNames = hostnames.filter((h) => attached.some((l) => hostMatches(l.hostname, h)));
        if (serverNames.length === 0) continue;
        const rules = (route.spec?.rules as { backendRefs?: BackendRef[] }[] | undefined) ?? [];
        rules.forEach((rule, i) => {
          const ref = rule.backendRefs?.[0];
          if (!ref) throw new Error(`TLSRoute ${rNs}/${route.metadata?.name}: rule ${i} has no backendRefs`);
          const key = `${ref.namespace ?? rNs}/${ref.name}:${ref.port}`;
          if (!granted(objects, rNs, ref.namespace ?? rNs, ref.name, d))
            throw new Error(
              `TLSRoute ${rNs}/${route.metadata?.name}: backend ${key} is in another namespace and no ReferenceGrant there admits TLSRoutes from ${rNs}: Envoy Gateway would not route it`,
            );
          const ep = opts.backends[key];
          if (!ep)
            throw new Error(
              `TLSRoute ${rNs}/${route.metadata?.name}: backend ${key} has no endpoint in this tier (known: ${Object.keys(opts.backends).join(', ')})`,
            );
          const clusterName = `tlsroute/${rNs}/${route.metadata?.name}/rule/${i}`;
          const statPrefix = clusterName.replaceAll('/', '_');
          clusters.set(clusterName, {
            name: clusterName,
            type: 'STATIC',
            connect_timeout: '10s',
            load_assignment: {
              cluster_name: clusterName,
              endpoints: [
                {
                  lb_endpoints: [
                    { endpoint: { address: { socket_address: { address: ep.host, port_value: ep.port } } } },
                  ],
                },
              ],
            },
          });
          filterChains.push({
            name: clusterName,
            filter_chain_match: { server_names: serverNames },
            filters: [
              {
                name: 'envoy.filters.network.tcp_proxy',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                  stat_prefix: statPrefix,
                  cluster: clusterName,
                  ...(policy?.idleTimeout ? { idle_timeout: policy.idleTimeout } : {}),
                },
              },
            ],
          });
          chains.push({ listener: listenerName, port, serverNames, backend: key, statPrefix });
        });
      }
      if (filterChains.length === 0) continue;
      listeners.push({
        name: listenerName,
        address: {
          socket_address: { address: opts.bindAddress, port_value: opts.portMap ? opts.portMap(port) : port },
        },
        listener_filters: [
          {
            name: 'envoy.filters.listener.tls_inspector',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
            },
          },
        ],
        ...(keepalive ? { socket_options: keepalive } : {}),
        filter_chains: filterChains,
      });
    }
  }
  if (listeners.length === 0)
    throw new Error("no TLS Passthrough listener has an attached TLSRoute: check the routes' parentRefs and hostnames");

  return {
    bootstrap: {
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: opts.adminPort } } },
      static_resources: { listeners, clusters: [...clusters.values()] },
    },
    chains,
  };
}

/** A Gateway API / Envoy Gateway duration (`90s`, `5m`, `1h`, `1h30m`) in seconds; `undefined` when absent or malformed. */
function durationSeconds(v: string | undefined): number | undefined {
  if (!v || !/^(\d+(ms|s|m|h))+$/.test(v)) return undefined;
  let total = 0;
  for (const m of v.matchAll(/(\d+)(ms|s|m|h)/g))
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 's'];
  return total;
}

/**
 * The ClientTrafficPolicy targeting a Gateway, as Envoy Gateway applies it to that Gateway's listeners:
 * `tcpKeepalive` -> listener socket options (SO_KEEPALIVE and TCP_KEEP*), `timeout.tcp.idleTimeout` -> the
 * `tcp_proxy` idle timeout of every chain. Other fields do not apply to TLS passthrough and are ignored.
 */
function policyFor(policies: K8sObject[], gwNs: string, gwName: string, d: string) {
  for (const p of policies) {
    const spec = p.spec as
      | {
          targetRef?: { kind?: string; name?: string };
          targetRefs?: { kind?: string; name?: string }[];
          tcpKeepalive?: { probes?: number; idleTime?: string; interval?: string };
          timeout?: { tcp?: { idleTimeout?: string } };
        }
      | undefined;
    const refs = [...(spec?.targetRefs ?? []), ...(spec?.targetRef ? [spec.targetRef] : [])];
    if (ns(p, d) !== gwNs || !refs.some((r) => r.kind === 'Gateway' && r.name === gwName)) continue;
    const k = spec?.tcpKeepalive;
    const idle = spec?.timeout?.tcp?.idleTimeout;
    const idleSeconds = durationSeconds(idle);
    if (idle !== undefined && idleSeconds === undefined)
      throw new Error(
        `ClientTrafficPolicy ${gwNs}/${p.metadata?.name}: spec.timeout.tcp.idleTimeout ${JSON.stringify(idle)} is not a duration (e.g. 1h, 90s)`,
      );
    // SOL_SOCKET=1/SO_KEEPALIVE=9; IPPROTO_TCP=6: TCP_KEEPIDLE=4, TCP_KEEPINTVL=5, TCP_KEEPCNT=6 (Linux).
    const keepalive = k
      ? [
          { level: 1, name: 9, int_value: 1, state: 'STATE_PREBIND' },
          { level: 6, name: 4, int_value: durationSeconds(k.idleTime) ?? 7200, state: 'STATE_PREBIND' },
          { level: 6, name: 5, int_value: durationSeconds(k.interval) ?? 75, state: 'STATE_PREBIND' },
          { level: 6, name: 6, int_value: k.probes ?? 9, state: 'STATE_PREBIND' },
        ]
      : undefined;
    return { keepalive, idleTimeout: idleSeconds === undefined ? undefined : `${idleSeconds}s` };
  }
  return undefined;
}
