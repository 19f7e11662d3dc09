/**
 * A loopback (127.0.0.1 only) HTTP chart repository for network tests: `charts/index.yaml` built by the real
 * `helm repo index`, the chart `.tgz`s, plus any extra files (e.g. a remote values file). Counts requests per path so
 * tests can prove the cache was used.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { pinnedToolPath } from '../src/tools.js';
import { chartMirror } from './helpers.js';

export interface ChartServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The chart repository URL (`<url>/charts`). */
  repo: string;
  /** Requests served, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** Starts a chart repository holding `<chart>-<v>.tgz` for each version, plus `files` served at `/<name>`. */
export async function startChartServer(
  charts: Record<string, string[]>,
  files: Record<string, string> = {},
): Promise<ChartServer> {
  const hits = new Map<string, number>();
  let dir = '';
  for (const [chart, versions] of Object.entries(charts)) {
    const m = chartMirror(versions, chart);
    if (!dir) dir = m;
    else execFileSync('sh', ['-c', `cp "${m}"/*.tgz "${dir}"`]);
  }
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path in files || path.slice(1) in files) {
      res.end(files[path] ?? files[path.slice(1)]);
      return;
    }
    const file = path.startsWith('/charts/') ? join(dir, path.slice('/charts/'.length)) : '';
    if (file && dir && existsSync(file) && !path.includes('..')) {
      res.end(readFileSync(file));
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (dir) {
    execFileSync(pinnedToolPath('helm'), ['repo', 'index', dir, '--url', `${url}/charts`], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir },
    });
  }
  return {
    url,
    repo: `${url}/charts`,
    hits,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
