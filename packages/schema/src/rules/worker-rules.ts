/**
 * The site worker's values: certificate volume mode, DB/Redis TLS env vars and paths, CA bundles, literal secrets.
 * Every check uses the worker's *effective* configuration: what the values set, else what the nautobot-worker chart
 * sets itself (with `mtls.enabled`, the default: the secret mount and NAUTOBOT_DB_SSLMODE/SSLNEGOTIATION).
 */
import { dnsMatches, envEntries, get, isObj, tlsRoutes, WORKER_DIR, type WorkerConfig, walk } from '../model.js';
import { rawScalar } from '../source.js';
import { defineRule, type Rule, type RuleContext } from './api.js';

function* workers(ctx: RuleContext): Generator<WorkerConfig> {
  for (const c of ctx.clusters.filter((x) => x.isSite)) {
    const w = ctx.worker(c);
    if (w) yield w;
  }
}

export const certVolumeMode = defineRule({
  id: 'worker/cert-volume-mode',
  severity: 'error',
  title: 'Certificate volume defaultMode is not 256 (0400)',
  docs: 'The mounted client key must be readable by its owner only: `defaultMode: 256` (octal 0400). The classic trap is writing `400`, which is *decimal* 400 = octal 0620 (owner read-write, group write); a missing defaultMode means 420 (0644, world-readable key). libpq also refuses a key file with group/other permissions. Applies to `mtls.defaultMode` and to any volume of the mTLS secret.',
  check(ctx) {
    for (const w of workers(ctx)) {
      const checks: Array<{ value: unknown; path: (string | number)[]; what: string }> = [];
      if (isObj(w.values.mtls) && 'defaultMode' in w.values.mtls) {
        checks.push({ value: w.values.mtls.defaultMode, path: ['mtls', 'defaultMode'], what: 'mtls.defaultMode' });
      }
      for (const v of w.secretVolumes.filter((x) => x.secretName === w.secretName)) {
        checks.push({
          value: v.defaultMode,
          path: [...v.path, ...(v.defaultMode === undefined ? [] : ['defaultMode'])],
          what: `defaultMode of volume ${v.volumeName ?? v.secretName}`,
        });
      }
      for (const c of checks) {
        if (c.value === 256) continue;
        const msg =
          c.value === undefined
            ? `volume ${c.what.replace('defaultMode of volume ', '')} has no defaultMode: Kubernetes uses 420 (0644) and the private key becomes world-readable`
            : c.value === 400
              ? `${c.what} is 400: that is decimal 400 = octal 0620 (group-writable), not 0400`
              : `${c.what} is ${JSON.stringify(c.value)} (octal 0${typeof c.value === 'number' ? c.value.toString(8) : '?'}): the key must be owner-read-only, 256 (0400)`;
        ctx.report({ source: w.source, doc: 0, path: c.path }, msg, 'Write defaultMode: 256 (decimal for octal 0400).');
      }
    }
  },
});

export const certVolumeModeOctal = defineRule({
  id: 'worker/cert-volume-mode-octal',
  severity: 'warning',
  title: 'defaultMode written as a YAML octal',
  docs: '`defaultMode: 0400` is octal 256 under YAML 1.1 (what Kubernetes and Helm use) but the integer 400 under YAML 1.2 (what many editors, linters and `yq` use), so the same file means two different modes depending on the reader. Write the unambiguous decimal `256`.',
  check(ctx) {
    for (const w of workers(ctx)) {
      const paths: (string | number)[][] = [];
      if (isObj(w.values.mtls) && 'defaultMode' in w.values.mtls) paths.push(['mtls', 'defaultMode']);
      for (const v of w.secretVolumes) if (v.defaultMode !== undefined) paths.push([...v.path, 'defaultMode']);
      for (const p of paths) {
        const raw = rawScalar(w.source, 0, p);
        if (raw && /^0[0-7]+$/.test(raw)) {
          ctx.report(
            { source: w.source, doc: 0, path: p },
            `defaultMode is written as the octal literal ${raw}: YAML 1.2 readers see the integer ${Number(raw)}`,
            `Write ${Number.parseInt(raw, 8)}.`,
          );
        }
      }
    }
  },
});

const WEAK_SSLMODES = ['disable', 'allow', 'prefer', 'require'];

