/**
 * The kind tier: two kind clusters (`global-1`, `site-iad3`) with what Argo CD would apply to each — the example deploy
 * repo rendered by @understack/render — applied server-side in sync order. cert-manager issues the real PKI on the
 * global cluster (charts/nautobot-mtls); the harness plays the external secrets provider and copies the site's Secrets
 * from the global cluster (the CA key never leaves it). Client probes run on the host through API-server port
 * forwards to the Envoy Gateway pod (bytes untouched: TLS, SNI and client certificates arrive as sent).
 * Needs Docker and the pinned kind binary; `up()` throws `TierUnavailable` without Docker.
 */

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { run, toolPath } from '@understack/scripts';
import { stringify } from 'yaml';
import { type CnpgPlan, planCluster } from '../cnpg.js';
import { probeDocker } from '../docker.js';
import type { K8sObject, Translation } from '../envoy-config.js';
import { translate } from '../envoy-config.js';
import { TierUnavailable } from '../errors.js';
import { step } from '../log.js';
import { GLOBAL_CLUSTER, loadCnpgCluster, loadGatewayObjects, SITE_CLUSTER } from '../manifests.js';
import { artifactsRoot, root } from '../paths.js';
import { DB_FQDN, type IssuedCert, issue, pkiNames, REDIS_FQDN, type SecretDir, secretDir } from '../pki.js';
import { redisProbe } from '../process/probe.js';
import { onExit } from '../process/supervisor.js';
import { runTeardownSync } from '../teardown.js';
import type { Component, Endpoint, SiteRoute, Tier } from '../tier.js';
import { timeouts } from '../timeouts.js';
import { type Forward, forwardPort } from './forward.js';
import {
  checkNegativeCerts,
  kindPkiSpecs,
  type MtlsNames,
  mtlsNames,
  WRONG_CN_CERTIFICATE,
  wrongCnCertificate,
} from './pki.js';
import {
  type ArtifactDump,
  applyOrder,
  applyPhases,
  ENVOY_GATEWAY_CONTROLLER,
  type KindCluster,
  kindArtifactPlan,
  kindClusters,
  kindCreateArgs,
  kindTeardownPlan,
  missingGatewayClasses,
  providerSecrets,
  webhookDeployments,
} from './plan.js';

const NS = 'nautobot';

/**
 * understack-render's `--format json` output: `{ clusters: [{ name, apps: [{ name, objects }] }] }`. The app-of-apps'
 * objects are Argo CD Applications (there is no Argo CD in the kind tier: their rendered content is applied instead).
 */
export function parseRendered(text: string): K8sObject[] {
  const doc = JSON.parse(text) as { clusters?: { name: string; apps?: { name: string; objects?: K8sObject[] }[] }[] };
  if (!Array.isArray(doc.clusters)) throw new Error('understack-render output: no "clusters" array');
  return doc.clusters.flatMap((c) =>
    (c.apps ?? []).filter((a) => a.name !== 'app-of-apps').flatMap((a) => a.objects ?? []),
  );
}
/** Pods behind each component (CNPG's primary label, the Redis chart's master, Envoy Gateway's proxy). */
/** Where the global cluster keeps a site's client certificate: per-site first, then the single shared name. */
export function siteClientSecretNames(site: string): string[] {
  return [`nautobot-mtls-client-${site}`, `${site}-nautobot-mtls-client`, 'nautobot-mtls-client'];
}

export const podSelectors = (cnpgName: string) => ({
  postgres: {
    namespace: NS,
    labels: `cnpg.io/cluster=${cnpgName},cnpg.io/instanceRole=primary`,
    container: 'postgres',
  },
  redis: {
    namespace: NS,
    labels: 'app.kubernetes.io/name=redis,app.kubernetes.io/component=master',
    container: 'redis',
  },
  envoy: { namespace: 'envoy-gateway-system', labels: 'app.kubernetes.io/component=proxy', container: 'envoy' },
});

