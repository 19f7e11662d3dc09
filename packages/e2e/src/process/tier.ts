/**
 * The process tier: real PostgreSQL 17, Redis 7 and Envoy processes on this machine, configured from the example
 * deploy repo and the rendered charts; the site in its own network namespace (root + iproute2), or on loopback when
 * namespaces are unavailable (said in the progress output and in `isolation`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { stringify } from 'yaml';
import { type CnpgPlan, planCluster } from '../cnpg.js';
import { type Translation, translate } from '../envoy-config.js';
import { step } from '../log.js';
import { GATEWAY_NAMESPACE, loadCnpgCluster, loadGatewayObjects } from '../manifests.js';
import { artifactsRoot, pyDir, systemBin, venvBin } from '../paths.js';
import { type IssuedCert, issue, pkiNames, type SecretDir, secretDir, standardCerts } from '../pki.js';
import type { Component, Endpoint, SiteRoute, Tier } from '../tier.js';
import { Envoy } from './envoy.js';
import { probe as probeNetns, SiteNetns } from './netns.js';
import { freePort } from './ports.js';
import { Postgres } from './postgres.js';
import { redisProbe } from './probe.js';
import { Redis } from './redis.js';
import { onExit, sleep } from './supervisor.js';

export interface ProcessTierOptions {
  /** Keep the run folder (logs, configs, certificates) after `down`. */
  keep?: boolean;
  /** Start PostgreSQL from this data directory (a migrated snapshot) instead of initdb. */
  postgresDataDir?: string;
  /**
   * Site isolation: `netns` (a network namespace + veth pair; needs root and iproute2), `loopback` (shared loopback:
   * PGHOSTADDR and the Python resolver shim point the FQDNs at the gateway), or `auto` (default: netns where possible).
   * Also `E2E_ISOLATION=loopback|netns`.
   */
  isolation?: 'auto' | 'netns' | 'loopback';
}

export class ProcessTier implements Tier {
  readonly name = 'process' as const;
  isolation = 'loopback';
  readonly runDir: string;
  readonly logDir: string;
  certs: Record<string, SecretDir> = {};
  issued: Record<string, IssuedCert> = {};
  secretValues: Record<string, string> = {};
  cnpg!: CnpgPlan;
  gatewayConfig!: Translation;
  inputs: Record<string, string> = {};
  postgres!: Postgres;
  redisServer!: Redis;
  envoy!: Envoy;
  netns?: SiteNetns;
  /**
   * The client certificate the global side presents (`redis()`, the global Nautobot env): the standard client, or
   * after a CA rotation the rotated one (see `rotation-client-cert`).
   */
  globalClient: string = pkiNames.client;
  /** Why the site shares loopback with the global side (set when `isolation` is `loopback`). */
  loopbackReason?: string;
  private gatewayHost = '127.0.0.1';
  private portMap = new Map<number, number>();
  private isUp = false;
  private cleanups: (() => Promise<void> | void)[] = [];
  private artifactWriters: ((dir: string) => void)[] = [];
  private clientVersions: Record<string, string> = {};
  private removeExitHook: () => void;

  constructor(readonly opts: ProcessTierOptions = {}) {
    this.runDir = mkdtempSync(join(tmpdir(), 'understack-e2e-'));
    // PostgreSQL runs as nobody when the harness is root and must traverse the run folder; secrets live in 0700
    // subfolders.
    chmodSync(this.runDir, 0o711);
    this.logDir = join(this.runDir, 'logs');
    mkdirSync(this.logDir);
    // Ctrl-C/SIGTERM: the private keys under the run folder go with it (the supervisor kills the processes first).
    this.removeExitHook = onExit(() => {
      if (!this.opts.keep) rmSync(this.runDir, { recursive: true, force: true });
    });
  }