export const dbSslmode = defineRule({
  id: 'worker/db-sslmode',
  severity: 'error',
  title: 'NAUTOBOT_DB_SSLMODE missing or weaker than verify-ca',
  docs: 'The global PostgreSQL accepts only `hostssl ... cert` connections, and nautobot_config.py presents the client certificate only when NAUTOBOT_DB_SSLMODE is `verify-ca` or `verify-full`. Unset means plain TCP with a password (rejected by pg_hba); `require` encrypts but presents no certificate and verifies nothing. The worker chart sets it from `mtls.dbSslMode` (default `verify-ca`) when `mtls.enabled` is true (its default), so a site values file may omit it; a weaker `mtls.dbSslMode` or `extraEnvVars` override, or `mtls.enabled: false` without an explicit mode, is an error.',
  check(ctx) {
    for (const w of workers(ctx)) {
      const eff = w.effectiveEnv('NAUTOBOT_DB_SSLMODE');
      if (eff?.entry?.valueFrom !== undefined) continue;
      const v = eff?.value?.trim();
      if (v === 'verify-ca' || v === 'verify-full') continue;
      const what = eff?.from === 'values' ? 'mtls.dbSslMode' : 'NAUTOBOT_DB_SSLMODE';
      if (!v) {
        ctx.report(
          { source: w.source, doc: 0, path: eff?.path ?? w.mtlsEnabledPath ?? [] },
          w.mtlsEnabled
            ? `${what} is empty: the worker would connect without TLS and pg_hba rejects it`
            : 'mtls.enabled is false and NAUTOBOT_DB_SSLMODE is not set: the worker connects without TLS or a client certificate, and the global pg_hba (hostssl ... cert) rejects it',
          'Keep mtls.enabled: true (the chart then sets NAUTOBOT_DB_SSLMODE=verify-ca), or set NAUTOBOT_DB_SSLMODE=verify-ca and mount the client certificate.',
        );
      } else if (WEAK_SSLMODES.includes(v)) {
        ctx.report(
          { source: w.source, doc: 0, path: eff!.path ?? [] },
          `${what} is "${v}", weaker than verify-ca: ${v === 'require' ? 'no client certificate is presented and the server is not verified' : 'the connection may be unencrypted'}`,
          `Set ${what} to verify-ca (or delete the override: the chart defaults to verify-ca).`,
        );
      } else {
        ctx.report(
          { source: w.source, doc: 0, path: eff!.path ?? [] },
          `${what} is "${v}", not a libpq sslmode`,
          'Use verify-ca or verify-full.',
        );
      }
    }
  },
});

/** Does the host go through the global gateway (TLS passthrough) rather than an in-cluster service? */
function viaGateway(ctx: RuleContext, host: string): boolean {
  const routes = tlsRoutes(ctx.repo);
  if (routes.some((r) => dnsMatches(r.fqdn, host))) return true;
  const h = host.toLowerCase();
  if (!h.includes('.') || h === 'localhost' || /\.svc(\.cluster\.local)?$/.test(h) || /^[\d.]+$/.test(h)) return false;
  return true;
}

export const dbSslnegotiation = defineRule({
  id: 'worker/db-sslnegotiation',
  severity: 'error',
  title: 'sslnegotiation is not direct for a DB behind TLS passthrough',
  docs: 'Envoy routes PostgreSQL by the TLS SNI, which only exists when the client starts with a TLS ClientHello: `sslnegotiation=direct` (libpq/PostgreSQL 17+). The classic negotiation sends a plaintext SSLRequest first, which carries no SNI and cannot be routed, so the connection hangs or is reset. The worker chart sets NAUTOBOT_DB_SSLNEGOTIATION from `mtls.dbSslNegotiation` (default `direct`) with mTLS on; a site must not set it to `postgres` (in `mtls.dbSslNegotiation` or `extraEnvVars`) when its DB host is a gateway FQDN.',
  check(ctx) {
    for (const w of workers(ctx)) {
      if (!w.dbHost || !viaGateway(ctx, w.dbHost.host)) continue;
      const eff = w.effectiveEnv('NAUTOBOT_DB_SSLNEGOTIATION');
      if (eff?.entry?.valueFrom !== undefined || eff?.value === 'direct') continue;
      ctx.report(
        { source: w.source, doc: 0, path: eff?.path ?? w.mtlsEnabledPath ?? w.dbHost.path },
        eff?.value
          ? `${eff.from === 'values' ? 'mtls.dbSslNegotiation' : 'NAUTOBOT_DB_SSLNEGOTIATION'} is "${eff.value}" but ${w.dbHost.host} goes through the TLS passthrough gateway: the plaintext SSLRequest carries no SNI and cannot be routed`
          : `${w.dbHost.host} goes through the TLS passthrough gateway but NAUTOBOT_DB_SSLNEGOTIATION is not "direct" (mTLS is off, so the chart does not set it)`,
        'Set NAUTOBOT_DB_SSLNEGOTIATION=direct (needs libpq >= 17), or keep mtls.enabled: true so the chart sets it.',
      );
    }
  },
});

