/**
 * The site mTLS secret and the CA: the CA private key stays on the global cluster; the site gets a kubernetes.io/tls
 * secret whose ca.crt is the CA certificate, extracted with filterPEM.
 */
import { get, isObj, type K8sObject, str } from '../model.js';
import type { Cluster } from '../repo.js';
import type { JsonPath } from '../source.js';
import { defineRule, type Rule, type RuleContext } from './api.js';
import { siteOf } from './cert-rules.js';
import { externalSecretTarget, isClientCertificate } from './schema-rules.js';

const CA_NAME = /(^|[-_.])ca([-_.]|$)|ca-key|ca_key/i;
/**
 * A name that denotes the CA *key*: a `ca` token later followed by a `key` token (`mtls-ca-key-pair`, `ca.key`,
 * `root_ca_private_key`, `understack/mtls-ca-key`), not `cache-key` or `mtls-ca-cert`.
 */
export const CA_KEY_NAME = /(^|[^a-z0-9])ca([-_./][a-z0-9]+)*?[-_./]key([^a-z0-9]|$)/i;
/** Credential names a `dataFrom.find` pattern is tried against: the chart's CA secret and the usual provider keys. */
const CA_KEY_SAMPLES = [
  'mtls-ca-key-pair',
  'understack/mtls-ca-key-pair',
  'mtls-ca-key',
  'understack/mtls-ca-key',
  'ca.key',
  'ca-key',
];
/** Does a secret/credential name (with the keys it holds) carry the CA private key? */
function caKeyCarrier(name: string, keys: string[]): string | undefined {
  if (keys.includes('ca.key')) return 'ca.key';
  if (CA_KEY_NAME.test(name)) return name;
  if (CA_NAME.test(name) && keys.includes('tls.key')) return 'tls.key';
  return undefined;
}
/** Kustomization files of a cluster (the file names kustomize reads). */
const isKustomization = (file: string) => /(^|\/)(kustomization\.ya?ml|Kustomization)$/.test(file);
const REQUIRED_KEYS = ['tls.crt', 'tls.key', 'ca.crt'] as const;

/** Site-only clusters: where the CA must never be. A cluster that is both global and site holds the CA legitimately. */
const siteOnly = (ctx: RuleContext) => ctx.clusters.filter((c) => c.isSite && !c.isGlobal);

/** The ExternalSecrets of a site that produce the worker's mTLS secret. */
export function mtlsExternalSecrets(ctx: RuleContext, cluster: Cluster): K8sObject[] {
  if (!cluster.isSite) return [];
  const name = ctx.worker(cluster)?.secretName ?? ctx.options.workerChart.secretName;
  return ctx.objects(cluster).filter((o) => o.kind === 'ExternalSecret' && externalSecretTarget(o.obj) === name);
}

function templateData(o: K8sObject): Record<string, unknown> | undefined {
  const d = get(o.obj, ['spec', 'target', 'template', 'data']);
  return isObj(d) ? d : undefined;
}

