/**
 * Redis 7 (Debian) the way the global cluster runs it: TLS only (`port 0`, `tls-port`), the CA-issued server
 * certificate, client certificates required and verified against the mTLS CA (`tls-auth-clients yes`), a password.
 * Listens on 127.0.0.1 only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { systemBin } from '../paths.js';
import type { SecretDir } from '../pki.js';
import { freePort } from './ports.js';
import { type Proc, start, waitForPort } from './supervisor.js';

export interface RedisOptions {
  dir: string;
  logDir: string;
  server: SecretDir;
  /** CA that client certificates must chain to. */
  clientCa: string;
  password: string;
}

export class Redis {
  proc?: Proc;
  port = 0;
  readonly host = '127.0.0.1';
  version = '';

  private tls: { server: SecretDir; clientCa: string };

  constructor(readonly opts: RedisOptions) {
    this.tls = { server: opts.server, clientCa: opts.clientCa };
  }

  async start(): Promise<void> {
    const o = this.opts;
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    if (!this.port) this.port = await freePort(this.host);
    const conf = [
      `bind ${this.host}`,
      'port 0',
      `tls-port ${this.port}`,
      `tls-cert-file ${this.tls.server.crt}`,
      `tls-key-file ${this.tls.server.key}`,
      `tls-ca-cert-file ${this.tls.clientCa}`,
      'tls-auth-clients yes',
      'tls-protocols "TLSv1.2 TLSv1.3"',
      `requirepass ${o.password}`,
      `dir ${o.dir}`,
      'save ""',
      // As the example global Redis (appendonly yes): queued Celery messages survive a restart (fault cases).
      'appendonly yes',
      'daemonize no',
      'loglevel verbose',
      '',
    ].join('\n');
    const file = join(o.dir, 'redis.conf');
    writeFileSync(file, conf, { mode: 0o600 });
    this.proc = start({ name: 'redis', argv: [systemBin('redis-server'), file] }, o.logDir);
    await waitForPort(this.host, this.port, this.proc);
    if (!this.version) this.version = (await run(systemBin('redis-server'), ['--version'])).stdout.trim();
  }

  /**
   * Replaces the server certificate and/or the client CA and restarts on the same port (what a Redis pod does when
   * its mounted Secret changes and it is rolled); omitted parts are restored to the original.
   */
  async setTls(opts: { server?: SecretDir; clientCa?: string } = {}): Promise<void> {
    this.tls = { server: opts.server ?? this.opts.server, clientCa: opts.clientCa ?? this.opts.clientCa };
    await this.restart();
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
