#!/usr/bin/env node
/**
 * Usage: node tests/rendered/gateway-api.mjs [values.yaml ...]   (from charts/envoy-configs)
 *
 * Renders the chart with each ci/*-values.yaml, the example global cluster's values
 * (examples/deploy/global-1/envoy-configs/values.yaml, when present) and any values files given as arguments, with
 * Helm 4 and Helm 3 (Argo CD 3.5 and 3.4), and checks that the objects hold together the way Envoy Gateway
 * resolves them (a route that does not attach is silently dropped by the controller, so these are the failures a
 * cluster would never report):
 *   - both Helm versions render the same objects (they differ only in blank lines between documents);
 *   - every Gateway listener is protocol TLS with tls.mode Passthrough and no certificateRefs (no key at the gateway),
 *     listener names are unique per Gateway, and no two listeners share port+hostname;
 *   - with gateway.create: false (no Gateway rendered) every parentRef's sectionName is `tls-<port>`, the listener
 *     naming the existing Gateway must follow;
 *   - every TLSRoute's parentRef names a rendered Gateway and one of its listeners (sectionName) whose port matches
 *     and whose hostname (when set) is one of the route's hostnames;
 *   - that listener's allowedRoutes admits the route's namespace (Same / All / Selector on kubernetes.io/metadata.name)
 *     and the TLSRoute kind;
 *   - a backendRef in another namespace than its route has a ReferenceGrant in the backend's namespace from that
 *     route namespace to that Service; and every (fqdn, gatewayPort) pair is routed exactly once.
 * Exits 1 listing every problem as `<values file>: <object>: <problem>`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const chart = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = path.resolve(chart, '..', '..');
const helms = ['helm', 'helm3'].map((h) => path.join(root, '.tools', 'bin', h));
const RELEASE_NAMESPACE = 'envoy-gateway-system';

const cases = readdirSync(path.join(chart, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .map((f) => path.join(chart, 'ci', f));
const example = path.join(root, 'examples', 'deploy', 'global-1', 'envoy-configs', 'values.yaml');
if (existsSync(example)) cases.push(example);
cases.push(...process.argv.slice(2).map((f) => path.resolve(f)));

/** Whether a listener's allowedRoutes.namespaces admits a route namespace (Gateway API semantics). */
function admitsNamespace(listener, gatewayNs, routeNs) {
  const ns = listener.allowedRoutes?.namespaces ?? {};
  const from = ns.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === gatewayNs;
  if (from === 'Selector') {
    const sel = ns.selector ?? {};
    const labels = { 'kubernetes.io/metadata.name': routeNs };
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of sel.matchExpressions ?? []) {
      const has = Object.hasOwn(labels, e.key);
      const inValues = has && (e.values ?? []).includes(labels[e.key]);
      if (e.operator === 'In' && !inValues) return false;
      if (e.operator === 'NotIn' && inValues) return false;
      if (e.operator === 'Exists' && !has) return false;
      if (e.operator === 'DoesNotExist' && has) return false;
    }
    return true;
  }
  return false;
}

