import { describe, expect, it } from 'vitest';
import { type K8sObject, translate } from '../src/envoy-config.js';

// The bootstrap is plain JSON-shaped data; tests walk it loosely.
// biome-ignore lint/suspicious/noExplicitAny: walking untyped Envoy bootstrap JSON
type Json = any;

const gateway = (listeners: object[]): K8sObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'envoy-gateway' },
  // Routes live in `nautobot`: the listeners admit them (Gateway API's default is `Same`, see the allowedRoutes tests).
  spec: {
    gatewayClassName: 'eg',
    listeners: listeners.map((l) => ({ allowedRoutes: { namespaces: { from: 'All' } }, ...l })),
  },
});
const route = (
  name: string,
  host: string,
  svc: string,
  port: number,
  parent: object = { name: 'gw', namespace: 'envoy-gateway' },
): K8sObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1alpha2',
  kind: 'TLSRoute',
  metadata: { name, namespace: 'nautobot' },
  spec: { parentRefs: [parent], hostnames: [host], rules: [{ backendRefs: [{ name: svc, port }] }] },
});
const backends = {
  'nautobot/db:5432': { host: '127.0.0.1', port: 15432 },
  'nautobot/redis:6379': { host: '127.0.0.1', port: 16379 },
};
const opts = { backends, bindAddress: '0.0.0.0', adminPort: 9901 };