  async up(): Promise<void> {
    if (this.isUp) return;
    this.isUp = true;
    step(`run folder ${this.runDir}`);
    const wanted = this.opts.isolation ?? (process.env.E2E_ISOLATION as ProcessTierOptions['isolation']) ?? 'auto';
    const why = wanted === 'loopback' ? 'loopback requested' : probeNetns();
    if (wanted === 'netns' && why !== undefined)
      throw new Error(
        `network namespaces were requested but are unavailable: ${why}\nEither: run as root with iproute2, or use isolation 'loopback'`,
      );
    if (why === undefined) {
      this.netns = new SiteNetns();
      this.gatewayHost = this.netns.gatewayAddress;
      this.isolation = 'netns';
    } else {
      this.loopbackReason = why;
      step(`network namespaces unavailable (${why}): site and global share loopback`);
    }

    const cluster = loadCnpgCluster();
    this.inputs.cnpg = cluster.source;
    step(`CNPG Cluster from ${cluster.source}`);
    this.cnpg = planCluster(cluster.value, cluster.source);
    mkdirSync(join(this.runDir, 'inputs'));
    writeFileSync(join(this.runDir, 'inputs', 'cnpg-cluster.yaml'), stringify(cluster.value));
    const gw = await loadGatewayObjects();
    this.inputs.gateway = gw.source;
    writeFileSync(join(this.runDir, 'inputs', 'envoy-configs.yaml'), gw.value.map((o) => stringify(o)).join('---\n'));
    step(`gateway objects from ${gw.source}`);

    step('PKI: CA, server, replication and client certificates');
    const pkiDir = join(this.runDir, 'pki');
    this.issued = await issue(pkiDir, standardCerts());
    for (const name of Object.keys(this.issued)) this.certs[name] = secretDir(join(pkiDir, name));

    this.secretValues = {
      'nautobot-db/password': randomBytes(18).toString('base64url'),
      'nautobot-redis/password': randomBytes(18).toString('base64url'),
      'nautobot-django/NAUTOBOT_SECRET_KEY': randomBytes(40).toString('base64url'),
    };

    this.postgres = new Postgres({
      dir: join(this.runDir, 'postgres'),
      logDir: this.logDir,
      plan: this.cnpg,
      // As CNPG mounts them: the server pair from serverTLSSecret, ssl_ca_file = ca.crt of clientCASecret.
      server: this.secretFor(this.cnpg.secrets.serverTLS, pkiNames.postgres),
      clientCa: this.secretFor(this.cnpg.secrets.clientCA, pkiNames.caCert).ca,
      ownerPassword: this.secretValues['nautobot-db/password']!,
      fromDataDir: this.opts.postgresDataDir,
    });
    await this.postgres.init();
    await this.postgres.start();
    await this.postgres.bootstrap();

    this.redisServer = new Redis({
      dir: join(this.runDir, 'redis'),
      logDir: this.logDir,
      server: this.certs[pkiNames.redis]!,
      clientCa: this.certs[pkiNames.ca]!.ca,
      password: this.secretValues['nautobot-redis/password']!,
    });
    await this.redisServer.start();

    const backends: Record<string, Endpoint> = {};
    const ns = 'nautobot';
    backends[`${ns}/${this.cnpg.name}-rw:5432`] = { host: this.postgres.host, port: this.postgres.port };
    backends[`${ns}/nautobot-redis-master:6379`] = { host: this.redisServer.host, port: this.redisServer.port };

    // Listener ports: the chart's ports on the veth address in netns mode; free ports on loopback otherwise.
    const ports = new Set<number>();
    for (const o of gw.value)
      if (o.kind === 'Gateway') for (const l of (o.spec?.listeners as { port: number }[]) ?? []) ports.add(l.port);
    for (const p of ports) this.portMap.set(p, this.netns ? p : await freePort());
    const adminPort = await freePort();
    this.gatewayConfig = translate(gw.value, {
      backends,
      bindAddress: this.gatewayHost,
      portMap: (p) => this.portMap.get(p) ?? p,
      adminPort,
      defaultNamespace: GATEWAY_NAMESPACE,
    });
    if (this.netns) {
      const hosts: Record<string, string> = {};
      for (const c of this.gatewayConfig.chains) for (const n of c.serverNames) hosts[n] = this.gatewayHost;
      this.netns.create(hosts);
    }
    const first = this.gatewayConfig.chains[0]!;
    this.envoy = new Envoy(this.gatewayConfig, this.runDir, this.logDir, adminPort, {
      host: this.gatewayHost,
      port: this.portMap.get(first.port) ?? first.port,
    });
    await this.envoy.start();
    // The clients' versions (the worker's own libraries): libpq behind psycopg2 decides sslnegotiation support.
    const py = await run(venvBin('python'), [
      '-c',
      'import psycopg2, redis; v = psycopg2.__libpq_version__; print(f"{v // 10000}.{v % 10000}", redis.__version__)',
    ]);
    const [libpq = '', redisPy = ''] = py.stdout.trim().split(' ');
    this.clientVersions = { libpq, 'redis-py': redisPy };
    writeFileSync(join(this.runDir, 'inputs.json'), JSON.stringify(this.inputs, null, 2));
    step(
      `global side up: postgres ${this.postgres.port}, redis ${this.redisServer.port}, envoy ${[...this.portMap.values()].join('/')} (${this.isolation})`,
    );
  }

