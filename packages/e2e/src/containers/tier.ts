/**
 * The containers tier: PostgreSQL 17, Redis 7 and Envoy in containers on one Docker network (testcontainers 11),
 * configured from the same CNPG Cluster and rendered Gateway/TLSRoutes as the process tier (see `plan.ts`). The site
 * is the host: it reaches the gateway's published ports with the FQDNs resolved by PGHOSTADDR / the resolver shim.
 * Needs a Docker engine: `up()` throws `TierUnavailable` without one (the runner turns that into a skip).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CnpgPlan, pgHba, planCluster } from '../cnpg.js';
import { probeDocker } from '../docker.js';
import type { Translation } from '../envoy-config.js';
import { TierUnavailable } from '../errors.js';
import { step } from '../log.js';
import { loadCnpgCluster, loadGatewayObjects } from '../manifests.js';
import { artifactsRoot, pyDir } from '../paths.js';
import { type IssuedCert, issue, pkiNames, type SecretDir, secretDir, standardCerts } from '../pki.js';
import { redisProbe } from '../process/probe.js';
import { onExit } from '../process/supervisor.js';
import { runTeardownSync } from '../teardown.js';
import type { Component, Endpoint, SiteRoute, Tier } from '../tier.js';
import { timeouts } from '../timeouts.js';
import {
  type ContainerSpec,
  type ContainersPlan,
  containersArtifactPlan,
  containersTeardownPlan,
  ENVOY_ADMIN_PORT,
  planContainers,
  RUN_LABEL,
} from './plan.js';

type Started = import('testcontainers').StartedTestContainer;

export class ContainersTier implements Tier {
  readonly name = 'containers' as const;
  readonly isolation = 'docker';
  readonly runDir: string;
  readonly logDir: string;
  certs: Record<string, SecretDir> = {};
  issued: Record<string, IssuedCert> = {};
  secretValues: Record<string, string> = {};
  cnpg!: CnpgPlan;
  gatewayConfig!: Translation;
  plan!: ContainersPlan;
  private containers: Partial<Record<Component, Started>> = {};
  private network?: import('testcontainers').StartedNetwork;
  private hostAddress = '127.0.0.1';
  private cleanups: (() => Promise<void> | void)[] = [];
  private logs: Record<string, string[]> = {};
  private removeExitHook: () => void;
  private readonly runId = randomBytes(4).toString('hex');
  /** Set before the first container is created: from then on the teardown also looks for the run's label. */
  private starting = false;

  constructor(readonly opts: { keep?: boolean } = {}) {
    this.runDir = mkdtempSync(join(tmpdir(), 'understack-e2e-containers-'));
    chmodSync(this.runDir, 0o700);
    this.logDir = join(this.runDir, 'logs');
    mkdirSync(this.logDir);
    // Ctrl-C/SIGTERM (the supervisor's hook, as for the process tier): remove the containers and the network
    // synchronously, then the run folder (the PKI's private keys).
    this.removeExitHook = onExit(() => {
      const plan = this.teardownPlan();
      for (const c of plan) process.stderr.write(`[e2e] interrupted: removing ${c.what}\n`);
      for (const f of runTeardownSync(plan, timeouts.stop * 2)) process.stderr.write(`[e2e] ${f}\n`);
      if (!this.opts.keep) rmSync(this.runDir, { recursive: true, force: true });
    });
  }

  /** The teardown commands for what is running now (empty with --keep). */
  teardownPlan() {
    return containersTeardownPlan(
      {
        containers: Object.values(this.containers).map((c) => c.getId()),
        network: this.network?.getId(),
        runLabel: this.starting ? this.runId : undefined,
      },
      { keep: this.opts.keep },
    );
  }

  async up(): Promise<void> {
    const docker = await probeDocker();
    if (!docker.ok) throw new TierUnavailable('containers', docker.reason);
    const tc = await import('testcontainers');
    const cluster = loadCnpgCluster();
    this.cnpg = planCluster(cluster.value, cluster.source);
    const gw = await loadGatewayObjects();
    step('PKI: CA, server, replication and client certificates');
    this.issued = await issue(join(this.runDir, 'pki'), standardCerts());
    for (const n of Object.keys(this.issued)) this.certs[n] = secretDir(join(this.runDir, 'pki', n));
    this.secretValues = {
      'nautobot-db/password': randomBytes(18).toString('base64url'),
      'nautobot-redis/password': randomBytes(18).toString('base64url'),
      'nautobot-django/NAUTOBOT_SECRET_KEY': randomBytes(40).toString('base64url'),
    };
    this.plan = planContainers({
      cnpg: this.cnpg,
      gatewayObjects: gw.value,
      certs: this.certs,
      secrets: {
        dbPassword: this.secretValues['nautobot-db/password']!,
        redisPassword: this.secretValues['nautobot-redis/password']!,
      },
    });
    this.gatewayConfig = this.plan.gateway;
    writeFileSync(
      join(this.runDir, 'inputs.json'),
      JSON.stringify({ cnpg: cluster.source, gateway: gw.source }, null, 2),
    );

    this.starting = true;
    this.network = await new tc.Network().start();
    for (const c of ['postgres', 'redis', 'envoy'] as const) {
      step(`start ${c} container (${this.plan[c].image})`);
      this.containers[c] = await this.startContainer(tc, this.plan[c]);
    }
    const host = this.containers.envoy!.getHost();
    this.hostAddress = (await lookup(host, { family: 4 })).address;
    step(`global side up in containers (gateway on ${this.hostAddress})`);
  }

  private async startContainer(tc: typeof import('testcontainers'), s: ContainerSpec): Promise<Started> {
    let g = new tc.GenericContainer(s.image)
      .withNetwork(this.network!)
      .withNetworkAliases(...s.aliases)
      .withLabels({ [RUN_LABEL]: this.runId })
      .withCommand(s.command)
      .withEnvironment(s.env)
      .withExposedPorts(...s.expose)
      .withStartupTimeout(timeouts.serverReady)
      .withCopyFilesToContainer(
        s.files.filter((f) => f.source).map((f) => ({ source: f.source!, target: f.target, mode: f.mode })),
      )
      .withCopyContentToContainer(
        s.files
          .filter((f) => f.content !== undefined)
          .map((f) => ({ content: f.content!, target: f.target, mode: f.mode })),
      )
      .withLogConsumer((stream) => {
        const lines: string[] = [];
        this.logs[s.name] = lines;
        stream.on('data', (d: Buffer | string) => lines.push(String(d)));
      });
    if (s.entrypoint) g = g.withEntrypoint(s.entrypoint);
    g = g.withWaitStrategy(
      s.readyLog
        ? tc.Wait.forAll([
            tc.Wait.forListeningPorts(),
            tc.Wait.forLogMessage(s.readyLog, s.name === 'postgres' ? 2 : 1),
          ])
        : tc.Wait.forListeningPorts(),
    );
    return g.start();
  }

  private c(component: Component): Started {
    const c = this.containers[component];
    if (!c) throw new Error(`the ${component} container is not running (call up() first)`);
    return c;
  }

  gateway(fqdn: string): SiteRoute {
    const chain = this.gatewayConfig.chains.find((c) => c.serverNames.includes(fqdn));
    if (!chain) throw new Error(`no gateway route for ${fqdn}`);
    return { name: fqdn, host: this.hostAddress, port: this.c('envoy').getMappedPort(chain.port) };
  }

  direct(component: 'postgres' | 'redis'): Endpoint {
    return { host: this.hostAddress, port: this.c(component).getMappedPort(component === 'postgres' ? 5432 : 6379) };
  }

  siteArgv(argv: string[]): string[] {
    return argv;
  }

  siteEnv(): NodeJS.ProcessEnv {
    const hosts: Record<string, string> = {};
    for (const c of this.gatewayConfig.chains) for (const n of c.serverNames) hosts[n] = this.hostAddress;
    return {
      UNDERSTACK_E2E_HOSTS: JSON.stringify(hosts),
      PYTHONPATH: join(pyDir, 'resolver'),
      PGHOSTADDR: this.hostAddress,
    };
  }

  async sql(query: string, database = 'postgres'): Promise<unknown[][]> {
    const r = await this.c('postgres').exec(['psql', '-X', '-At', '-F', '\t', '-d', database, '-c', query], {
      user: 'postgres',
    });
    if (r.exitCode !== 0)
      throw new Error(`psql in the postgres container failed (exit ${r.exitCode}): ${r.output.trim()}`);
    return r.output
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
  }

  async redis(command: string[]): Promise<unknown> {
    const c = this.certs[pkiNames.client]!;
    const d = this.direct('redis');
    const r = await redisProbe(
      {
        host: 'localhost',
        port: d.port,
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
    const admin = `http://${this.hostAddress}:${this.c('envoy').getMappedPort(ENVOY_ADMIN_PORT)}`;
    const text = await (await fetch(`${admin}/stats?filter=no_filter_chain_match`)).text();
    let n = 0;
    for (const m of text.matchAll(/^listener\.\S+\.no_filter_chain_match:\s*(\d+)$/gm)) n += Number(m[1]);
    return n;
  }

  async gatewayConnections(fqdn: string): Promise<number> {
    const admin = `http://${this.hostAddress}:${this.c('envoy').getMappedPort(ENVOY_ADMIN_PORT)}`;
    let n = 0;
    for (const chain of this.gatewayConfig.chains) {
      if (!chain.serverNames.includes(fqdn)) continue;
      const key = `tcp.${chain.statPrefix}.downstream_cx_total`;
      const text = await (await fetch(`${admin}/stats?filter=${encodeURIComponent(key)}`)).text();
      n += Number(text.match(/:\s*(\d+)/)?.[1] ?? 0);
    }
    return n;
  }

  async serverLog(component: Component): Promise<string> {
    return (this.logs[component] ?? []).join('');
  }

  async restart(component: Component, whileDown?: () => Promise<void>): Promise<void> {
    if (whileDown)
      throw new Error(`restart(${component}) with a step while it is down is implemented on the process tier only`);
    step(`fault: restart ${component} container`);
    await this.c(component).restart({ timeout: timeouts.stop });
  }

  /** The site reaches the gateway through a published port: cutting means pausing the gateway container. */
  async cutLink(ms: number): Promise<void> {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const c = client.container.getById(this.c('envoy').getId());
    await c.pause();
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      await c.unpause();
    }
  }

  async setServerTls(component: 'postgres' | 'redis', tls: { server?: SecretDir; clientCa?: string } = {}) {
    const server = tls.server ?? this.certs[component === 'postgres' ? pkiNames.postgres : pkiNames.redis]!;
    const clientCa = tls.clientCa ?? this.certs[pkiNames.ca]!.ca;
    const c = this.c(component);
    if (component === 'postgres') {
      await c.copyFilesToContainer([
        { source: server.crt, target: '/tls-in/tls.crt' },
        { source: server.key, target: '/tls-in/tls.key' },
        { source: clientCa, target: '/tls-in/client-ca.crt' },
      ]);
      const r = await c.exec([
        'sh',
        '-c',
        'install -o postgres -g postgres -m 600 /tls-in/tls.crt /var/lib/postgresql/tls/server.crt && install -o postgres -g postgres -m 600 /tls-in/tls.key /var/lib/postgresql/tls/server.key && install -o postgres -g postgres -m 644 /tls-in/client-ca.crt /var/lib/postgresql/tls/client-ca.crt',
      ]);
      if (r.exitCode !== 0) throw new Error(`installing the PostgreSQL TLS files failed: ${r.output}`);
      await this.sql('select pg_reload_conf()');
    } else {
      await c.copyFilesToContainer([
        { source: server.crt, target: '/etc/understack/tls/tls.crt', mode: 0o644 },
        { source: server.key, target: '/etc/understack/tls/tls.key', mode: 0o644 },
        { source: clientCa, target: '/etc/understack/tls/ca.crt', mode: 0o644 },
      ]);
      await c.restart({ timeout: timeouts.stop });
    }
  }

  async setUserHba(enabled: boolean): Promise<void> {
    const hba = pgHba(this.cnpg, { withUserRules: enabled });
    const pg = this.c('postgres');
    const r = await pg.exec(['sh', '-c', `cat > /etc/understack/pg_hba.conf <<'EOF'\n${hba}EOF\n`]);
    if (r.exitCode !== 0) throw new Error(`rewriting pg_hba.conf failed: ${r.output}`);
    await this.sql('select pg_reload_conf()');
  }

  defer(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  versions(): Record<string, string> {
    return {
      postgres: this.plan?.postgres.image ?? '',
      redis: this.plan?.redis.image ?? '',
      envoy: this.plan?.envoy.image ?? '',
    };
  }

  collectArtifacts(reason: string): string {
    const dir = join(artifactsRoot(), `${new Date().toISOString().replaceAll(':', '-')}-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    for (const [name, lines] of Object.entries(this.logs)) writeFileSync(join(dir, `${name}.log`), lines.join(''));
    if (existsSync(join(this.runDir, 'inputs.json')))
      cpSync(join(this.runDir, 'inputs.json'), join(dir, 'inputs.json'));
    writeFileSync(join(dir, 'REASON.txt'), `${reason}\n`);
    const plan = containersArtifactPlan(
      Object.entries(this.containers).map(([name, c]) => ({ name, id: c.getId() })),
      this.network?.getId(),
      dir,
    );
    const errors: string[] = [];
    for (const c of plan) {
      const r = spawnSync(c.argv[0]!, c.argv.slice(1), { encoding: 'utf8', timeout: timeouts.stop });
      if (r.status === 0) writeFileSync(c.file, r.stdout);
      else errors.push(`${c.what}: ${c.argv.join(' ')}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr ?? ''}`);
    }
    if (errors.length > 0) writeFileSync(join(dir, 'COLLECT-ERRORS.txt'), `${errors.join('\n')}\n`);
    return dir;
  }

  /**
   * Idempotent. With --keep the containers stay up for inspection (testcontainers' reaper still removes them when this
   * process exits unless TESTCONTAINERS_RYUK_DISABLED=true).
   */
  async down(): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
    const containers = Object.entries(this.containers);
    this.containers = {};
    const network = this.network;
    this.network = undefined;
    if (this.opts.keep) {
      for (const [name, c] of containers) step(`--keep: ${name} container ${c.getId().slice(0, 12)} left running`);
      step(`--keep: run folder ${this.runDir} left in place`);
    } else {
      await Promise.allSettled(
        containers.map(([, c]) => c.stop({ timeout: timeouts.stop, remove: true, removeVolumes: true })),
      );
      await network?.stop().catch(() => undefined);
      rmSync(this.runDir, { recursive: true, force: true });
      this.starting = false;
    }
    this.removeExitHook();
  }
}
