/** The worker's DB/Redis hosts against the global gateway's TLS routes and the server certificates' SANs. */
import { type CertificateObject, MTLS_CHART_NAMESPACE } from '../certificates.js';
import { DEFAULT_GATEWAY_PORT, dnsMatches, get, type HostRef, str, tlsRoutes, type WorkerConfig } from '../model.js';
import { didYouMean } from '../suggest.js';
import { defineRule, type Rule } from './api.js';
import { certLabel } from './cert-rules.js';
import { isClientCertificate } from './schema-rules.js';

function hosts(w: WorkerConfig): Array<{ what: 'DB' | 'Redis'; ref: HostRef }> {
  const out: Array<{ what: 'DB' | 'Redis'; ref: HostRef }> = [];
  if (w.dbHost) out.push({ what: 'DB', ref: w.dbHost });
  if (w.redisHost) out.push({ what: 'Redis', ref: w.redisHost });
  return out;
}

export const hostNotRouted = defineRule({
  id: 'route/host-not-routed',
  severity: 'error',
  title: 'Worker DB/Redis host has no TLS route on the global gateway',
  docs: "Envoy Gateway routes TLS passthrough by SNI: the host name the worker connects to must equal (or match the wildcard of) an `fqdn` of the global cluster's envoy-configs `routes.tls`. Otherwise SNI matches no route and the connection is reset before PostgreSQL or Redis sees it. Checked when the global cluster is in the same repo and enables `global.envoy_configs` (without it no Gateway is rendered). The route's listener port (`gatewayPort`, default 443) must also equal the port the worker dials (`nautobot.db.port` / `nautobot.redis.port`, default 5432 / 6379).",
  check(ctx) {
    const routes = tlsRoutes(ctx.repo);
    if (!routes.length) return;
    for (const c of ctx.clusters.filter((x) => x.isSite)) {
      const w = ctx.worker(c);
      if (!w) continue;
      for (const { what, ref } of hosts(w)) {
        const h = ref.host.toLowerCase();
        if (/\.svc(\.cluster\.local)?$/.test(h) || !h.includes('.')) continue;
        const match = routes.filter((r) => dnsMatches(r.fqdn, h));
        if (!match.length) {
          const guess = didYouMean(
            h,
            routes.map((r) => r.fqdn),
          );
          ctx.report(
            { source: w.source, doc: 0, path: ref.path },
            `${what} host ${ref.host} matches no TLS route of the global gateway (${[...new Set(routes.map((r) => r.fqdn))].join(', ')}): SNI would miss${guess ? `; did you mean ${guess}?` : ''}`,
            guess
              ? `Use ${guess}.`
              : `Add a routes.tls entry with fqdn ${ref.host} to ${routes[0]!.source.file}, or use one of its FQDNs.`,
          );
        } else {
          // The worker dials nautobot.db.port / nautobot.redis.port, else the service's standard port.
          const port = ref.port ?? (what === 'DB' ? 5432 : 6379);
          if (match.every((r) => r.port !== port)) {
            ctx.report(
              {
                source: w.source,
                doc: 0,
                path: ref.port === undefined ? ref.path : [...ref.path.slice(0, -1), 'port'],
              },
              `${what} host ${ref.host} is routed on gateway port ${[...new Set(match.map((r) => r.port))].join('/')}${match.some((r) => r.port === DEFAULT_GATEWAY_PORT) ? ' (443 is the default when gatewayPort is not set)' : ''}, but the worker connects to port ${port}${ref.port === undefined ? ' (the default)' : ''}`,
              `Set gatewayPort: ${port} on the route in ${match[0]!.source.file}, or point the worker at the route's port.`,
            );
          }
        }
      }
    }
  },
});

