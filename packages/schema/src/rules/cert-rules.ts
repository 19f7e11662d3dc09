/**
 * mTLS client Certificates (cert-manager), wherever they are declared: Certificate manifests (normally on the global
 * cluster) and the client certificates the nautobot-mtls chart renders from `<global>/nautobot-mtls/values.yaml`.
 */
import type { CertificateObject } from '../certificates.js';
import { durationHours, get, isObj, type K8sObject, str } from '../model.js';
import type { Cluster } from '../repo.js';
import { formatPath, type JsonPath } from '../source.js';
import { defineRule, type Rule, type RuleContext } from './api.js';
import { isClientCertificate } from './schema-rules.js';

function clientCerts(ctx: RuleContext): CertificateObject[] {
  return ctx.clusters
    .flatMap((c) => ctx.certificates(c))
    .filter((o) => (o.origin === 'manifest' ? isClientCertificate(o.obj) : o.role === 'client'));
}

/** `Certificate "x"` for a manifest; names the chart and the values file for a chart-rendered one. */
export function certLabel(o: CertificateObject): string {
  return o.origin === 'manifest' ? `Certificate "${o.name}"` : `Certificate "${o.name}" (nautobot-mtls chart values)`;
}

/**
 * Reports per place: several chart certificates share `client.duration`, so one wrong value is one finding that names
 * every certificate it affects, not one finding per site at the same line.
 */
function certReporter(ctx: RuleContext) {
  const groups = new Map<
    string,
    {
      at: ReturnType<CertificateObject['at']>;
      certs: CertificateObject[];
      message: (who: string) => string;
      hint: string;
    }
  >();
  return {
    add(o: CertificateObject, specPath: JsonPath, message: (who: string) => string, hint: (field: string) => string) {
      const at = o.at(specPath);
      const key = `${at.source.file}|${at.doc}|${formatPath(at.path)}|${message('')}`;
      const g = groups.get(key);
      if (g) g.certs.push(o);
      else {
        const text = hint(o.field(specPath));
        // A chart value is fixed in the values file: say which one (the finding may point at deploy.yaml).
        const full = o.origin === 'manifest' ? text : `${text.replace(/\.$/, '')} in ${o.definedIn}.`;
        groups.set(key, { at, certs: [o], message, hint: full });
      }
    },
    flush() {
      for (const g of groups.values()) {
        const [first, ...more] = g.certs;
        const who = more.length
          ? `Certificate "${first!.name}" (and ${more.map((c) => `"${c.name}"`).join(', ')}: the same nautobot-mtls chart value)`
          : certLabel(first!);
        ctx.report(g.at, g.message(who), g.hint);
      }
    },
  };
}

/** The site cluster a client certificate was issued for, by the naming convention `<name>-<site>`. */
export function siteOf(ctx: RuleContext, cert: K8sObject): Cluster | undefined {
  const names = [cert.name, str(get(cert.obj, ['spec', 'secretName'])) ?? ''];
  return ctx.repo.clusters.find((c) => c.isSite && names.some((n) => n === c.name || n.endsWith(`-${c.name}`)));
}

/** The DB user client certificates must name: CNPG's `bootstrap.initdb.owner` on a global cluster, else the option. */
export function dbUser(ctx: RuleContext): string {
  for (const c of ctx.repo.clusters.filter((x) => x.isGlobal)) {
    for (const o of ctx.objects(c)) {
      if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/')) {
        const owner = str(get(o.obj, ['spec', 'bootstrap', 'initdb', 'owner']));
        if (owner) return owner;
      }
    }
  }
  return ctx.options.dbUser;
}

export const certCommonName = defineRule({
  id: 'cert/common-name',
  severity: 'error',
  title: 'Client certificate CN is not the DB user',
  docs: 'pg_hba `cert` authentication maps the client certificate\'s CN to the PostgreSQL user, so the CN must equal the user the worker logs in as: the site worker\'s `nautobot.db.user` for a certificate named `<name>-<site>`, else `bootstrap.initdb.owner` of the CNPG Cluster in this repo, else `app`. Any other CN is rejected with `certificate authentication failed for user "app"` even though the certificate is valid. Checked on Certificate manifests and on the client certificates the nautobot-mtls chart renders (`client.commonName`, `sites.<site>.commonName`).',
  check(ctx) {
    const fallback = dbUser(ctx);
    const r = certReporter(ctx);
    for (const o of clientCerts(ctx)) {
      const cn = get(o.obj, ['spec', 'commonName']);
      // A site's certificate must name the user that site's worker logs in as (nautobot.db.user, default app).
      const site = siteOf(ctx, o);
      const siteUser = site ? str(get(ctx.worker(site)?.values, ['nautobot', 'db', 'user'])) : undefined;
      const user = siteUser ?? fallback;
      if (cn === user) continue;
      r.add(
        o,
        ['spec', ...(cn === undefined ? [] : ['commonName'])],
        (who) =>
          cn === undefined
            ? `${who} has no commonName: pg_hba cert auth needs CN=${user}`
            : `${who} has commonName ${JSON.stringify(cn)}, but pg_hba cert auth maps the CN to the DB user "${user}"`,
        (field) => `Set ${cn === undefined ? 'spec.commonName' : field}: ${user}.`,
      );
    }
    r.flush();
  },
});