  /** The Secret folder a manifest names, when this run's PKI issued it under that name; else the standard one. */
  private secretFor(name: string, fallback: string): SecretDir {
    const c = this.certs[name] ?? this.certs[fallback];
    if (!c) throw new Error(`no Secret ${name} (nor ${fallback}) in this run's PKI`);
    if (!this.certs[name]) step(`PKI: the manifest names Secret ${name}; using ${fallback}`);
    return c;
  }

  gateway(fqdn: string): SiteRoute {
    const chain = this.gatewayConfig.chains.find((c) => c.serverNames.includes(fqdn));
    if (!chain)
      throw new Error(
        `no gateway route for ${fqdn}: the rendered envoy-configs has ${this.gatewayConfig.chains.flatMap((c) => c.serverNames).join(', ')}`,
      );
    return { name: fqdn, host: this.gatewayHost, port: this.portMap.get(chain.port) ?? chain.port };
  }

  direct(component: 'postgres' | 'redis'): Endpoint {
    const s = component === 'postgres' ? this.postgres : this.redisServer;
    return { host: s.host, port: s.port };
  }

  siteArgv(argv: string[]): string[] {
    return this.netns ? this.netns.wrap(argv) : argv;
  }

  siteEnv(): NodeJS.ProcessEnv {
    if (this.netns) return {};
    const hosts: Record<string, string> = {};
    for (const c of this.gatewayConfig.chains) for (const n of c.serverNames) hosts[n] = this.gatewayHost;
    return {
      UNDERSTACK_E2E_HOSTS: JSON.stringify(hosts),
      PYTHONPATH: join(pyDir, 'resolver'),
      PGHOSTADDR: this.gatewayHost,
    };
  }

  sql(query: string, database = 'postgres'): Promise<unknown[][]> {
    return this.postgres.sql(query, database);
  }

  async redis(command: string[]): Promise<unknown> {
    const c = this.certs[this.globalClient]!;
    const r = await redisProbe(
      {
        host: 'localhost',
        port: this.redisServer.port,
        ssl: true,
        ssl_certfile: c.crt,
        ssl_keyfile: c.key,
        ssl_ca_certs: c.ca,
        ssl_cert_reqs: 'required',
        password: this.secretValues['nautobot-redis/password']!,
      },
      command,
    );
    if (!r.ok) throw new Error(`redis ${command[0]} failed: ${r.error}`);
    return r.rows;
  }

  async gatewayUnmatched(): Promise<number> {
    const s = await this.envoy.stats('no_filter_chain_match');
    return Object.entries(s)
      .filter(([k]) => k.startsWith('listener.') && k.endsWith('.no_filter_chain_match'))
      .reduce((n, [, v]) => n + v, 0);
  }

  async gatewayConnections(fqdn: string): Promise<number> {
    let n = 0;
    for (const c of this.gatewayConfig.chains)
      if (c.serverNames.includes(fqdn)) n += await this.envoy.chainConnections(c.statPrefix);
    return n;
  }

  /**
   * The Redis client addresses (`ip:port`) that are Envoy's upstream connections, i.e. connections the site made through
   * the gateway: the TCP sockets owned by the Envoy process group (read with iproute2's `ss`) that are connected to
   * the Redis server. Only the site uses the gateway, so these are the site worker's connections.
   */
  async gatewayRedisClients(): Promise<string[]> {
    const pgid = this.envoy?.proc?.child.pid;
    if (!pgid) return [];
    const pids = new Set(
      (await run('ps', ['-o', 'pid=', '-g', String(pgid)], { reject: false })).stdout.split(/\s+/).filter(Boolean),
    );
    const ss = await run(systemBin('ss'), ['-Htnp', 'state', 'established'], { reject: false });
    const out: string[] = [];
    for (const line of ss.stdout.split('\n')) {
      const f = line.trim().split(/\s+/);
      // Recv-Q Send-Q Local Peer Process
      const [local, peer, proc] = [f[2], f[3], f.slice(4).join(' ')];
      if (!local || peer !== `${this.redisServer.host}:${this.redisServer.port}`) continue;
      if ([...proc.matchAll(/pid=(\d+)/g)].some((m) => pids.has(m[1]!))) out.push(local);
    }
    return out;
  }

