#!/usr/bin/env node
/**
 * Usage: node tests/rendered/lint-rendered.mjs [values.yaml ...]   (from charts/nautobot-mtls)
 *
 * Renders the chart with each ci/*-values.yaml and with the example global cluster's values
 * (examples/deploy/global-1/nautobot-mtls/values.yaml, when present), places the output in a throw-away deploy repo as
 * a global cluster's files, and runs `understack-lint` (@understack/schema) on it: the client Certificates this chart
 * renders must pass the linter's cert/* rules (CN = DB user, client auth usage, lifetime >= 2 years, renewBefore
 * >= 30 days, key strength) and the schema rules. A second run with `--db-user` set to another user must report
 * cert/common-name once per client Certificate, proving the linter saw every one of them.
 * Also asserts containment: the CA private key secret is never a PushSecret source and is named only by the CA
 * Certificate and the CA Issuer; the CA PushSecret pushes ca.crt only; every object is a namespaced Issuer,
 * Certificate or PushSecret in the release namespace, never a site-scoped one. For the example, each server
 * Certificate carries the gateway fqdn that examples/deploy/global-1/envoy-configs routes to its Service.
 * Helm 3 (Argo CD 3.4) must render the same objects as Helm 4 (Argo CD 3.5).
 * Exits 1 on any failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

const chart = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = path.resolve(chart, '..', '..');
const helm = path.join(root, '.tools', 'bin', 'helm');
const helm3 = path.join(root, '.tools', 'bin', 'helm3');
const lint = path.join(root, 'packages', 'schema', 'bin', 'understack-lint.js');
const cases = readdirSync(path.join(chart, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .map((f) => path.join(chart, 'ci', f));
const example = path.join(root, 'examples', 'deploy', 'global-1', 'nautobot-mtls', 'values.yaml');
if (existsSync(example)) cases.push(example);
// Extra values files on the command line are treated like the example (including the gateway SAN cross-check).
const extra = process.argv.slice(2).map((f) => path.resolve(f));
cases.push(...extra);

/** Kinds this chart may render: all namespaced, none meant for a site cluster. */
const ALLOWED_KINDS = new Set(['Issuer', 'Certificate', 'PushSecret']);

/**
 * Everything stays in the release namespace on the global cluster: no object is cluster-scoped (no ClusterIssuer
 * that a site could reference), none lands in a site-scoped namespace, and only the CA Certificate itself and the CA
 * Issuer name the CA key secret.
 */
function containment(name, objs, caSecret) {
  const out = [];
  const siteNames = new Set(
    objs.map((o) => o.metadata?.labels?.['understack.rackspace.com/site']).filter((s) => typeof s === 'string'),
  );
  for (const o of objs) {
    const id = `${o.kind}/${o.metadata?.name}`;
    if (!ALLOWED_KINDS.has(o.kind)) out.push(`${name}: ${id}: kind ${o.kind} is not one this chart may render`);
    const ns = o.metadata?.namespace;
    if (ns !== RELEASE_NAMESPACE)
      out.push(`${name}: ${id}: namespace ${ns} is not the release namespace ${RELEASE_NAMESPACE}`);
    if (typeof ns === 'string' && (siteNames.has(ns) || /^site-/.test(ns)))
      out.push(`${name}: ${id}: rendered into the site-scoped namespace ${ns}`);
    const refsCa = JSON.stringify(o).includes(`"${caSecret}"`);
    const mayRef =
      (o.kind === 'Certificate' && o.spec?.isCA) || (o.kind === 'Issuer' && o.spec?.ca?.secretName === caSecret);
    if (refsCa && !mayRef) out.push(`${name}: ${id}: references the CA key secret ${caSecret}`);
  }
  if (!caSecret) out.push(`${name}: no isCA Certificate rendered`);
  return out;
}

/**
 * The example global cluster's envoy-configs routes and this chart's server certificates must agree: with TLS
 * passthrough the worker's session ends at PostgreSQL/Redis, and libpq `verify-full` and redis-py's hostname check
 * compare the name the worker dialled (the route's fqdn) with the server certificate. For every route, the server
 * Certificate whose dnsNames contain the route's backend Service must also contain the route's fqdn.
 */