describe(translate, () => {
  it('should make one listener per passthrough port with one SNI filter chain per route and no TLS termination', () => {
    const t = translate(
      [
        gateway([
          { name: 'pg', port: 5432, protocol: 'TLS', tls: { mode: 'Passthrough' } },
          { name: 'redis', port: 6379, protocol: 'TLS', tls: { mode: 'Passthrough' } },
        ]),
        route('db', 'db.example', 'db', 5432, { name: 'gw', namespace: 'envoy-gateway', sectionName: 'pg' }),
        route('redis', 'redis.example', 'redis', 6379, {
          name: 'gw',
          namespace: 'envoy-gateway',
          sectionName: 'redis',
        }),
      ],
      opts,
    );
    const listeners = (t.bootstrap.static_resources as { listeners: Record<string, Json>[] }).listeners;
    expect(listeners.map((l) => l.address.socket_address.port_value)).toEqual([5432, 6379]);
    for (const l of listeners) {
      expect(l.listener_filters[0].name).toBe('envoy.filters.listener.tls_inspector');
      expect(l.filter_chains).toHaveLength(1);
      expect(l.filter_chains[0].transport_socket).toBeUndefined();
      expect(l.default_filter_chain).toBeUndefined();
    }
    expect(listeners[0]!.filter_chains[0].filter_chain_match.server_names).toEqual(['db.example']);
    expect(t.chains.map((c) => [c.port, c.serverNames[0], c.backend])).toEqual([
      [5432, 'db.example', 'nautobot/db:5432'],
      [6379, 'redis.example', 'nautobot/redis:6379'],
    ]);
  });

  it('should ignore Terminate listeners and routes attached to another section', () => {
    expect(() =>
      translate(
        [
          gateway([{ name: 'https', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate' } }]),
          route('db', 'db.example', 'db', 5432),
        ],
        opts,
      ),
    ).toThrow(/no TLS Passthrough listener has an attached TLSRoute/);
  });

  it('should name the backend when a route points at a service the tier does not run', () => {
    expect(() =>
      translate(
        [
          gateway([{ name: 'pg', port: 5432, protocol: 'TLS', tls: { mode: 'Passthrough' } }]),
          route('x', 'x.example', 'nope', 1),
        ],
        opts,
      ),
    ).toThrow(/backend nautobot\/nope:1 has no endpoint/);
  });

  it('should honour listener hostnames (wildcards included) when picking server names', () => {
    const t = translate(
      [
        gateway([{ name: 'pg', port: 5432, protocol: 'TLS', hostname: '*.example', tls: { mode: 'Passthrough' } }]),
        route('db', 'db.example', 'db', 5432),
      ],
      opts,
    );
    expect(t.chains[0]!.serverNames).toEqual(['db.example']);
  });

  it('should turn a ClientTrafficPolicy tcpKeepalive into listener keepalive socket options', () => {
    const policy: K8sObject = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'ClientTrafficPolicy',
      metadata: { name: 'ka', namespace: 'envoy-gateway' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }],
        tcpKeepalive: { probes: 3, idleTime: '5m', interval: '30s' },
      },
    };
    const t = translate(
      [
        gateway([{ name: 'pg', port: 5432, protocol: 'TLS', tls: { mode: 'Passthrough' } }]),
        route('db', 'db.example', 'db', 5432),
        policy,
      ],
      opts,
    );
    const l = (t.bootstrap.static_resources as { listeners: Record<string, Json>[] }).listeners[0]!;
    expect(l.socket_options.map((o: { int_value: number }) => o.int_value)).toEqual([1, 300, 30, 3]);
  });

  it('should turn a ClientTrafficPolicy timeout.tcp.idleTimeout into the tcp_proxy idle timeout of every chain', () => {
    const policy = (idleTimeout: string): K8sObject => ({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'ClientTrafficPolicy',
      metadata: { name: 'idle', namespace: 'envoy-gateway' },
      spec: { targetRefs: [{ kind: 'Gateway', name: 'gw' }], timeout: { tcp: { idleTimeout } } },
    });
    const objs = (p: K8sObject) => [
      gateway([{ name: 'pg', port: 5432, protocol: 'TLS', tls: { mode: 'Passthrough' } }]),
      route('db', 'db.example', 'db', 5432),
      p,
    ];
    const t = translate(objs(policy('1h30m')), opts);
    const l = (t.bootstrap.static_resources as { listeners: Record<string, Json>[] }).listeners[0]!;
    expect(l.filter_chains[0].filters[0].typed_config.idle_timeout).toBe('5400s');
    expect(l.socket_options).toBeUndefined();
    expect(() => translate(objs(policy('an hour')), opts)).toThrow(
      /ClientTrafficPolicy envoy-gateway\/idle: spec.timeout.tcp.idleTimeout "an hour" is not a duration/,
    );
  });

  describe('allowedRoutes and ReferenceGrant (Envoy Gateway attaches routes only where Gateway API allows)', () => {
    const gw = (allowedRoutes?: object): K8sObject => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'envoy-gateway' },
      spec: {
        gatewayClassName: 'eg',
        listeners: [{ name: 'pg', port: 5432, protocol: 'TLS', tls: { mode: 'Passthrough' }, allowedRoutes }],
      },
    });
    const db = route('db', 'db.example', 'db', 5432);

    it.each([
      ['the default (Same) when the route lives in another namespace', undefined, false],
      ['from: All', { namespaces: { from: 'All' } }, true],
      [
        'a Selector on kubernetes.io/metadata.name that names the route namespace',
        { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'nautobot' } } } },
        true,
      ],
      [
        'a Selector that names another namespace',
        { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } } },
        false,
      ],
      [
        'a matchExpressions In selector with the route namespace',
        {
          namespaces: {
            from: 'Selector',
            selector: {
              matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['nautobot'] }],
            },
          },
        },
        true,
      ],
      ['kinds without TLSRoute', { namespaces: { from: 'All' }, kinds: [{ kind: 'TCPRoute' }] }, false],
    ])('should attach the route (%s) = %s', (_what, allowedRoutes, attached) => {
      const objects = [gw(allowedRoutes), db];
      if (attached) expect(translate(objects, opts).chains.map((c) => c.serverNames[0])).toEqual(['db.example']);
      else expect(() => translate(objects, opts)).toThrow(/no TLS Passthrough listener has an attached TLSRoute/);
    });

    const crossNs = (): K8sObject => ({
      ...db,
      spec: { ...db.spec, rules: [{ backendRefs: [{ name: 'db', namespace: 'data', port: 5432 }] }] },
    });
    const crossOpts = { ...opts, backends: { 'data/db:5432': { host: '127.0.0.1', port: 15432 } } };

    it('should refuse a backend in another namespace without a ReferenceGrant', () => {
      expect(() => translate([gw({ namespaces: { from: 'All' } }), crossNs()], crossOpts)).toThrow(
        /backend data\/db:5432 is in another namespace and no ReferenceGrant there admits TLSRoutes from nautobot/,
      );
    });

    it('should route to a backend in another namespace when a ReferenceGrant there admits the route', () => {
      const grant: K8sObject = {
        apiVersion: 'gateway.networking.k8s.io/v1beta1',
        kind: 'ReferenceGrant',
        metadata: { name: 'g', namespace: 'data' },
        spec: {
          from: [{ group: 'gateway.networking.k8s.io', kind: 'TLSRoute', namespace: 'nautobot' }],
          to: [{ group: '', kind: 'Service' }],
        },
      };
      const t = translate([gw({ namespaces: { from: 'All' } }), crossNs(), grant], crossOpts);
      expect(t.chains[0]!.backend).toBe('data/db:5432');
    });
  });
});