/** Template variables a Go template string reads: `.client_password`, `index . "ca-cert"`. */
export function templateVars(tpl: string): string[] {
  const vars = new Set<string>();
  for (const block of tpl.matchAll(/\{\{(.*?)\}\}/gs)) {
    const body = block[1]!;
    for (const m of body.matchAll(/(?:^|[\s(|])\.([A-Za-z_][\w]*)/g)) vars.add(m[1]!);
    for (const m of body.matchAll(/index\s+\.\s+"([^"]+)"/g)) vars.add(m[1]!);
  }
  return [...vars];
}

/** Which provider credential a template variable comes from (`data[].remoteRef.key`, or a `dataFrom` rewrite prefix). */
function credentialOf(o: K8sObject, variable: string): string | undefined {
  const data = get(o.obj, ['spec', 'data']);
  if (Array.isArray(data)) {
    for (const d of data) {
      if (isObj(d) && d.secretKey === variable && isObj(d.remoteRef)) {
        return `${str(d.remoteRef.key) ?? ''}#${str(d.remoteRef.property) ?? ''}`;
      }
    }
  }
  const dataFrom = get(o.obj, ['spec', 'dataFrom']);
  if (Array.isArray(dataFrom)) {
    for (const d of dataFrom) {
      if (!isObj(d)) continue;
      const key = str(get(d, ['extract', 'key'])) ?? str(get(d, ['find', 'name', 'regexp']));
      const rewrites = Array.isArray(d.rewrite) ? d.rewrite : [];
      for (const r of rewrites) {
        const target = str(get(r, ['regexp', 'target']));
        const prefix = target?.replace(/\$\{?1\}?.*$/, '');
        if (key && prefix && variable.startsWith(prefix)) return key;
      }
    }
  }
  return undefined;
}

export const caOnSite = defineRule({
  id: 'mtls/ca-on-site',
  severity: 'error',
  title: 'CA private key or CA issuer on a site cluster',
  docs: "The mTLS CA lives only on the global cluster. A CA-type Issuer/ClusterIssuer, a Certificate with `isCA: true` or one issued by the mTLS CA issuer, or a Secret/ExternalSecret that carries a CA private key (`ca.key`, or `tls.key` of a CA-named secret such as `mtls-ca-key-pair`) in a site cluster's files means one compromised site can mint client certificates for every other site and impersonate the servers. Also reported: a kustomize `secretGenerator` that builds such a secret (from `ca.key`/CA-named key files or literals), a `SealedSecret` that unseals one, an ExternalSecret whose target is the CA key pair (`mtls-ca-key-pair` or any name with a `ca` token followed by a `key` token) or whose `dataFrom.extract.key` / `dataFrom.find.name.regexp` reaches the CA key credential. Sites receive only their issued client certificate and key plus the CA *public* certificate.",
  check(ctx) {
    const hint =
      "Remove it from the site. Issue the site's client certificate on the global cluster and ship only tls.crt, tls.key and the CA's ca.crt through the secrets provider.";
    for (const cluster of siteOnly(ctx)) {
      for (const o of ctx.objects(cluster)) {
        const at = { source: o.source, doc: o.doc };
        if ((o.kind === 'Issuer' || o.kind === 'ClusterIssuer') && isObj(get(o.obj, ['spec', 'ca']))) {
          ctx.report(
            { ...at, path: ['spec', 'ca'], key: true },
            `${o.kind} "${o.name}" is a CA issuer on site cluster "${cluster.name}": it needs the CA private key on the site`,
            hint,
          );
        }
        const issuer = str(get(o.obj, ['spec', 'issuerRef', 'name']));
        if (o.kind === 'Certificate' && get(o.obj, ['spec', 'isCA']) !== true && issuer && /mtls/i.test(issuer)) {
          ctx.report(
            { ...at, path: ['spec', 'issuerRef', 'name'] },
            `Certificate "${o.name}" is issued on site cluster "${cluster.name}" by "${issuer}": the mTLS CA issuer exists only on the global cluster`,
            hint,
          );
        }
        if (o.kind === 'Certificate' && get(o.obj, ['spec', 'isCA']) === true) {
          ctx.report(
            { ...at, path: ['spec', 'isCA'] },
            `Certificate "${o.name}" is a CA certificate (isCA: true) on site cluster "${cluster.name}"`,
            hint,
          );
        }
        if (o.kind === 'Secret') {
          for (const field of ['data', 'stringData']) {
            const data = get(o.obj, [field]);
            if (!isObj(data)) continue;
            for (const k of Object.keys(data)) {
              if (k === 'ca.key' || (k === 'tls.key' && CA_NAME.test(o.name))) {
                ctx.report(
                  { ...at, path: [field, k], key: true },
                  `Secret "${o.name}" carries a CA private key (${k}) on site cluster "${cluster.name}"`,
                  hint,
                );
              }
            }
          }
        }
        if (o.kind === 'SealedSecret') {
          const name = str(get(o.obj, ['spec', 'template', 'metadata', 'name'])) ?? o.name;
          const enc = get(o.obj, ['spec', 'encryptedData']);
          const keys = isObj(enc) ? Object.keys(enc) : [];
          const what = caKeyCarrier(name, keys);
          if (what) {
            const keyPath: JsonPath =
              what === 'ca.key' || what === 'tls.key' ? ['spec', 'encryptedData', what] : ['metadata', 'name'];
            ctx.report(
              { ...at, path: keyPath, key: what === 'ca.key' || what === 'tls.key' },
              `SealedSecret "${o.name}" unseals the CA private key (${what === name ? `secret "${name}"` : what}) on site cluster "${cluster.name}": sealing hides it in git, not from the site`,
              hint,
            );
          }
        }
        if (o.kind === 'ExternalSecret') {
          const target = externalSecretTarget(o.obj);
          if (CA_KEY_NAME.test(target)) {
            const explicit = str(get(o.obj, ['spec', 'target', 'name'])) !== undefined;
            ctx.report(
              { ...at, path: explicit ? ['spec', 'target', 'name'] : ['metadata', 'name'] },
              `ExternalSecret "${o.name}" produces secret "${target}", the CA key pair, on site cluster "${cluster.name}"`,
              hint,
            );
          }
          const keys = new Map<string, JsonPath>();
          const tdata = templateData(o);
          for (const k of Object.keys(tdata ?? {})) keys.set(k, ['spec', 'target', 'template', 'data', k]);
          const data = get(o.obj, ['spec', 'data']);
          if (Array.isArray(data)) {
            data.forEach((d, i) => {
              if (isObj(d) && typeof d.secretKey === 'string') keys.set(d.secretKey, ['spec', 'data', i, 'secretKey']);
              const remote = isObj(d) ? str(get(d, ['remoteRef', 'key'])) : undefined;
              if (remote && /ca[-_]?key/i.test(remote)) {
                ctx.report(
                  { ...at, path: ['spec', 'data', i, 'remoteRef', 'key'] },
                  `ExternalSecret "${o.name}" pulls "${remote}", a CA key credential, onto site cluster "${cluster.name}"`,
                  hint,
                );
              }
            });
          }
          const dataFrom = get(o.obj, ['spec', 'dataFrom']);
          if (Array.isArray(dataFrom)) {
            dataFrom.forEach((d, i) => {
              const remote = str(get(d, ['extract', 'key']));
              if (remote && (/ca[-_]?key/i.test(remote) || CA_KEY_NAME.test(remote))) {
                ctx.report(
                  { ...at, path: ['spec', 'dataFrom', i, 'extract', 'key'] },
                  `ExternalSecret "${o.name}" pulls "${remote}", a CA key credential, onto site cluster "${cluster.name}"`,
                  hint,
                );
              }
              // find: every provider credential whose name matches is pulled; one matching the CA key is enough.
              const pattern = str(get(d, ['find', 'name', 'regexp']));
              if (pattern !== undefined) {
                let re: RegExp | undefined;
                try {
                  re = new RegExp(pattern);
                } catch {
                  re = undefined; // not a JS-compatible pattern: nothing to conclude
                }
                const hit = re && CA_KEY_SAMPLES.find((n) => re.test(n));
                if (hit) {
                  ctx.report(
                    { ...at, path: ['spec', 'dataFrom', i, 'find', 'name', 'regexp'] },
                    `ExternalSecret "${o.name}" pulls every credential matching ${JSON.stringify(pattern)} onto site cluster "${cluster.name}", which includes the CA key credential (e.g. "${hit}")`,
                    `Narrow the pattern to this site's client credential and the CA *certificate* (e.g. "^understack/${cluster.name}/nautobot-mtls-client$"), or use data[].remoteRef keys. ${hint}`,
                  );
                }
              }
            });
          }
          for (const [k, path] of keys) {
            if (k === 'ca.key' || (k === 'tls.key' && CA_NAME.test(target))) {
              ctx.report(
                { ...at, path, key: true },
                `ExternalSecret "${o.name}" puts a CA private key (${k}) into secret "${target}" on site cluster "${cluster.name}"`,
                hint,
              );
            }
          }
        }
      }
      // kustomize secretGenerator: builds a Secret from files or literals beside the kustomization.
      for (const source of cluster.sources.filter((x) => isKustomization(x.file))) {
        const gens = get(source.docs[0]?.value, ['secretGenerator']);
        if (!Array.isArray(gens)) continue;
        gens.forEach((g, i) => {
          if (!isObj(g)) return;
          const name = str(g.name) ?? '';
          const entries: Array<{ key: string; path: JsonPath; file?: string }> = [];
          for (const field of ['files', 'literals'] as const) {
            const list = g[field];
            if (!Array.isArray(list)) continue;
            list.forEach((item, j) => {
              if (typeof item !== 'string') return;
              const eq = item.indexOf('=');
              const file = field === 'files' ? (eq >= 0 ? item.slice(eq + 1) : item) : undefined;
              const key = eq >= 0 ? item.slice(0, eq) : (file?.slice(file.lastIndexOf('/') + 1) ?? item);
              entries.push({ key, path: ['secretGenerator', i, field, j], ...(file ? { file } : {}) });
            });
          }
          const genHint = `Remove the secretGenerator entry${entries.some((e) => e.file) ? ' and the key file (rotate the CA key: it is in git history)' : ''}. ${hint}`;
          const byKey = entries.find(
            (e) =>
              e.key === 'ca.key' ||
              (e.file !== undefined && CA_KEY_NAME.test(e.file.slice(e.file.lastIndexOf('/') + 1))) ||
              (e.key === 'tls.key' && CA_NAME.test(name)),
          );
          if (byKey) {
            ctx.report(
              { source, doc: 0, path: byKey.path },
              `kustomize secretGenerator "${name}" puts a CA private key (${byKey.key}${byKey.file ? ` from ${byKey.file}` : ''}) into a Secret on site cluster "${cluster.name}"`,
              genHint,
            );
          } else if (CA_KEY_NAME.test(name)) {
            ctx.report(
              { source, doc: 0, path: ['secretGenerator', i, 'name'] },
              `kustomize secretGenerator "${name}" generates the CA key pair secret on site cluster "${cluster.name}"`,
              genHint,
            );
          }
        });
      }
    }
  },
});

export const mtlsSecretType = defineRule({
  id: 'mtls/secret-type',
  severity: 'error',
  title: 'mTLS secret is not kubernetes.io/tls',
  docs: "The ExternalSecret that produces the worker's client-certificate secret (default `nautobot-mtls-client`) must template a `kubernetes.io/tls` secret: the type documents the contract (tls.crt + tls.key, plus ca.crt), makes the API server check the keys exist, and is what the chart and tooling expect. Set `spec.target.template.type: kubernetes.io/tls`.",
  check(ctx) {
    for (const cluster of ctx.clusters) {
      for (const o of mtlsExternalSecrets(ctx, cluster)) {
        const type = get(o.obj, ['spec', 'target', 'template', 'type']);
        if (type === 'kubernetes.io/tls') continue;
        const hasTemplate = isObj(get(o.obj, ['spec', 'target', 'template']));
        ctx.report(
          {
            source: o.source,
            doc: o.doc,
            path: hasTemplate
              ? ['spec', 'target', 'template', ...(type === undefined ? [] : ['type'])]
              : ['spec', 'target'],
          },
          type === undefined
            ? `ExternalSecret "${o.name}" does not set the target secret type: it must be kubernetes.io/tls`
            : `ExternalSecret "${o.name}" produces a ${JSON.stringify(type)} secret: it must be kubernetes.io/tls`,
          'Set spec.target.template.type: kubernetes.io/tls (template.engineVersion: v2).',
        );
      }
    }
  },
});

export const mtlsSecretKeys = defineRule({
  id: 'mtls/secret-keys',
  severity: 'error',
  title: 'mTLS secret lacks tls.crt, tls.key or ca.crt',
  docs: "The worker reads three files from the mounted secret: tls.crt (its client certificate), tls.key (its key) and ca.crt (the CA that signed the PostgreSQL and Redis server certificates). A missing key makes nautobot_config.py fail at start with `FileNotFoundError: SSL certificate file required by NAUTOBOT_DB_SSLCERT not found`. The ExternalSecret's `spec.target.template.data` (or its `spec.data[].secretKey`s) must produce all three.",
  check(ctx) {
    for (const cluster of ctx.clusters) {
      for (const o of mtlsExternalSecrets(ctx, cluster)) {
        const present = new Set(Object.keys(templateData(o) ?? {}));
        if (!templateData(o)) {
          const data = get(o.obj, ['spec', 'data']);
          if (Array.isArray(data))
            for (const d of data) if (isObj(d) && typeof d.secretKey === 'string') present.add(d.secretKey);
        }
        const missing = REQUIRED_KEYS.filter((k) => !present.has(k));
        if (!missing.length) continue;
        const path: JsonPath = templateData(o) ? ['spec', 'target', 'template', 'data'] : ['spec'];
        ctx.report(
          { source: o.source, doc: o.doc, path },
          `ExternalSecret "${o.name}" does not produce ${missing.join(', ')}: the worker needs tls.crt, tls.key and ca.crt`,
          'Add the missing keys to spec.target.template.data, e.g. ca.crt: \'{{ .ca_password | filterPEM "CERTIFICATE" }}\'.',
        );
      }
    }
  },
});

export const mtlsCaFromClient = defineRule({
  id: 'mtls/ca-from-client-credential',
  severity: 'error',
  title: 'ca.crt templated from the client credential',
  docs: 'ca.crt must be the mTLS CA certificate (CN=understack-mtls-ca), which comes from the shared CA credential. Templating it from the per-site client credential (the same variable or provider key as tls.crt/tls.key) puts the client certificate into ca.crt, and every connection fails with `[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate in certificate chain` because the server chain cannot be verified. The rule compares the template variables and the provider keys behind them.',
  check(ctx) {
    for (const cluster of ctx.clusters) {
      for (const o of mtlsExternalSecrets(ctx, cluster)) {
        const data = templateData(o);
        const ca = str(data?.['ca.crt']);
        if (!data || !ca) continue;
        const caVars = templateVars(ca);
        const clientVars = new Set([
          ...templateVars(str(data['tls.crt']) ?? ''),
          ...templateVars(str(data['tls.key']) ?? ''),
        ]);
        const path: JsonPath = ['spec', 'target', 'template', 'data', 'ca.crt'];
        const shared = caVars.filter((v) => clientVars.has(v));
        const hint =
          'Template ca.crt from the shared CA credential, e.g. \'{{ .ca_password | filterPEM "CERTIFICATE" }}\' with a dataFrom rewrite to the ca_ prefix.';
        if (shared.length) {
          ctx.report(
            { source: o.source, doc: o.doc, path },
            `ca.crt is templated from .${shared[0]}, the same credential as the client certificate: it would contain the client certificate, not the CA`,
            hint,
          );
          continue;
        }
        const clientCreds = new Set([...clientVars].map((v) => credentialOf(o, v)).filter(Boolean));
        const sameCred = caVars.find((v) => {
          const c = credentialOf(o, v);
          return c !== undefined && clientCreds.has(c);
        });
        if (sameCred) {
          ctx.report(
            { source: o.source, doc: o.doc, path },
            `ca.crt reads .${sameCred}, which comes from the same provider credential (${credentialOf(o, sameCred)}) as tls.crt/tls.key: it would contain the client certificate, not the CA`,
            hint,
          );
          continue;
        }
        const clientish = caVars.find((v) => /client|tls/i.test(v) && !/(^|_)ca(_|$)/i.test(v));
        if (clientish) {
          ctx.report(
            { source: o.source, doc: o.doc, path },
            `ca.crt is templated from .${clientish}, which looks like the client credential, not the CA certificate`,
            hint,
          );
        }
      }
    }
  },
});

const CR_STRIP = /regexFind|regexReplaceAll|replace\s+"\\r"|replace\s+"\\\\r"|trimAll\s+"\\r"|replace\s+`\r`/;

export const mtlsManualCrStrip = defineRule({
  id: 'mtls/manual-cr-strip',
  severity: 'warning',
  title: 'Manual \\r stripping instead of filterPEM',
  docs: 'Secrets providers that store text with CRLF line endings yield PEM blocks OpenSSL rejects (`[SSL] PEM lib`). Hand-written `regexFind` / `replace "\\r" ""` pipelines are brittle (they miss the final block or mangle concatenated blocks); External Secrets\' `filterPEM "<TYPE>"` extracts exactly one block type and strips carriage returns. Use it for tls.crt, tls.key and ca.crt.',
  check(ctx) {
    for (const cluster of ctx.clusters) {
      for (const o of ctx.objects(cluster).filter((x) => x.kind === 'ExternalSecret')) {
        for (const [k, v] of Object.entries(templateData(o) ?? {})) {
          if (typeof v === 'string' && CR_STRIP.test(v)) {
            ctx.report(
              { source: o.source, doc: o.doc, path: ['spec', 'target', 'template', 'data', k] },
              `${k} strips carriage returns by hand (regexFind/replace): use filterPEM, which also removes \\r`,
              `Write: '{{ .<credential> | filterPEM "${k === 'tls.key' ? 'EC PRIVATE KEY' : 'CERTIFICATE'}" }}'.`,
            );
          }
        }
      }
    }
  },
});

const KEY_TYPES = ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'];

/** PEM block type cert-manager writes for a Certificate's private key. */
export function pemTypeOf(certObj: Record<string, unknown>): string {
  const pk = get(certObj, ['spec', 'privateKey']);
  const algorithm = str(get(pk, ['algorithm'])) ?? 'RSA';
  const encoding = str(get(pk, ['encoding'])) ?? 'PKCS1';
  if (algorithm === 'Ed25519' || encoding === 'PKCS8') return 'PRIVATE KEY';
  return algorithm === 'ECDSA' ? 'EC PRIVATE KEY' : 'RSA PRIVATE KEY';
}

export const mtlsPemType = defineRule({
  id: 'mtls/pem-type',
  severity: 'error',
  title: 'filterPEM type does not match the content',
  docs: 'filterPEM returns only blocks of the exact type named, so `filterPEM "PRIVATE KEY"` on an `EC PRIVATE KEY` block yields an empty tls.key (and the reverse). cert-manager writes `EC PRIVATE KEY` for ECDSA and `RSA PRIVATE KEY` for RSA with the default PKCS1 encoding, and `PRIVATE KEY` for PKCS8 or Ed25519. tls.crt and ca.crt take `CERTIFICATE`. When the global cluster is in the same repo, the site\'s key type is checked against the Certificate issued for that site: a manifest, or the nautobot-mtls chart\'s `client.privateKey` (algorithm and encoding) in `<global>/nautobot-mtls/values.yaml`.',
  check(ctx) {
    const globalCerts = ctx.repo.clusters
      .filter((c) => c.isGlobal)
      .flatMap((c) => ctx.certificates(c))
      .filter((o) => (o.origin === 'manifest' ? isClientCertificate(o.obj) : o.role === 'client'));
    for (const cluster of ctx.clusters) {
      const issuedForSite = globalCerts.filter((c) => siteOf(ctx, c) === cluster);
      for (const o of mtlsExternalSecrets(ctx, cluster)) {
        const data = templateData(o);
        for (const key of REQUIRED_KEYS) {
          const tpl = str(data?.[key]);
          if (!tpl) continue;
          const path: JsonPath = ['spec', 'target', 'template', 'data', key];
          for (const m of tpl.matchAll(/filterPEM\s+"([^"]*)"/g)) {
            const t = m[1]!;
            if (key !== 'tls.key' && t !== 'CERTIFICATE') {
              ctx.report(
                { source: o.source, doc: o.doc, path },
                `${key} uses filterPEM "${t}": a certificate block is "CERTIFICATE"`,
                `Write filterPEM "CERTIFICATE".`,
              );
            } else if (key === 'tls.key' && !KEY_TYPES.includes(t)) {
              ctx.report(
                { source: o.source, doc: o.doc, path },
                `tls.key uses filterPEM "${t}", which is not a private key block type`,
                `Use one of ${KEY_TYPES.map((x) => `"${x}"`).join(', ')} to match the key.`,
              );
            } else if (key === 'tls.key') {
              for (const issued of issuedForSite) {
                const want = pemTypeOf(issued.obj);
                if (want === t) continue;
                ctx.report(
                  { source: o.source, doc: o.doc, path },
                  `tls.key uses filterPEM "${t}" but Certificate "${issued.name}" (${issued.origin === 'manifest' ? issued.source.file : `nautobot-mtls chart, ${issued.definedIn}`}) issues a key written as "${want}": tls.key would be empty`,
                  issued.origin === 'manifest'
                    ? `Write filterPEM "${want}".`
                    : `Write filterPEM "${want}", or change ${issued.field(['spec', 'privateKey', 'encoding'])} in ${issued.definedIn} (PKCS1 writes "EC PRIVATE KEY"/"RSA PRIVATE KEY", PKCS8 "PRIVATE KEY").`,
                );
              }
            }
          }
        }
      }
    }
  },
});