const REDIS_FILES = ['NAUTOBOT_REDIS_SSL_CA_CERTS', 'NAUTOBOT_REDIS_SSL_CERTFILE', 'NAUTOBOT_REDIS_SSL_KEYFILE'];

export const redisSslPartial = defineRule({
  id: 'worker/redis-ssl-partial',
  severity: 'warning',
  title: 'Partial NAUTOBOT_REDIS_SSL_* settings',
  docs: 'nautobot_config.py turns Redis mutual TLS on when any NAUTOBOT_REDIS_SSL_* variable is set and fills the unset ones from the mTLS mount (NAUTOBOT_MTLS_DIR, default /etc/nautobot/mtls). Setting some of NAUTOBOT_REDIS_SSL_CA_CERTS / _CERTFILE / _KEYFILE but not all mixes explicit paths with defaults: usually a leftover from another layout, and a crash (`FileNotFoundError`) as soon as the mount moves. Set all three or none (auto-detection from the mounted ca.crt is the simplest).',
  check(ctx) {
    for (const w of workers(ctx)) {
      const set = w.env.filter((e) => REDIS_FILES.includes(e.name) || e.name === 'NAUTOBOT_REDIS_SSL_CERT_REQS');
      if (!set.length) continue;
      const names = new Set(set.map((e) => e.name));
      const missing = REDIS_FILES.filter((n) => !names.has(n));
      if (!missing.length || missing.length === REDIS_FILES.length) continue;
      ctx.report(
        { source: w.source, doc: 0, path: set[0]!.path },
        `NAUTOBOT_REDIS_SSL_* is partly set: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing and fall${missing.length === 1 ? 's' : ''} back to ${w.mountPath}/`,
        `Set all of ${REDIS_FILES.join(', ')} under ${w.mountPath}/, or remove them all and let nautobot_config.py detect the mounted certificate.`,
      );
    }
  },
});

export const redisTlsWeak = defineRule({
  id: 'worker/redis-tls-weak',
  severity: 'error',
  title: 'Redis TLS turned off or not verifying the server',
  docs: 'The global Redis runs with TLS and `authClients: true`: every client must speak TLS and present the client certificate. `nautobot.redis.ssl: false`, NAUTOBOT_REDIS_SSL=false or a NAUTOBOT_REDIS_SCHEME other than rediss turns Redis TLS off and the connection is refused; NAUTOBOT_REDIS_SSL_CERT_REQS other than `required` stops verifying the Redis server certificate, so anyone on the path can impersonate Redis (nautobot_config.py refuses `none` at start).',
  check(ctx) {
    for (const w of workers(ctx)) {
      const redisSsl = get(w.values, ['nautobot', 'redis', 'ssl']);
      if (w.mtlsEnabled && redisSsl === false) {
        ctx.report(
          { source: w.source, doc: 0, path: ['nautobot', 'redis', 'ssl'] },
          'nautobot.redis.ssl is false while mtls.enabled is true: the client certificate only travels over TLS, and Redis (authClients: true) refuses plain connections',
          'Set nautobot.redis.ssl: true (the chart default).',
        );
      }
      for (const e of w.env) {
        const v = e.value?.trim().toLowerCase();
        if (v === undefined) continue;
        if (e.name === 'NAUTOBOT_REDIS_SSL' && ['false', '0', 'no', 'off', ''].includes(v)) {
          ctx.report(
            { source: w.source, doc: 0, path: e.valuePath },
            `NAUTOBOT_REDIS_SSL is "${e.value}": the worker would connect to Redis without TLS, and Redis (authClients: true) refuses it`,
            'Remove NAUTOBOT_REDIS_SSL (TLS is auto-detected from the mounted CA) or set it to true.',
          );
        } else if (e.name === 'NAUTOBOT_REDIS_SCHEME' && v !== 'rediss') {
          ctx.report(
            { source: w.source, doc: 0, path: e.valuePath },
            `NAUTOBOT_REDIS_SCHEME is "${e.value}": only rediss carries Redis mutual TLS`,
            'Set it to rediss or remove it.',
          );
        } else if (e.name === 'NAUTOBOT_REDIS_SSL_CERT_REQS' && v.replace(/^cert_/, '') !== 'required') {
          ctx.report(
            { source: w.source, doc: 0, path: e.valuePath },
            `NAUTOBOT_REDIS_SSL_CERT_REQS is "${e.value}": the Redis server certificate would not be verified`,
            'Set it to required (the default) or remove it.',
          );
        }
      }
    }
  },
});

