/**
 * What the containers tier starts, as data: images (pinned to the versions the process tier runs), commands, files
 * and network aliases. Pure (no Docker), so the unit tests check it on machines without a Docker engine; `tier.ts`
 * hands it to testcontainers.
 */
import { type CnpgPlan, pgHba } from '../cnpg.js';
import { type K8sObject, type Translation, translate } from '../envoy-config.js';
import { GATEWAY_NAMESPACE } from '../manifests.js';
import { pkiNames, type SecretDir } from '../pki.js';
import type { TeardownCommand } from '../teardown.js';

/** Image tags matching the process tier's binaries (PostgreSQL 17, Redis 7, Envoy 1.40 as pinned in requirements.txt). */
export const images = {
  postgres: 'postgres:17.10-bookworm',
  redis: 'redis:7.4-bookworm',
  envoy: 'envoyproxy/envoy:v1.40.0',
} as const;

export const ENVOY_ADMIN_PORT = 19000;
/** Docker label carrying the run id on every container of a run (teardown finds containers still starting). */
export const RUN_LABEL = 'io.understack.e2e.run';
export const NAMESPACE = 'nautobot';

export interface FileSpec {
  /** Host file (under the run folder), or inline content. */
  source?: string;
  content?: string;
  target: string;
  mode: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** Network aliases on the run's network: the Kubernetes Service names the manifests use. */
  aliases: string[];
  entrypoint?: string[];
  command: string[];
  env: Record<string, string>;
  files: FileSpec[];
  /** Container ports published to the host (random host ports). */
  expose: number[];
  /** Log line that means ready (after the port opens). */
  readyLog?: RegExp;
}

export interface ContainersPlan {
  postgres: ContainerSpec;
  redis: ContainerSpec;
  envoy: ContainerSpec;
  gateway: Translation;
}

export interface PlanInputs {
  cnpg: CnpgPlan;
  gatewayObjects: K8sObject[];
  certs: Record<string, SecretDir>;
  secrets: { dbPassword: string; redisPassword: string };
}

const sq = (s: string) => `'${s.replaceAll("'", "''")}'`;

export function planContainers(i: PlanInputs): ContainersPlan {
  const pgCert = i.certs[pkiNames.postgres]!;
  const redisCert = i.certs[pkiNames.redis]!;
  const ca = i.certs[pkiNames.ca]!;
  const svcPg = `${i.cnpg.name}-rw`;
  const svcRedis = 'nautobot-redis-master';

  // The official image runs initdb as `postgres`; the key must be owned by it and 0600, which a copy into the
  // container cannot set: the entrypoint installs the TLS files, then hands over to docker-entrypoint.sh.
  const pgParams: Record<string, string> = {
    ...Object.fromEntries(Object.entries(i.cnpg.parameters).filter(([k]) => !k.includes('.'))),
    ssl: 'on',
    ssl_cert_file: '/var/lib/postgresql/tls/server.crt',
    ssl_key_file: '/var/lib/postgresql/tls/server.key',
    ssl_ca_file: '/var/lib/postgresql/tls/client-ca.crt',
    ssl_min_protocol_version: 'TLSv1.3',
    hba_file: '/etc/understack/pg_hba.conf',
    password_encryption: 'scram-sha-256',
    log_connections: 'on',
  };
  const postgres: ContainerSpec = {
    name: 'postgres',
    image: images.postgres,
    aliases: [svcPg, `${svcPg}.${NAMESPACE}`, `${svcPg}.${NAMESPACE}.svc`],
    entrypoint: ['sh', '-c'],
    command: [
      [
        'set -e',
        'install -d -o postgres -g postgres -m 700 /var/lib/postgresql/tls',
        'install -o postgres -g postgres -m 600 /tls-in/tls.crt /var/lib/postgresql/tls/server.crt',
        'install -o postgres -g postgres -m 600 /tls-in/tls.key /var/lib/postgresql/tls/server.key',
        'install -o postgres -g postgres -m 644 /tls-in/client-ca.crt /var/lib/postgresql/tls/client-ca.crt',
        `exec docker-entrypoint.sh postgres ${Object.entries(pgParams)
          .map(([k, v]) => `-c ${k}=${JSON.stringify(v)}`)
          .join(' ')}`,
      ].join('\n'),
    ],
    env: {
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD_FILE: '/etc/understack/superuser-password',
      POSTGRES_DB: 'postgres',
    },
    files: [
      { source: pgCert.crt, target: '/tls-in/tls.crt', mode: 0o644 },
      { source: pgCert.key, target: '/tls-in/tls.key', mode: 0o600 },
      { source: ca.ca, target: '/tls-in/client-ca.crt', mode: 0o644 },
      // The image's own rules are replaced by CNPG's (the superuser uses the Unix socket, as in the process tier).
      { content: pgHba(i.cnpg, { withUserRules: true }), target: '/etc/understack/pg_hba.conf', mode: 0o644 },
      {
        content: pgHba(i.cnpg, { withUserRules: false }),
        target: '/etc/understack/pg_hba.cnpg-default.conf',
        mode: 0o644,
      },
      { content: i.secrets.dbPassword, target: '/etc/understack/superuser-password', mode: 0o644 },
      {
        // CNPG's bootstrap.initdb: the owner role and its database.
        content: `CREATE ROLE ${i.cnpg.owner} LOGIN PASSWORD ${sq(i.secrets.dbPassword)};\nCREATE DATABASE ${i.cnpg.database} OWNER ${i.cnpg.owner};\n`,
        target: '/docker-entrypoint-initdb.d/10-app.sql',
        mode: 0o644,
      },
    ],
    expose: [5432],
    // The official image starts a temporary server for init scripts first: wait for the second "ready" line.
    readyLog: /database system is ready to accept connections/,
  };

  const redis: ContainerSpec = {
    name: 'redis',
    image: images.redis,
    aliases: [svcRedis, `${svcRedis}.${NAMESPACE}`, `${svcRedis}.${NAMESPACE}.svc`],
    command: ['redis-server', '/etc/understack/redis.conf'],
    env: {},
    files: [
      { source: redisCert.crt, target: '/etc/understack/tls/tls.crt', mode: 0o644 },
      // The image runs redis as uid 999; a test container's key readable in-container is acceptable (ephemeral).
      { source: redisCert.key, target: '/etc/understack/tls/tls.key', mode: 0o644 },
      { source: ca.ca, target: '/etc/understack/tls/ca.crt', mode: 0o644 },
      {
        content: [
          'bind 0.0.0.0',
          'port 0',
          'tls-port 6379',
          'tls-cert-file /etc/understack/tls/tls.crt',
          'tls-key-file /etc/understack/tls/tls.key',
          'tls-ca-cert-file /etc/understack/tls/ca.crt',
          'tls-auth-clients yes',
          `requirepass ${i.secrets.redisPassword}`,
          'save ""',
          'appendonly no',
          '',
        ].join('\n'),
        target: '/etc/understack/redis.conf',
        mode: 0o644,
      },
    ],
    expose: [6379],
    readyLog: /Ready to accept connections/,
  };

  const gateway = translate(i.gatewayObjects, {
    backends: {
      [`${NAMESPACE}/${svcPg}:5432`]: { host: svcPg, port: 5432 },
      [`${NAMESPACE}/${svcRedis}:6379`]: { host: svcRedis, port: 6379 },
    },
    bindAddress: '0.0.0.0',
    adminPort: ENVOY_ADMIN_PORT,
    defaultNamespace: GATEWAY_NAMESPACE,
  });
  // Envoy's admin must be reachable from the host through the published port.
  const bootstrap = structuredClone(gateway.bootstrap) as {
    admin?: { address?: { socket_address?: { address?: string } } };
  };
  if (bootstrap.admin?.address?.socket_address) bootstrap.admin.address.socket_address.address = '0.0.0.0';
  const ports = [...new Set(gateway.chains.map((c) => c.port))];
  const envoy: ContainerSpec = {
    name: 'envoy',
    image: images.envoy,
    aliases: ['envoy-gateway'],
    command: ['envoy', '-c', '/etc/understack/envoy.json', '--log-level', 'info'],
    env: {},
    files: [{ content: JSON.stringify(bootstrap, null, 2), target: '/etc/understack/envoy.json', mode: 0o644 }],
    expose: [...ports, ENVOY_ADMIN_PORT],
    readyLog: /starting main dispatch loop/,
  };
  return { postgres, redis, envoy, gateway };
}