export class KindTier implements Tier {
  readonly name = 'kind' as const;
  readonly isolation = 'kind';
  readonly runDir: string;
  readonly logDir: string;
  certs: Record<string, SecretDir> = {};
  issued: Record<string, IssuedCert> = {};
  secretValues: Record<string, string> = {};
  cnpg!: CnpgPlan;
  gatewayConfig!: Translation;
  private clusters = kindClusters(randomBytes(3).toString('hex'));
  private kc: Partial<Record<'global' | 'site', KubeConfig>> = {};
  private created: KindCluster[] = [];
  private forwards = new Map<string, Forward>();
  private cleanups: (() => Promise<void> | void)[] = [];
  private mtls?: MtlsNames;
  /** apiVersion/kind of what was applied to each cluster (for the artifacts; never the objects: they hold secrets). */
  private appliedKinds: Partial<Record<'global' | 'site', K8sObject[]>> = {};
  private pendingArtifacts?: Promise<void>;
  private clientSecret = '';
  private removeExitHook: () => void;

  constructor(readonly opts: { keep?: boolean } = {}) {
    this.runDir = mkdtempSync(join(tmpdir(), 'understack-e2e-kind-'));
    this.logDir = join(this.runDir, 'logs');
    mkdirSync(this.logDir);
    // Ctrl-C/SIGTERM (the supervisor's hook, as for the process tier): delete the clusters synchronously, then the run
    // folder (kubeconfigs, the PKI).
    this.removeExitHook = onExit(() => this.teardownSync());
  }

  /** The teardown commands for what exists now (empty with --keep). */
  teardownPlan() {
    return kindTeardownPlan(
      this.created.map((c) => ({
        cluster: c,
        kubeconfig: this.kubeconfig(c === this.clusters.global ? 'global' : 'site'),
      })),
      { keep: this.opts.keep, kind: toolPath('kind') },
    );
  }

  private teardownSync(): void {
    const plan = this.teardownPlan();
    for (const c of plan) process.stderr.write(`[e2e] interrupted: removing ${c.what}\n`);
    for (const f of runTeardownSync(plan, timeouts.stop * 6)) process.stderr.write(`[e2e] ${f}\n`);
    this.created.splice(0);
    if (!this.opts.keep) rmSync(this.runDir, { recursive: true, force: true });
  }

  private kubeconfig(which: 'global' | 'site'): string {
    return join(this.runDir, `kubeconfig-${which}`);
  }