const PATH_VARS: Record<string, string> = {
  NAUTOBOT_DB_SSLCERT: 'tls.crt',
  NAUTOBOT_DB_SSLKEY: 'tls.key',
  NAUTOBOT_DB_SSLROOTCERT: 'ca.crt',
  NAUTOBOT_REDIS_SSL_CA_CERTS: 'ca.crt',
  NAUTOBOT_REDIS_SSL_CERTFILE: 'tls.crt',
  NAUTOBOT_REDIS_SSL_KEYFILE: 'tls.key',
};

export const certPathOutsideMount = defineRule({
  id: 'worker/cert-path-outside-mount',
  severity: 'error',
  title: 'Certificate path outside the mTLS mount or naming the wrong file',
  docs: 'The client certificate secret is mounted at one directory (`mtls.mountPath`, default /etc/nautobot/mtls) with exactly three files. A certificate env var that points elsewhere fails at start with FileNotFoundError; one that names the wrong file (the CA bundle pointing at tls.crt, the key var at tls.crt) fails the TLS handshake in ways that are hard to diagnose, e.g. `self-signed certificate in certificate chain`. Each of NAUTOBOT_DB_SSLCERT/SSLKEY/SSLROOTCERT and NAUTOBOT_REDIS_SSL_CERTFILE/KEYFILE/CA_CERTS must be `<mountPath>/<its file>`.',
  check(ctx) {
    for (const w of workers(ctx)) {
      for (const e of w.env) {
        const want = PATH_VARS[e.name];
        if (!want || e.value === undefined) continue;
        const expected = `${w.mountPath}/${want}`;
        if (e.value === expected) continue;
        const inMount = e.value.startsWith(`${w.mountPath}/`);
        ctx.report(
          { source: w.source, doc: 0, path: e.valuePath },
          inMount
            ? `${e.name} points at ${e.value}, but it needs the ${want === 'ca.crt' ? 'CA certificate' : want === 'tls.key' ? 'client key' : 'client certificate'} ${expected}`
            : `${e.name} points at ${e.value}, outside the mTLS mount ${w.mountPath}: the file will not exist`,
          `Set ${e.name}=${expected} (or drop it: nautobot_config.py defaults to ${expected}).`,
        );
      }
    }
  },
});

export const caBundlePrivateOnly = defineRule({
  id: 'worker/ca-bundle-private-only',
  severity: 'warning',
  title: 'SSL_CERT_FILE / REQUESTS_CA_BUNDLE is the private CA alone',
  docs: "SSL_CERT_FILE and REQUESTS_CA_BUNDLE replace the *whole* trust store of OpenSSL and Python requests. Pointing them at the mTLS ca.crt makes every outbound HTTPS call to a public host (Git repositories, plugin APIs, webhooks) fail with CERTIFICATE_VERIFY_FAILED. The DB and Redis clients already get the CA through their own variables. The worker chart's `mtls.trustBundle.mode: combined` (default) builds a bundle of the system CAs plus the private CA; `private-ca` and explicit env vars pointing at ca.crt are reported.",
  check(ctx) {
    for (const w of workers(ctx)) {
      const overridden = w.env.some((e) => e.name === 'SSL_CERT_FILE' || e.name === 'REQUESTS_CA_BUNDLE');
      if (w.mtlsEnabled && w.trustBundle.mode === 'private-ca' && !overridden) {
        ctx.report(
          { source: w.source, doc: 0, path: w.trustBundle.path ?? w.mtlsEnabledPath ?? [] },
          `mtls.trustBundle.mode is private-ca: SSL_CERT_FILE and REQUESTS_CA_BUNDLE point at ${w.mountPath}/ca.crt alone, so outbound HTTPS to public hosts will fail`,
          'Use mtls.trustBundle.mode: combined (the default: system CAs plus the mTLS CA).',
        );
      }
      for (const e of w.env) {
        if ((e.name === 'SSL_CERT_FILE' || e.name === 'REQUESTS_CA_BUNDLE') && e.value?.startsWith(`${w.mountPath}/`)) {
          ctx.report(
            { source: w.source, doc: 0, path: e.valuePath },
            `${e.name}=${e.value} replaces the system trust store with the private mTLS CA: outbound HTTPS to public hosts will fail`,
            'Remove it (DB and Redis get the CA via their own settings), or point it at a combined bundle (system CAs + the mTLS CA).',
          );
        }
      }
    }
  },
});