function check(objs) {
  const out = [];
  const gateways = objs.filter((o) => o.kind === 'Gateway');
  const routes = objs.filter((o) => o.kind === 'TLSRoute');
  const grants = objs.filter((o) => o.kind === 'ReferenceGrant');
  for (const g of gateways) {
    const id = `Gateway/${g.metadata.namespace}/${g.metadata.name}`;
    const names = new Set();
    const portHosts = new Set();
    for (const l of g.spec?.listeners ?? []) {
      if (names.has(l.name)) out.push(`${id}: duplicate listener name ${l.name}`);
      names.add(l.name);
      const ph = `${l.port}/${l.hostname ?? '*'}`;
      if (portHosts.has(ph)) out.push(`${id}: two listeners on port+hostname ${ph}`);
      portHosts.add(ph);
      if (l.protocol !== 'TLS') out.push(`${id}: listener ${l.name} protocol ${l.protocol}, expected TLS`);
      if (l.tls?.mode !== 'Passthrough')
        out.push(`${id}: listener ${l.name} tls.mode ${l.tls?.mode}, expected Passthrough`);
      if (l.tls?.certificateRefs) out.push(`${id}: listener ${l.name} has certificateRefs (passthrough holds no key)`);
      const kinds = l.allowedRoutes?.kinds;
      if (kinds && !kinds.some((k) => k.kind === 'TLSRoute'))
        out.push(`${id}: listener ${l.name} allowedRoutes.kinds does not admit TLSRoute`);
    }
  }
  const routed = new Map();
  for (const r of routes) {
    const id = `TLSRoute/${r.metadata.namespace}/${r.metadata.name}`;
    const hostnames = r.spec?.hostnames ?? [];
    for (const p of r.spec?.parentRefs ?? []) {
      const gNs = p.namespace ?? r.metadata.namespace;
      const g = gateways.find((x) => x.metadata.name === p.name && x.metadata.namespace === gNs);
      if (!g) {
        // gateway.create: false - the Gateway is managed elsewhere; the only contract is its listener naming.
        if (gateways.length > 0) out.push(`${id}: parentRef ${gNs}/${p.name} names no rendered Gateway`);
        else if (!/^tls-\d+$/.test(p.sectionName ?? ''))
          out.push(
            `${id}: parentRef to the existing Gateway ${gNs}/${p.name} has sectionName ${p.sectionName}, expected tls-<port>`,
          );
        continue;
      }
      const l = (g.spec.listeners ?? []).find((x) => x.name === p.sectionName);
      if (!l) {
        out.push(`${id}: parentRef sectionName ${p.sectionName} is no listener of ${gNs}/${p.name}`);
        continue;
      }
      if (p.port !== undefined && p.port !== l.port) out.push(`${id}: parentRef port ${p.port} != listener ${l.port}`);
      if (l.hostname && !hostnames.includes(l.hostname))
        out.push(`${id}: listener ${l.name} hostname ${l.hostname} matches none of ${hostnames.join(', ')}`);
      if (!admitsNamespace(l, gNs, r.metadata.namespace))
        out.push(`${id}: listener ${l.name} allowedRoutes does not admit namespace ${r.metadata.namespace}`);
      for (const h of hostnames) {
        const key = `${h}:${l.port}`;
        if (routed.has(key)) out.push(`${id}: ${key} is also routed by ${routed.get(key)}`);
        routed.set(key, id);
      }
    }
    for (const rule of r.spec?.rules ?? []) {
      for (const b of rule.backendRefs ?? []) {
        if ((b.kind ?? 'Service') !== 'Service' || (b.group ?? '') !== '')
          out.push(`${id}: backendRef is not a Service`);
        if (typeof b.port !== 'number') out.push(`${id}: backendRef ${b.name} has no numeric port`);
        const bNs = b.namespace ?? r.metadata.namespace;
        if (bNs === r.metadata.namespace) continue;
        const ok = grants.some(
          (gr) =>
            gr.metadata.namespace === bNs &&
            (gr.spec?.from ?? []).some(
              (f) =>
                f.kind === 'TLSRoute' &&
                f.group === 'gateway.networking.k8s.io' &&
                f.namespace === r.metadata.namespace,
            ) &&
            (gr.spec?.to ?? []).some(
              (t) => t.kind === 'Service' && (t.group ?? '') === '' && (!t.name || t.name === b.name),
            ),
        );
        if (!ok) out.push(`${id}: backendRef ${bNs}/${b.name} crosses namespaces without a ReferenceGrant`);
      }
    }
  }
  return out;
}

const failures = [];
for (const values of cases) {
  const name = path.relative(root, values);
  const outputs = helms.map((helm) =>
    spawnSync(helm, ['template', 'envoy-configs', chart, '--namespace', RELEASE_NAMESPACE, '-f', values], {
      encoding: 'utf8',
    }),
  );
  const bad = outputs.find((r) => r.status !== 0);
  if (bad) {
    failures.push(`${name}: helm template exited ${bad.status}: ${bad.stderr.trim().split('\n').slice(-3).join(' ')}`);
    continue;
  }
  const [objs, objs3] = outputs.map((r) =>
    parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .filter(Boolean),
  );
  if (JSON.stringify(objs) !== JSON.stringify(objs3))
    failures.push(`${name}: Helm 4 and Helm 3 render different objects`);
  const problems = check(objs);
  failures.push(...problems.map((p) => `${name}: ${p}`));
  const count = (k) => objs.filter((o) => o.kind === k).length;
  console.error(
    `gateway-api: ${name}: ${count('Gateway')} Gateway, ${count('TLSRoute')} TLSRoute, ${count('ReferenceGrant')} ReferenceGrant${problems.length ? '' : ', consistent'}`,
  );
}
if (failures.length) {
  console.error(`gateway-api: ${failures.length} problem(s):\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