export const mtlsSecretMissing = defineRule({
  id: 'mtls/secret-missing',
  severity: 'error',
  title: 'Nothing on the site produces the mTLS secret',
  docs: 'With mTLS on (the worker chart\'s default), the worker pod mounts the secret named by `mtls.secretName` (default `nautobot-mtls-client`). If no ExternalSecret (or Secret) in the site cluster\'s files produces it, the pod never starts (`MountVolume.SetUp failed ... secret "nautobot-mtls-client" not found`). Add the mTLS ExternalSecret to the worker overlay and its kustomization.',
  check(ctx) {
    for (const cluster of ctx.clusters.filter((c) => c.isSite)) {
      const w = ctx.worker(cluster);
      if (!w?.mtlsEnabled) continue;
      const produced = ctx
        .objects(cluster)
        .some(
          (o) =>
            (o.kind === 'ExternalSecret' && externalSecretTarget(o.obj) === w.secretName) ||
            ((o.kind === 'Secret' || o.kind === 'SealedSecret') && o.name === w.secretName),
        );
      if (produced) continue;
      ctx.report(
        {
          source: w.source,
          doc: 0,
          path: isObj(w.values.mtls) && 'secretName' in w.values.mtls ? ['mtls', 'secretName'] : [],
        },
        `no ExternalSecret in cluster "${cluster.name}" produces the mTLS secret "${w.secretName}" the worker mounts`,
        `Add ${cluster.dir}/nautobot-worker/externalsecret-nautobot-mtls-client.yaml (target ${w.secretName}, type kubernetes.io/tls) and list it in kustomization.yaml.`,
      );
    }
  },
});