/** Substrings that make an env var name a secret's name (the issue's `*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*KEY*`). */
const SECRET_SUBSTRINGS = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL/;
/** Last words that make the value a reference to a secret, not the secret itself. */
const REFERENCE_WORDS = new Set([
  'ID',
  'URL',
  'URI',
  'NAME',
  'REF',
  'TYPE',
  'HOST',
  'PORT',
  'ALGORITHM',
  'SIZE',
  'LENGTH',
]);
/** ... and last words ending like these (`_FILE`, `SSL_KEYFILE`, `_CERTPATH`, `_DIR`). */
const REFERENCE_SUFFIX = /(FILE|PATH|DIR)$/;

/**
 * Is this env var named like a secret? Any name containing PASSWORD, PASSWD, SECRET, TOKEN, KEY or CREDENTIAL
 * (substrings, so `SSHKEY` and `DJANGO_APIKEY2` count), unless its last word names a reference (`*_FILE`, `*KEYFILE`,
 * `*_PATH`, `*_DIR`, `*_ID`, `*_URL`, `*_NAME`, `*_HOST`, ...) or it has a `PUBLIC` word.
 * `NAUTOBOT_SECRET_KEY`, `REDIS_PASSWORD`, `GITHUB_TOKEN` yes; `KEYCLOAK_URL`, `AWS_ACCESS_KEY_ID`, `*_KEYFILE` no.
 */
export function looksSecret(name: string): boolean {
  const upper = name.toUpperCase();
  const words = upper.split(/[^A-Z0-9]+/).filter(Boolean);
  if (!words.length || words.includes('PUBLIC')) return false;
  const last = words[words.length - 1]!;
  if (REFERENCE_WORDS.has(last) || REFERENCE_SUFFIX.test(last)) return false;
  return SECRET_SUBSTRINGS.test(upper);
}

/** A literal that is a file path: absolute, only path characters (no `+`, `=`: base64 secrets can start with `/`). */
const PATH_LIKE = /^\/[A-Za-z0-9._/-]+$/;
/** Extensions of certificate, key and config files a secret-named variable may legitimately point at. */
const FILE_EXT = /\.(crt|cer|pem|key|p12|pfx|jks|json|ya?ml|conf|cfg|ini|txt|env)$/i;

/**
 * Is this literal a reference to a file rather than a secret? An absolute path of path characters only that either
 * lies under a mount of the pod (the mTLS mount, or any `mountPath` in the same file) or ends in a certificate/key/
 * config file extension: `NAUTOBOT_DB_SSLKEY=/etc/nautobot/mtls/tls.key` is a reference, `/x8Zk3q9+...=` is not.
 */
export function isFileReference(value: string, mounts: readonly string[]): boolean {
  if (!PATH_LIKE.test(value) || value.includes('//') || value.split('/').includes('..')) return false;
  if (FILE_EXT.test(value)) return true;
  return mounts.some((m) => {
    const base = m.replace(/\/+$/, '');
    return base.length > 1 && value.startsWith(`${base}/`) && value.length > base.length + 1;
  });
}