/**
 * How the containers tier removes what it started when the run is interrupted (SIGINT/SIGTERM): `docker rm -f -v` of
 * its containers, then `docker network rm`. Empty with `--keep`. testcontainers' reaper (Ryuk) would remove them too
 * once this process is gone, but only when it is enabled and after its timeout: the harness does not rely on it.
 */
export function containersTeardownPlan(
  started: { containers: readonly string[]; network?: string; runLabel?: string },
  opts: { keep?: boolean; docker?: string } = {},
): TeardownCommand[] {
  if (opts.keep) return [];
  const docker = opts.docker ?? 'docker';
  const plan: TeardownCommand[] = [];
  if (started.containers.length > 0)
    plan.push({
      what: `containers ${started.containers.map((id) => id.slice(0, 12)).join(', ')}`,
      argv: [docker, 'rm', '--force', '--volumes', ...started.containers],
    });
  // A container still starting has no id yet: the run's label finds it (and any the first command missed).
  if (started.runLabel && /^[\w.-]+$/.test(started.runLabel))
    plan.push({
      what: `containers labelled ${RUN_LABEL}=${started.runLabel}`,
      argv: [
        'sh',
        '-c',
        `${docker} ps -aq --filter label=${RUN_LABEL}=${started.runLabel} | xargs -r ${docker} rm --force --volumes`,
      ],
    });
  if (started.network)
    plan.push({ what: `network ${started.network}`, argv: [docker, 'network', 'rm', started.network] });
  return plan;
}

/**
 * What the containers tier saves when a run fails, besides the logs it streamed: each container's `docker inspect`
 * State (exit code, OOM kill, restart count, health) and the network's containers. Only `.State` and the network's
 * membership are formatted out: the full inspect output carries the environment.
 */
export function containersArtifactPlan(
  started: readonly { name: string; id: string }[],
  network: string | undefined,
  dir: string,
  docker = 'docker',
): (TeardownCommand & { file: string })[] {
  const plan: (TeardownCommand & { file: string })[] = started.map((c) => ({
    what: `state of the ${c.name} container`,
    argv: [docker, 'inspect', '--format', '{{json .State}}', c.id],
    file: `${dir}/${c.name}.state.json`,
  }));
  if (network)
    plan.push({
      what: `network ${network}`,
      argv: [docker, 'network', 'inspect', '--format', '{{json .Containers}}', network],
      file: `${dir}/network.json`,
    });
  return plan;
}