  async up(): Promise<void> {
    const docker = await probeDocker();
    if (!docker.ok) throw new TierUnavailable('kind', docker.reason);
    const kind = toolPath('kind');
    if (!existsSync(kind)) throw new Error(`kind not found at ${kind}\nEither: run \`pnpm tools:install\``);
    const k8s = await import('@kubernetes/client-node');

    for (const which of ['global', 'site'] as const) {
      const c = this.clusters[which];
      const cfg = join(this.runDir, `kind-${which}.yaml`);
      writeFileSync(cfg, stringify(c.config));
      step(`kind: create cluster ${c.kindName}`);
      // Registered before `kind create` returns: a Ctrl-C or a failure half-way through still deletes it.
      this.created.push(c);
      await run(kind, kindCreateArgs(c, cfg, this.kubeconfig(which), Math.round(timeouts.serverReady / 1000) * 5));
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(this.kubeconfig(which));
      this.kc[which] = kc;
    }

    const cluster = loadCnpgCluster();
    this.cnpg = planCluster(cluster.value, cluster.source);
    const gw = await loadGatewayObjects();
    this.gatewayConfig = translate(gw.value, { backends: {}, bindAddress: '0.0.0.0', adminPort: 19000 });

    const examples = join(root(), 'examples', 'deploy');
    const render = join(root(), 'packages', 'render', 'bin', 'understack-render.js');
    // The harness is the external secrets provider (Vault in the example): the remote values it serves. The DB
    // password is CNPG's generated owner password, known once the Cluster is up (below).
    const provider: Record<string, string> = {
      'understack/nautobot-redis/password': randomBytes(18).toString('base64url'),
      'understack/nautobot-django/password': randomBytes(40).toString('base64url'),
    };
    const rendered: Partial<Record<'global' | 'site', K8sObject[]>> = {};
    for (const which of ['global', 'site'] as const) {
      const name = which === 'global' ? GLOBAL_CLUSTER : SITE_CLUSTER;
      step(`render ${name} (understack-render, the controller's target state)`);
      // The kind tier has the network, so upstream charts (operators) may be pulled; Secrets must be real to apply.
      const args = [render, examples, '-c', name, '--format', 'json', '--reveal-secrets', '--allow-network', '-q'];
      const r = await run(process.execPath, args, { reject: false });
      if (r.exitCode !== 0)
        throw new Error(
          `rendering ${name} failed (understack-render exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`,
        );
      const objects = parseRendered(r.stdout);
      rendered[which] = objects;
      if (which === 'global') {
        // The wrong-CN client certificate of the negatives: issued by cert-manager from the same CA Issuer.
        this.mtls = mtlsNames(objects, SITE_CLUSTER);
        objects.push(wrongCnCertificate(this.mtls));
        // What the global ExternalSecrets (nautobot-redis, nautobot-django) would deliver: Redis and Nautobot need
        // them to start.
        const p = providerSecrets(objects, provider);
        if (p.missing.length > 0)
          throw new Error(
            `the global cluster's ExternalSecrets ask the provider for values the kind tier does not serve:\n  ${p.missing.join('\n  ')}\nEither: add them to the provider map in src/kind/tier.ts, or use remote keys it serves (${Object.keys(provider).join(', ')})`,
          );
        objects.push(...p.secrets);
        const classes = missingGatewayClasses(objects);
        for (const c of classes)
          step(
            `${name}: no GatewayClass ${c.metadata?.name} in the render (Envoy Gateway's chart creates none): adding it for ${ENVOY_GATEWAY_CONTROLLER}`,
          );
        objects.push(...classes);
      }
      // Never written to the artifacts: the render holds Secret values.
      this.appliedKinds[which] = objects.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind }) as K8sObject);
      const phases = applyPhases(objects);
      step(`${name}: apply ${phases.builtin.length} built-in objects (CRDs, operators, workloads)`);
      await this.apply(which, phases.builtin);
      const deployments = webhookDeployments(phases.builtin);
      step(`${name}: wait for ${deployments.length} webhook Deployment(s) of the operators to be Available`);
      for (const d of deployments) await this.waitDeployment(which, d);
      step(
        `${name}: apply ${phases.custom.length} custom resources (Certificates, CNPG Cluster, Gateway, TLSRoutes, ...)`,
      );
      await this.apply(which, phases.custom);
    }

    step('wait: CNPG primary, Redis, Envoy Gateway proxy ready');
    for (const comp of ['postgres', 'redis', 'envoy'] as const) await this.waitPod(comp);

    await this.certificates();
    // CNPG's generated owner Secret is what the provider serves as `understack/nautobot-db`.
    provider['understack/nautobot-db/password'] = await this.readSecretKey(`${this.cnpg.name}-app`, 'password');
    this.secretValues = {
      'nautobot-db/password': provider['understack/nautobot-db/password'],
      'nautobot-redis/password': provider['understack/nautobot-redis/password']!,
      'nautobot-django/NAUTOBOT_SECRET_KEY': provider['understack/nautobot-django/password']!,
    };
    step(`site: the harness delivers the site's ExternalSecrets as the provider would (${this.clientSecret}, ...)`);
    const site = providerSecrets(rendered.site ?? [], provider);
    for (const m of site.missing) step(`site: not provided by the harness (not needed by the cases): ${m}`);
    const client = await this.readSecret(this.clientSecret);
    const caCert = await this.readSecret(this.mtls!.caCertSecret);
    // Only what a site may hold: the client pair and the CA certificate, never a CA private key. Shaped like the
    // site's `nautobot-mtls-client` ExternalSecret template (client pair + ca.crt of the CA certificate Secret).
    const mtlsClient = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'nautobot-mtls-client', namespace: NS },
      type: 'kubernetes.io/tls',
      stringData: {
        'tls.crt': client['tls.crt'] ?? '',
        'tls.key': client['tls.key'] ?? '',
        'ca.crt': caCert['ca.crt'] ?? '',
      },
    } as K8sObject;
    await this.apply('site', [...site.secrets, mtlsClient]);
    await this.prepare();
  }

  /** Server-side apply in Argo CD's sync order; objects of a CRD wait until the CRD is served. */
  private async apply(which: 'global' | 'site', objects: K8sObject[]): Promise<void> {
    const k8s = await import('@kubernetes/client-node');
    const api = k8s.KubernetesObjectApi.makeApiClient(this.kc[which]!);
    for (const o of applyOrder(objects)) {
      const id = `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
      const deadline = Date.now() + timeouts.serverReady;
      for (;;) {
        try {
          await api.patch(
            o as KubernetesObject,
            undefined,
            undefined,
            'understack-e2e',
            true,
            k8s.PatchStrategy.ServerSideApply,
          );
          break;
        } catch (e) {
          // A CRD just applied is not served for a few seconds ("no matches for kind"): retry until the deadline.
          if (Date.now() > deadline)
            throw new Error(`applying ${id} to ${which} failed: ${(e as Error).message}`, { cause: e });
          await new Promise((r) => setTimeout(r, timeouts.poll.kube));
        }
      }
    }
  }

  /**
   * The run's certificates: cert-manager's (the CA certificate, the site's client certificate, the wrong-CN one) read
   * from the global cluster, plus the expired and other-CA client certificates signed by the harness (kind/pki.ts). The
   * CA key pair is read into a 0700 folder only for the signing and deleted right after. A self-check makes sure each
   * negative certificate is wrong for its own reason only before any case runs.
   */
  private async certificates(): Promise<void> {
    const m = this.mtls!;
    const pki = join(this.runDir, 'pki');
    mkdirSync(pki, { recursive: true, mode: 0o700 });
    const keyDir = mkdtempSync(join(this.runDir, 'ca-key-'));
    try {
      const ca = await this.waitSecret(m.caKeySecret, ['tls.crt', 'tls.key']);
      writeFileSync(join(keyDir, 'tls.crt'), ca['tls.crt']!, { mode: 0o600 });
      writeFileSync(join(keyDir, 'tls.key'), ca['tls.key']!, { mode: 0o600 });
      step(`PKI: expired and other-CA client certificates (the expired one signed by ${m.issuer}'s CA key)`);
      this.issued = await issue(pki, kindPkiSpecs({ crt: join(keyDir, 'tls.crt'), key: join(keyDir, 'tls.key') }));
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
    for (const n of Object.keys(this.issued)) this.certs[n] = secretDir(join(pki, n));
    const fromCluster = async (name: string, secret: string) => {
      const dir = secretDir(join(pki, name));
      mkdirSync(dir.dir, { recursive: true, mode: 0o700 });
      await this.waitSecret(secret, ['tls.crt', 'tls.key', 'ca.crt']);
      await this.readSecretInto(secret, dir);
      this.certs[name] = dir;
    };
    await fromCluster(pkiNames.caCert, m.caCertSecret);
    // The site's client certificate as cert-manager issued it on the global cluster (per-site name first).
    this.clientSecret = await this.firstSecret(siteClientSecretNames(SITE_CLUSTER));
    await fromCluster(pkiNames.client, this.clientSecret);
    await fromCluster(pkiNames.clientWrongCn, WRONG_CN_CERTIFICATE);
    const problems = await checkNegativeCerts(this.certs, this.certs[pkiNames.caCert]!.ca);
    if (problems.length > 0)
      throw new Error(
        `the negative cases' certificates would not fail for their own reason against the cluster's CA (${m.caCertSecret}):\n  ${problems.join('\n  ')}`,
      );
  }

  /** A global Secret once it has every key (cert-manager writes it after issuing). */
  private async waitSecret(name: string, keys: string[]): Promise<Record<string, string>> {
    const deadline = Date.now() + timeouts.recover;
    for (;;) {
      const s = await this.readSecret(name).catch(() => undefined);
      if (s && keys.every((k) => s[k])) return s;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeouts.recover} ms waiting for Secret ${NS}/${name} on ${GLOBAL_CLUSTER} with keys ${keys.join(', ')}${s ? ` (has: ${Object.keys(s).join(', ')})` : ' (not found)'}: is the cert-manager Certificate Ready?`,
        );
      await new Promise((r) => setTimeout(r, timeouts.poll.kube));
    }
  }

  /** A Deployment with every replica available (rollout done), or a timeout naming it and its conditions. */
  private async waitDeployment(which: 'global' | 'site', d: { namespace: string; name: string }): Promise<void> {
    const k8s = await import('@kubernetes/client-node');
    const apps = this.kc[which]!.makeApiClient(k8s.AppsV1Api);
    const deadline = Date.now() + timeouts.recover;
    for (;;) {
      const dep = await apps.readNamespacedDeployment(d).catch(() => undefined);
      const want = dep?.spec?.replicas ?? 1;
      if (dep && (dep.status?.availableReplicas ?? 0) >= want) return;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeouts.recover} ms waiting for Deployment ${d.namespace}/${d.name} on ${which} to be Available: ${JSON.stringify(dep?.status?.conditions ?? 'not found')}`,
        );
      await new Promise((r) => setTimeout(r, timeouts.poll.kube));
    }
  }

  private async pods(comp: Component): Promise<string[]> {
    const k8s = await import('@kubernetes/client-node');
    const sel = podSelectors(this.cnpg.name)[comp];
    const core = this.kc.global!.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: sel.namespace, labelSelector: sel.labels });
    return list.items
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata!.name!);
  }

  private async waitPod(comp: Component): Promise<string> {
    const deadline = Date.now() + timeouts.recover;
    for (;;) {
      const pods = await this.pods(comp).catch(() => []);
      if (pods[0]) return pods[0];
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeouts.recover} ms waiting for a ready ${comp} pod (${podSelectors(this.cnpg.name)[comp].labels})`,
        );
      await new Promise((r) => setTimeout(r, timeouts.poll.kube));
    }
  }

  private async readSecret(name: string): Promise<Record<string, string>> {
    const k8s = await import('@kubernetes/client-node');
    const core = this.kc.global!.makeApiClient(k8s.CoreV1Api);
    const s = await core.readNamespacedSecret({ namespace: NS, name });
    return Object.fromEntries(
      Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  }

  private async readSecretKey(name: string, key: string): Promise<string> {
    const v = (await this.readSecret(name))[key];
    if (v === undefined) throw new Error(`Secret ${NS}/${name} on ${GLOBAL_CLUSTER} has no key ${key}`);
    return v;
  }

  private async readSecretInto(name: string, dir: SecretDir): Promise<void> {
    const s = await this.readSecret(name);
    writeFileSync(dir.crt, s['tls.crt'] ?? '', { mode: 0o600 });
    writeFileSync(dir.key, s['tls.key'] ?? '', { mode: 0o600 });
    writeFileSync(dir.ca, s['ca.crt'] ?? '', { mode: 0o600 });
  }

  private async firstSecret(names: string[]): Promise<string> {
    for (const n of names)
      if (
        await this.readSecret(n).then(
          () => true,
          () => false,
        )
      )
        return n;
    throw new Error(
      `none of the Secrets ${names.join(', ')} exists in ${NS} on ${GLOBAL_CLUSTER}: has cert-manager issued the site's client certificate (charts/nautobot-mtls)?`,
    );
  }

  private async forward(key: string, comp: Component, port: number): Promise<Forward> {
    const existing = this.forwards.get(key);
    if (existing) return existing;
    const pod = await this.waitPod(comp);
    const f = await forwardPort(this.kc.global!, podSelectors(this.cnpg.name)[comp].namespace, pod, port);
    this.forwards.set(key, f);
    return f;
  }

  gateway(fqdn: string): SiteRoute {
    const chain = this.gatewayConfig.chains.find((c) => c.serverNames.includes(fqdn));
    if (!chain) throw new Error(`no gateway route for ${fqdn}`);
    const f = this.forwards.get(`gateway:${chain.port}`);
    if (!f) throw new Error(`the gateway forward for ${fqdn} is not open (call prepare() after up())`);
    return { name: fqdn, host: '127.0.0.1', port: f.port };
  }

  /** Opens the port forwards the synchronous accessors return (gateway listeners, servers, Envoy admin). */
  async prepare(): Promise<void> {
    for (const p of new Set(this.gatewayConfig.chains.map((c) => c.port)))
      await this.forward(`gateway:${p}`, 'envoy', p);
    await this.forward('postgres', 'postgres', 5432);
    await this.forward('redis', 'redis', 6379);
    await this.forward('envoy-admin', 'envoy', 19000);
  }

  direct(component: 'postgres' | 'redis'): Endpoint {
    const f = this.forwards.get(component);
    if (!f) throw new Error(`the ${component} forward is not open (call prepare() after up())`);
    return { host: '127.0.0.1', port: f.port };
  }

  siteArgv(argv: string[]): string[] {
    return argv;
  }

  siteEnv(): NodeJS.ProcessEnv {
    const hosts = { [DB_FQDN]: '127.0.0.1', [REDIS_FQDN]: '127.0.0.1' };
    return {
      UNDERSTACK_E2E_HOSTS: JSON.stringify(hosts),
      PYTHONPATH: join(root(), 'packages', 'e2e', 'py', 'resolver'),
      PGHOSTADDR: '127.0.0.1',
    };
  }

  private async execIn(comp: Component, command: string[]): Promise<string> {
    const k8s = await import('@kubernetes/client-node');
    const { Writable } = await import('node:stream');
    const sel = podSelectors(this.cnpg.name)[comp];
    const pod = await this.waitPod(comp);
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write: (c, _e, cb) => {
          f(String(c));
          cb();
        },
      });
    await new Promise<void>((resolve, reject) => {
      new k8s.Exec(this.kc.global!)
        .exec(
          sel.namespace,
          pod,
          sel.container,
          command,
          sink((s) => (out += s)),
          sink((s) => (err += s)),
          null,
          false,
          (st) =>
            st.status === 'Success'
              ? resolve()
              : reject(new Error(`${command[0]} in ${pod} failed: ${st.message ?? ''} ${err}`)),
        )
        .catch(reject);
    });
    return out;
  }

  async sql(query: string, database = 'postgres'): Promise<unknown[][]> {
    const out = await this.execIn('postgres', ['psql', '-X', '-At', '-F', '\t', '-d', database, '-c', query]);
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
  }

  async redis(command: string[]): Promise<unknown> {
    const c = this.certs[pkiNames.client]!;
    const r = await redisProbe(
      {
        host: 'localhost',
        port: this.direct('redis').port,
        ssl: true,
        ssl_certfile: c.crt,
        ssl_keyfile: c.key,
        ssl_ca_certs: c.ca,
        ssl_cert_reqs: 'required',
        // The chain is verified against cert-manager's CA; the name cannot be: the port forward is reached as
        // 127.0.0.1 and the server certificate names only the Services and the gateway FQDN (no localhost SAN).
        ssl_check_hostname: false,
        password: this.secretValues['nautobot-redis/password']!,
      },
      command,
    );
    if (!r.ok) throw new Error(`redis ${command[0]} failed: ${r.error}`);
    return r.rows;
  }

  async gatewayUnmatched(): Promise<number> {
    const admin = `http://127.0.0.1:${(await this.forward('envoy-admin', 'envoy', 19000)).port}`;
    const text = await (await fetch(`${admin}/stats?filter=no_filter_chain_match`)).text();
    let n = 0;
    for (const m of text.matchAll(/^listener\.\S+\.no_filter_chain_match:\s*(\d+)$/gm)) n += Number(m[1]);
    return n;
  }

  async gatewayConnections(fqdn: string): Promise<number> {
    const admin = await this.forward('envoy-admin', 'envoy', 19000);
    // Envoy Gateway names stat prefixes itself: sum the downstream counters of every tcp proxy whose prefix names
    // the route's hostname.
    const text = await (await fetch(`http://127.0.0.1:${admin.port}/stats?filter=downstream_cx_total`)).text();
    let n = 0;
    for (const line of text.split('\n')) {
      const m = line.match(/^tcp\.([^:]+)\.downstream_cx_total:\s*(\d+)$/);
      if (m && m[1]!.includes(fqdn.split('.')[0]!)) n += Number(m[2]);
    }
    return n;
  }

  async serverLog(component: Component): Promise<string> {
    const k8s = await import('@kubernetes/client-node');
    const sel = podSelectors(this.cnpg.name)[component];
    const core = this.kc.global!.makeApiClient(k8s.CoreV1Api);
    const pod = await this.waitPod(component);
    return core.readNamespacedPodLog({ namespace: sel.namespace, name: pod, container: sel.container });
  }

  async restart(component: Component, whileDown?: () => Promise<void>): Promise<void> {
    if (whileDown)
      throw new Error(`restart(${component}) with a step while it is down is implemented on the process tier only`);
    const k8s = await import('@kubernetes/client-node');
    const sel = podSelectors(this.cnpg.name)[component];
    const core = this.kc.global!.makeApiClient(k8s.CoreV1Api);
    step(`fault: delete the ${component} pod`);
    for (const pod of await this.pods(component))
      await core.deleteNamespacedPod({ namespace: sel.namespace, name: pod });
    for (const [k, f] of this.forwards)
      if (k === component || k.startsWith(component === 'envoy' ? 'gateway' : component)) {
        await f.close();
        this.forwards.delete(k);
      }
    await this.waitPod(component);
    await this.prepare();
  }

  /** Drops the site node's packets to the global node (iptables in the site's kind node) for `ms`. */
  async cutLink(ms: number): Promise<void> {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const siteNode = client.container.getById(`${this.clusters.site.kindName}-control-plane`);
    const globalNode = client.container.getById(`${this.clusters.global.kindName}-control-plane`);
    const info = await client.container.inspect(globalNode);
    const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
    if (!ip) throw new Error('cannot find the global kind node address');
    const rule = ['OUTPUT', '-d', ip, '-j', 'DROP'];
    await client.container.exec(siteNode, ['iptables', '-I', ...rule]);
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      await client.container.exec(siteNode, ['iptables', '-D', ...rule]);
    }
  }

  /** cert-manager owns the server certificates on the kind tier: the harness does not swap them behind its back. */
  async setServerTls(component: 'postgres' | 'redis'): Promise<void> {
    throw new Error(
      `setServerTls(${component}) is not available on the kind tier: cert-manager and CNPG own the server certificates there`,
    );
  }

  /** Patches the Cluster's spec.postgresql.pg_hba (CNPG rewrites pg_hba.conf and reloads). */
  async setUserHba(enabled: boolean): Promise<void> {
    const k8s = await import('@kubernetes/client-node');
    const api = k8s.KubernetesObjectApi.makeApiClient(this.kc.global!);
    const patch = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: this.cnpg.name, namespace: NS },
      spec: { postgresql: { pg_hba: enabled ? this.cnpg.userHba : [] } },
    };
    await api.patch(
      patch as KubernetesObject,
      undefined,
      undefined,
      'understack-e2e-hba',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    await new Promise((r) => setTimeout(r, timeouts.poll.cnpgReconcile)); // CNPG's instance manager reloads in its loop
  }

  defer(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  versions(): Record<string, string> {
    return { kindNode: (this.clusters.global.config.nodes as { image: string }[])[0]!.image };
  }

  /**
   * Saves what `kindArtifactPlan` lists: `kind export logs` per cluster (synchronous, so the logs are there when the
   * runner names the folder) and the API dumps, which `down()` awaits before it deletes the clusters. A step that fails
   * is recorded in COLLECT-ERRORS.txt, never thrown (the run's own failure is what matters).
   */
  collectArtifacts(reason: string): string {
    const dir = join(artifactsRoot(), `${new Date().toISOString().replaceAll(':', '-')}-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'REASON.txt'), `${reason}\n`);
    const plan = kindArtifactPlan(
      this.created.map((c) => {
        const which = c === this.clusters.global ? 'global' : 'site';
        return { which, cluster: c, applied: this.appliedKinds[which] };
      }),
      dir,
      toolPath('kind'),
    );
    const errors: string[] = [];
    for (const c of plan.commands) {
      mkdirSync(join(dir, 'global'), { recursive: true });
      mkdirSync(join(dir, 'site'), { recursive: true });
      const r = spawnSync(c.argv[0]!, c.argv.slice(1), { encoding: 'utf8', timeout: timeouts.stop * 6 });
      if (r.status !== 0)
        errors.push(`${c.what}: ${c.argv.join(' ')}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr ?? ''}`);
    }
    if (errors.length > 0) writeFileSync(join(dir, 'COLLECT-ERRORS.txt'), `${errors.join('\n')}\n`);
    this.pendingArtifacts = this.dumpObjects(plan.dumps, join(dir, 'COLLECT-ERRORS.txt'));
    return dir;
  }

  private async dumpObjects(dumps: ArtifactDump[], errorsFile: string): Promise<void> {
    const k8s = await import('@kubernetes/client-node');
    for (const d of dumps) {
      const kc = this.kc[d.which];
      if (!kc) continue;
      try {
        const list = await k8s.KubernetesObjectApi.makeApiClient(kc).list(d.apiVersion, d.kind);
        const items = list.items
          .filter((o) => o.kind !== 'Secret')
          .map((o) => {
            const { managedFields: _m, ...metadata } = o.metadata ?? {};
            return { ...o, apiVersion: d.apiVersion, kind: d.kind, metadata };
          });
        mkdirSync(dirname(d.file), { recursive: true });
        writeFileSync(d.file, items.map((o) => stringify(o)).join('---\n'));
      } catch (e) {
        appendFileSync(errorsFile, `list ${d.apiVersion} ${d.kind} on ${d.which}: ${(e as Error).message}\n`);
      }
    }
  }

  /** Idempotent: a second call (or one after the signal hook ran) finds nothing left to remove. */
  async down(): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
    // The artifacts' API dumps need the clusters: finish them first.
    await this.pendingArtifacts?.catch(() => undefined);
    this.pendingArtifacts = undefined;
    for (const f of this.forwards.values()) await f.close().catch(() => undefined);
    this.forwards.clear();
    if (this.opts.keep) {
      for (const c of this.created)
        step(`--keep: cluster ${c.kindName} left running (kind delete cluster --name ${c.kindName})`);
      step(`--keep: run folder ${this.runDir} (kubeconfigs) left in place`);
    }
    for (const c of this.teardownPlan()) {
      step(`remove ${c.what}`);
      const r = await run(c.argv[0]!, c.argv.slice(1), { reject: false });
      if (r.exitCode !== 0)
        process.stderr.write(`[e2e] removing ${c.what} failed (exit ${r.exitCode}); by hand: ${c.argv.join(' ')}\n`);
    }
    this.created.splice(0);
    if (!this.opts.keep) rmSync(this.runDir, { recursive: true, force: true });
    this.removeExitHook();
  }
}