export const certClientAuth = defineRule({
  id: 'cert/client-auth-usage',
  severity: 'error',
  title: 'Client certificate without the client auth usage',
  docs: 'A certificate presented by a TLS client needs the `client auth` extended key usage; PostgreSQL, Redis and Envoy-adjacent verifiers reject one without it. cert-manager adds `digital signature, key encipherment` by default, not `client auth`, so list it explicitly in `spec.usages`. (The nautobot-mtls chart always lists it, so only manifests can fail this rule.)',
  check(ctx) {
    const r = certReporter(ctx);
    for (const o of clientCerts(ctx)) {
      const usages = get(o.obj, ['spec', 'usages']);
      if (Array.isArray(usages) && usages.includes('client auth')) continue;
      r.add(
        o,
        ['spec', ...(usages === undefined ? [] : ['usages'])],
        (who) => `${who} does not list the "client auth" usage`,
        () => 'Add spec.usages: [client auth].',
      );
    }
    r.flush();
  },
});

export const certLifetime = defineRule({
  id: 'cert/lifetime',
  severity: 'error',
  title: 'Client certificate lifetime or renewal window too short',
  docs: "Site client certificates are copied to the secrets provider by an operator, so each renewal is manual work per site. The design review set a 3-year lifetime (`duration: 26280h`); anything under 2 years (17520h, including cert-manager's 90-day default when `duration` is omitted) is an error. `renewBefore` is the time operators have to ship the renewed certificate before the old one expires: it must be at least 30 days (720h) and shorter than the duration. Checked on manifests and on the nautobot-mtls chart values (`client.duration`/`renewBefore`, `sites.<site>.duration`/`renewBefore`), reported at the key that sets the value.",
  check(ctx) {
    const min = ctx.options.minCertHours;
    const minRenew = ctx.options.minRenewBeforeHours;
    const r = certReporter(ctx);
    for (const o of clientCerts(ctx)) {
      const spec = isObj(o.obj.spec) ? o.obj.spec : {};
      const dur = spec.duration === undefined ? 2160 : durationHours(spec.duration);
      if (dur === undefined) continue; // schema/invalid reports the unparseable duration
      if (dur < min) {
        r.add(
          o,
          ['spec', ...(spec.duration === undefined ? [] : ['duration'])],
          (who) =>
            spec.duration === undefined
              ? `${who} has no duration: cert-manager defaults to 2160h (90 days), under the ${min}h minimum for hand-shipped site certificates`
              : `${who} lives ${spec.duration} (${Math.round(dur / 24)} days), under the ${min}h (${Math.round(min / 8760)}-year) minimum`,
          (field) => `Set ${spec.duration === undefined ? 'spec.duration' : field}: 26280h (3 years).`,
        );
      }
      const renew = spec.renewBefore === undefined ? dur / 3 : durationHours(spec.renewBefore);
      if (renew === undefined) continue;
      if (renew < minRenew) {
        r.add(
          o,
          ['spec', 'renewBefore'],
          (who) =>
            `${who} renews ${spec.renewBefore} before expiry: under ${minRenew}h (30 days) leaves too little time to ship the new certificate to the site`,
          (field) => `Set ${field}: 2160h (90 days).`,
        );
      } else if (renew >= dur) {
        r.add(
          o,
          ['spec', 'renewBefore'],
          (who) =>
            `${who} renewBefore (${spec.renewBefore}) is not shorter than its duration: cert-manager would renew continuously`,
          (field) => `Set ${field} well below duration, e.g. 2160h for a 26280h certificate.`,
        );
      }
    }
    r.flush();
  },
});

export const certWeakKey = defineRule({
  id: 'cert/weak-key',
  severity: 'error',
  title: 'Weak client certificate key',
  docs: "A long-lived (multi-year) certificate needs a key that stays strong for its lifetime: RSA at least 2048 bits, ECDSA at least 256 bits (P-256), or Ed25519. cert-manager's default is RSA 2048. Smaller keys are refused by current OpenSSL security levels and are an error. Checked on manifests and on the nautobot-mtls chart's `client.privateKey`.",
  check(ctx) {
    const r = certReporter(ctx);
    for (const o of clientCerts(ctx)) {
      const pk = get(o.obj, ['spec', 'privateKey']);
      const alg = str(get(pk, ['algorithm'])) ?? 'RSA';
      const size = get(pk, ['size']);
      const min = alg === 'RSA' ? 2048 : alg === 'ECDSA' ? 256 : 0;
      if (typeof size === 'number' && size < min) {
        r.add(
          o,
          ['spec', 'privateKey', 'size'],
          (who) => `${who} uses a ${size}-bit ${alg} key: the minimum is ${min}`,
          (field) =>
            alg === 'RSA'
              ? `Set ${field}: 2048 or larger (or algorithm: ECDSA, size: 256).`
              : `Set ${field}: 256 or 384.`,
        );
      }
    }
    r.flush();
  },
});

export const certRules: Rule[] = [certCommonName, certClientAuth, certLifetime, certWeakKey];