function gatewaySans(name, objs) {
  const envoyValues = path.join(root, 'examples', 'deploy', 'global-1', 'envoy-configs', 'values.yaml');
  if (!existsSync(envoyValues)) return [];
  const routes = parse(readFileSync(envoyValues, 'utf8'))?.routes?.tls ?? [];
  const servers = objs.filter((o) => o.kind === 'Certificate' && o.spec?.usages?.includes('server auth'));
  const out = [];
  for (const [i, r] of routes.entries()) {
    const cert = servers.find((c) => (c.spec.dnsNames ?? []).includes(r.service?.name));
    if (!cert) continue;
    if (!cert.spec.dnsNames.includes(r.fqdn))
      out.push(
        `${name}: Certificate ${cert.metadata.name} serves ${r.service.name} but lacks dnsName ${r.fqdn} ` +
          `(envoy-configs routes.tls[${i}]); either: add it to ${cert.metadata.labels['app.kubernetes.io/component'] === 'redis-server' ? 'redis' : 'postgres'}.gatewayHosts, or route another fqdn`,
      );
  }
  return out;
}

const RELEASE_NAMESPACE = 'nautobot';
const failures = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'nautobot-mtls-lint-'));
try {
  for (const values of cases) {
    const name = path.relative(root, values);
    const r = spawnSync(helm, ['template', 'nautobot-mtls', chart, '--namespace', RELEASE_NAMESPACE, '-f', values], {
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      failures.push(`${name}: helm template exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      continue;
    }
    const objs = parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .filter(Boolean);
    // Argo CD 3.4 renders with Helm 3, 3.5 with Helm 4: both must produce the same objects.
    const r3 = spawnSync(helm3, ['template', 'nautobot-mtls', chart, '--namespace', RELEASE_NAMESPACE, '-f', values], {
      encoding: 'utf8',
    });
    const objs3 =
      r3.status === 0
        ? parseAllDocuments(r3.stdout)
            .map((d) => d.toJS())
            .filter(Boolean)
        : null;
    if (JSON.stringify(objs3) !== JSON.stringify(objs))
      failures.push(
        `${name}: Helm 3 renders ${objs3 ? 'different objects' : `nothing (exit ${r3.status}: ${r3.stderr.trim().split('\n').pop()})`} than Helm 4`,
      );
    const caSecret = objs.find((o) => o.kind === 'Certificate' && o.spec?.isCA)?.spec.secretName;
    for (const p of objs.filter((o) => o.kind === 'PushSecret')) {
      if (p.spec?.selector?.secret?.name === caSecret)
        failures.push(`${name}: PushSecret ${p.metadata.name} pushes the CA key secret ${caSecret}`);
      // The shared CA credential carries ca.crt only: a template that also reads tls.key would push a private key
      // that no site needs (the public CA secret's leaf key today, the CA key if someone repoints the selector).
      if (p.metadata?.labels?.['app.kubernetes.io/component'] === 'ca-public') {
        const tpl = JSON.stringify(p.spec?.template?.data ?? {});
        if (tpl.includes('tls.key') || !tpl.includes('ca.crt'))
          failures.push(`${name}: PushSecret ${p.metadata.name} must push ca.crt and nothing else, template is ${tpl}`);
      }
    }
    failures.push(...containment(name, objs, caSecret));
    if (values === example || values.endsWith('default-values.yaml') || extra.includes(values))
      failures.push(...gatewaySans(name, objs));
    const clients = objs.filter(
      (o) =>
        o.kind === 'Certificate' &&
        o.spec?.usages?.includes('client auth') &&
        o.spec.commonName !== 'streaming_replica',
    );
    const repo = path.join(tmp, path.basename(values, '.yaml'));
    mkdirSync(path.join(repo, 'global-1', 'nautobot-mtls'), { recursive: true });
    writeFileSync(
      path.join(repo, 'global-1', 'deploy.yaml'),
      'deploy_url: https://git.example.com/ops/deploy.git\nglobal:\n  enabled: true\n  nautobot_mtls:\n    enabled: true\n',
    );
    writeFileSync(path.join(repo, 'global-1', 'nautobot-mtls', 'rendered.yaml'), r.stdout);
    const ok = spawnSync(process.execPath, [lint, repo, '--json'], { encoding: 'utf8' });
    if (ok.status !== 0) failures.push(`${name}: understack-lint exited ${ok.status}:\n${ok.stdout}${ok.stderr}`);
    const neg = spawnSync(process.execPath, [lint, repo, '--json', '--db-user', 'not-the-user'], { encoding: 'utf8' });
    const text = `${neg.stdout}`;
    const found = (text.match(/cert\/common-name/g) ?? []).length;
    if (clients.length === 0 || found < clients.length)
      failures.push(
        `${name}: expected cert/common-name for each of ${clients.length} client Certificates with --db-user not-the-user, found ${found}`,
      );
    console.error(`lint-rendered: ${name}: ${objs.length} objects, ${clients.length} client certificates linted clean`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (failures.length) {
  console.error(`lint-rendered: ${failures.length} failure(s):\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