const PEM_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----/;
/** Key stores that hold private keys in binary form (PKCS#12, Java key stores). */
const KEY_STORE = /\.(p12|pfx|jks|keystore)$/i;

export const privateKeyLiteral = defineRule({
  id: 'secrets/private-key-literal',
  severity: 'error',
  title: 'Private key committed in plain text',
  docs: "A private key in a deploy-repo file is readable by everyone with access to the repository and its history; on a site cluster it may be the CA key itself. The linter finds PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----`) in every file under a cluster, YAML or not (a `ca.key` beside a kustomization for its secretGenerator is as exposed as one in a manifest), base64-encoded PEM keys in a Secret's `data`, and binary key stores (`.p12`, `.pfx`, `.jks`, `.keystore`). Keys belong in the secrets provider and reach clusters through ExternalSecrets.",
  check(ctx) {
    const hint =
      'Remove it (and rotate the key: it is in git history); store it in the secrets provider and pull it with an ExternalSecret.';
    const where = (c: Cluster) =>
      c.isSite && !c.isGlobal
        ? ` on site cluster "${c.name}" (if it is the mTLS CA key, every site and server can be impersonated)`
        : '';
    for (const cluster of ctx.clusters) {
      for (const source of cluster.sources) {
        const m = PEM_KEY.exec(source.text);
        if (!m) continue;
        const pos = source.lineCounter.linePos(m.index);
        ctx.report(
          { file: source.file, position: { line: pos.line, column: pos.col } },
          `a private key PEM block (${m[1] ?? ''}PRIVATE KEY) is committed in plain text${where(cluster)}`,
          hint,
        );
      }
      for (const [file, buf] of ctx.repo.otherFiles) {
        if (!file.startsWith(`${cluster.dir}/`)) continue;
        if (KEY_STORE.test(file)) {
          ctx.report(
            { file, position: { line: 1, column: 1 } },
            `a binary key store (${file.slice(file.lastIndexOf('.'))}) is committed${where(cluster)}: it holds private keys`,
            hint,
          );
          continue;
        }
        // latin1 keeps byte offsets, so a key in a non-UTF-8 or binary file is still found.
        const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
        const m = PEM_KEY.exec(text);
        if (!m) continue;
        const before = text.slice(0, m.index);
        const line = before.split('\n').length;
        const column = m.index - before.lastIndexOf('\n');
        ctx.report(
          { file, position: { line, column } },
          `a private key PEM block (${m[1] ?? ''}PRIVATE KEY) is committed in plain text${where(cluster)}`,
          `${hint} A kustomize secretGenerator that reads this file belongs nowhere near git either.`,
        );
      }
      for (const o of ctx.objects(cluster)) {
        if (o.kind !== 'Secret') continue;
        const data = get(o.obj, ['data']);
        if (!isObj(data)) continue;
        for (const [k, v] of Object.entries(data)) {
          if (typeof v !== 'string' || v.length < 40) continue;
          const decoded = Buffer.from(v.replace(/\s+/g, ''), 'base64').toString('latin1');
          const m = PEM_KEY.exec(decoded);
          if (!m) continue;
          ctx.report(
            { source: o.source, doc: o.doc, path: ['data', k] },
            `Secret "${o.name}" data.${k} is a base64-encoded private key PEM block (${m[1] ?? ''}PRIVATE KEY; base64 is an encoding, not encryption)${where(cluster)}`,
            hint,
          );
        }
      }
    }
  },
});

export const mtlsRules: Rule[] = [
  caOnSite,
  mtlsSecretType,
  mtlsSecretKeys,
  mtlsCaFromClient,
  mtlsManualCrStrip,
  mtlsPemType,
  mtlsSecretMissing,
  privateKeyLiteral,
];