export const serverCertSan = defineRule({
  id: 'route/server-cert-san',
  severity: 'error',
  title: "Server certificate SANs do not cover the worker's host",
  docs: "With TLS passthrough the worker talks TLS to PostgreSQL/Redis directly, so the *server* certificate must carry the gateway FQDN the worker connects to. `verify-ca` does not check the name, but `verify-full`, Redis clients with hostname checking and every future tightening do. Checked when the global cluster is in the same repo, against every server Certificate that could serve the host: manifests (the one named by the CNPG Cluster's serverTLSSecret, Redis server Certificates) and the nautobot-mtls chart's server certificates, whose gateway names come from `postgres.gatewayHosts` / `redis.gatewayHosts` in `<global>/nautobot-mtls/values.yaml` (reported there).",
  check(ctx) {
    const globals = ctx.repo.clusters.filter((c) => c.isGlobal);
    if (!globals.length) return;
    const objs = globals.flatMap((c) => ctx.objects(c));
    const certs = globals.flatMap((c) => ctx.certificates(c));
    const manifests = certs.filter((o) => o.origin === 'manifest' && !isClientCertificate(o.obj));
    const serverSecrets = objs
      .filter((o) => o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/'))
      .map((o) => str(get(o.obj, ['spec', 'certificates', 'serverTLSSecret'])))
      .filter((x): x is string => !!x);
    const secretOf = (c: CertificateObject) => str(get(c.obj, ['spec', 'secretName'])) ?? '';
    const dbCerts = [
      ...manifests.filter((c) => serverSecrets.includes(secretOf(c))),
      // The chart's PostgreSQL certificate serves only if the CNPG Cluster (when in the repo) names its secret.
      ...certs.filter(
        (c) => c.role === 'postgres-server' && (!serverSecrets.length || serverSecrets.includes(secretOf(c))),
      ),
    ];
    const redisCerts = [
      ...manifests.filter((c) => /redis/i.test(`${c.name} ${secretOf(c)}`)),
      ...certs.filter((c) => c.role === 'redis-server'),
    ];
    const sanOf = (cert: CertificateObject) => {
      const dns = get(cert.obj, ['spec', 'dnsNames']);
      return [
        ...(Array.isArray(dns) ? dns.filter((d): d is string => typeof d === 'string') : []),
        str(get(cert.obj, ['spec', 'commonName'])) ?? '',
      ].filter(Boolean);
    };
    const chartReported = new Set<string>();
    // Chart certificates are fixed in the global values file, so every site's host counts (with --cluster <global>
    // too); manifest findings stay at the linted site's host, as before.
    for (const c of ctx.repo.clusters.filter((x) => x.isSite)) {
      const w = ctx.worker(c);
      if (!w) continue;
      for (const { what, ref } of hosts(w)) {
        for (const cert of what === 'DB' ? dbCerts : redisCerts) {
          const names = sanOf(cert);
          if (names.some((n) => dnsMatches(n, ref.host))) continue;
          if (cert.origin === 'manifest') {
            if (!ctx.clusters.includes(c)) continue;
            ctx.report(
              { source: w.source, doc: 0, path: ref.path },
              `${what} host ${ref.host} is not among the dnsNames of the ${what} server Certificate "${cert.name}" (${cert.source.file}): ${names.join(', ') || 'none'}`,
              `Add ${ref.host} to spec.dnsNames of ${cert.name}.`,
            );
            continue;
          }
          const key = `${cert.source.file}|${cert.name}|${ref.host.toLowerCase()}`;
          if (chartReported.has(key)) continue;
          chartReported.add(key);
          ctx.report(
            cert.at(['spec', 'dnsNames']),
            `${what} host ${ref.host} (site "${c.name}", ${w.source.file}) is not a SAN of the ${what} server ${certLabel(cert)}: gatewayHosts/extraDnsNames give ${names.filter((n) => !/\.svc(\.cluster\.local)?$/.test(n) && n.includes('.') && !n.endsWith(`.${MTLS_CHART_NAMESPACE}`)).join(', ') || 'none'}`,
            `Add ${ref.host} to ${cert.field(['spec', 'dnsNames'])} in ${cert.definedIn}.`,
          );
        }
      }
    }
  },
});

export const routeRules: Rule[] = [hostNotRouted, serverCertSan];