  async serverLog(component: Component): Promise<string> {
    const f = join(this.logDir, `${component}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  async restart(component: Component, whileDown?: () => Promise<void>): Promise<void> {
    step(`fault: restart ${component}`);
    const server = component === 'postgres' ? this.postgres : component === 'redis' ? this.redisServer : this.envoy;
    await server.stop();
    try {
      if (whileDown) {
        step(`${component} is down`);
        await whileDown();
      }
    } finally {
      await server.start();
      step(`${component} is back`);
    }
  }

  async cutLink(ms: number): Promise<void> {
    if (!this.netns) throw new Error('cutting the site<->global link needs network namespaces (root + iproute2)');
    this.netns.setLink(false);
    try {
      await sleep(ms);
    } finally {
      this.netns.setLink(true);
    }
  }

  async setServerTls(component: 'postgres' | 'redis', tls: { server?: SecretDir; clientCa?: string } = {}) {
    step(`${component}: ${tls.server || tls.clientCa ? 'swap' : 'restore'} server TLS files`);
    if (component === 'postgres') await this.postgres.setTls(tls);
    else await this.redisServer.setTls(tls);
  }

  async setUserHba(enabled: boolean): Promise<void> {
    this.postgres.writeHba(enabled);
    await this.postgres.reload();
  }

  versions(): Record<string, string> {
    return {
      postgres: this.postgres?.version.split(' on ')[0] ?? '',
      'postgres ssl_library': this.postgres?.sslLibrary ?? '',
      redis: this.redisServer?.version.split(' ').slice(0, 3).join(' ') ?? '',
      envoy: this.envoy?.version ?? '',
      ...this.clientVersions,
    };
  }

  collectArtifacts(reason: string): string {
    const dir = join(artifactsRoot(), `${new Date().toISOString().replaceAll(':', '-')}-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    if (existsSync(this.logDir)) cpSync(this.logDir, join(dir, 'logs'), { recursive: true });
    // The rendered inputs (no Secrets among them: the CNPG Cluster and the envoy-configs objects).
    if (existsSync(join(this.runDir, 'inputs')))
      cpSync(join(this.runDir, 'inputs'), join(dir, 'inputs'), { recursive: true });
    const configs: [string, string][] = [
      [join(this.runDir, 'inputs.json'), 'inputs.json'],
      [join(this.runDir, 'envoy.yaml'), 'envoy.yaml'],
      [join(this.runDir, 'postgres', 'data', 'pg_hba.conf'), 'pg_hba.conf'],
      [join(this.runDir, 'postgres', 'data', 'postgresql.auto.conf'), 'postgresql.auto.conf'],
      [join(this.runDir, 'redis', 'redis.conf'), 'redis.conf'],
    ];
    for (const [from, to] of configs) {
      if (!existsSync(from)) continue;
      // Secrets never leave the run folder: the Redis password line is redacted.
      const text = readFileSync(from, 'utf8').replace(/^(requirepass|masterauth)\s.*$/gm, '$1 <redacted>');
      writeFileSync(join(dir, to), text);
    }
    for (const w of this.artifactWriters) {
      try {
        w(dir);
      } catch (e) {
        writeFileSync(join(dir, 'ARTIFACT-ERRORS.txt'), `${(e as Error).message}\n`, { flag: 'a' });
      }
    }
    writeFileSync(join(dir, 'REASON.txt'), `${reason}\n`);
    return dir;
  }

  /**
   * Adds to what `collectArtifacts` writes (e.g. the worker's render, config and pod spec). A writer must not write
   * secrets: `redact()` replaces this run's secret values.
   */
  addArtifacts(writer: (dir: string) => void): void {
    this.artifactWriters.push(writer);
  }

  /** Replaces every secret value of this run (passwords, Django key) in a text by `<redacted>`. */
  redact(text: string): string {
    let out = text;
    for (const v of Object.values(this.secretValues)) if (v) out = out.replaceAll(v, '<redacted>');
    return out;
  }

  defer(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  async down(): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        step(`cleanup failed: ${(e as Error).message}`);
      }
    }
    await Promise.allSettled([this.envoy?.stop(), this.redisServer?.stop(), this.postgres?.stop()]);
    this.netns?.destroy();
    this.removeExitHook();
    if (!this.opts.keep) rmSync(this.runDir, { recursive: true, force: true });
    else step(`kept ${this.runDir}`);
  }
}