export const literalSecretEnv = defineRule({
  id: 'secrets/literal-env',
  severity: 'error',
  title: 'Secret as a literal env value',
  docs: 'An env var named like a secret (its name contains PASSWORD, PASSWD, SECRET, TOKEN, KEY or CREDENTIAL, e.g. `NAUTOBOT_SECRET_KEY`, `SSHKEY`) with a literal `value` puts the secret into git, the rendered Application and `kubectl describe pod`. Use `valueFrom.secretKeyRef` pointing at a secret an ExternalSecret produces. References are not secrets and are not reported: names whose last word is a reference (`*_FILE`, `*KEYFILE`, `*_PATH`, `*_DIR`, `*_ID`, `*_URL`, `*_NAME`, `*_HOST`, as in AWS_ACCESS_KEY_ID, KEYCLOAK_URL) or has a PUBLIC word, `$(VAR)` expansions, booleans, and file paths: an absolute path of path characters only (no `+` or `=`, which base64 secrets may contain) that lies under the mTLS mount or another `mountPath` of the same file, or ends in a certificate/key/config extension (`.crt`, `.key`, `.pem`, ...), e.g. `NAUTOBOT_DB_SSLKEY=/etc/nautobot/mtls/tls.key`.',
  check(ctx) {
    for (const cluster of ctx.clusters) {
      const w = ctx.worker(cluster);
      for (const source of cluster.sources) {
        if (source === cluster.deploy) continue;
        for (const d of source.docs) {
          if (d.value === undefined) continue;
          const mounts = [ctx.options.workerChart.mountPath];
          if (w && w.source === source) mounts.push(w.mountPath);
          for (const [node, path] of walk(d.value)) {
            if (path[path.length - 1] === 'mountPath' && typeof node === 'string') mounts.push(node);
          }
          for (const e of envEntries(d.value)) {
            if (!looksSecret(e.name) || e.value === undefined) continue;
            const v = e.value.trim();
            if (!v || /^\$\(\w+\)$/.test(v) || v === 'true' || v === 'false' || isFileReference(v, mounts)) continue;
            ctx.report(
              { source, doc: d.index, path: e.valuePath },
              `${e.name} has a literal value: secrets must come from valueFrom.secretKeyRef`,
              `Replace value with valueFrom: { secretKeyRef: { name: <secret>, key: <key> } } and deliver the secret through an ExternalSecret.`,
            );
          }
        }
      }
    }
  },
});

export const workerOverlayMissing = defineRule({
  id: 'deploy/worker-overlay-missing',
  severity: 'error',
  title: 'nautobot_worker enabled without its overlay',
  docs: 'When `site.nautobot_worker.enabled` is true, the worker Application reads `<cluster>/nautobot-worker/values.yaml` as a Helm value file and applies `<cluster>/nautobot-worker/` (its kustomization.yaml and ExternalSecrets) as a second source. Without them the worker starts with no DB host, no secrets and no client certificate.',
  check(ctx) {
    for (const cluster of ctx.clusters.filter((c) => c.isSite)) {
      const site = cluster.values?.site;
      const wk = isObj(site) ? site.nautobot_worker : undefined;
      if (!isObj(wk) || wk.enabled !== true) continue;
      const dir = `${cluster.dir}/${WORKER_DIR}`;
      for (const f of ['values.yaml', 'kustomization.yaml']) {
        if (ctx.repo.files.has(`${dir}/${f}`) || ctx.repo.files.has(`${dir}/${f.replace('.yaml', '.yml')}`)) continue;
        ctx.report(
          { source: cluster.deploy, doc: 0, path: ['site', 'nautobot_worker', 'enabled'] },
          `site.nautobot_worker is enabled but ${dir}/${f} does not exist`,
          `Create ${dir}/${f} (see "Adding a new site" in docs/).`,
        );
      }
    }
  },
});

export const componentScopeDisabled = defineRule({
  id: 'deploy/scope-disabled',
  severity: 'warning',
  title: 'Component enabled under a disabled scope',
  docs: 'argocd-understack deploys a component only when both its scope (`global.enabled` / `site.enabled`) and the component are enabled. `site.nautobot_worker.enabled: true` under a site scope that is not enabled renders no Application and reports nothing, so the site silently has no workers. Enable the scope, or disable the component to say what you mean.',
  check(ctx) {
    for (const cluster of ctx.clusters) {
      for (const scope of ['global', 'site']) {
        const s = cluster.values?.[scope];
        if (!isObj(s) || s.enabled === true) continue;
        for (const [name, comp] of Object.entries(s)) {
          if (!isObj(comp) || !(comp.enabled === true || comp.installApp === true || comp.installConfigs === true))
            continue;
          const key = comp.enabled === true ? 'enabled' : comp.installApp === true ? 'installApp' : 'installConfigs';
          ctx.report(
            { source: cluster.deploy, doc: 0, path: [scope, name, key] },
            `${scope}.${name}.${key} is true but ${scope}.enabled is not: argocd-understack deploys nothing for it`,
            `Set ${scope}.enabled: true, or remove ${scope}.${name}.`,
          );
        }
      }
    }
  },
});

export const workerRules: Rule[] = [
  componentScopeDisabled,
  certVolumeMode,
  certVolumeModeOctal,
  dbSslmode,
  dbSslnegotiation,
  redisSslPartial,
  redisTlsWeak,
  certPathOutsideMount,
  caBundlePrivateOnly,
  literalSecretEnv,
  workerOverlayMissing,
];
