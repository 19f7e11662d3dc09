/**
 * Is there a Docker engine? The containers and kind tiers need one; this machine class (CI here) has none. Asked the
 * way testcontainers and kind find it: `DOCKER_HOST` (unix:// or tcp://), else /var/run/docker.sock, then `GET /_ping`.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { timeouts } from './timeouts.js';

export type DockerProbe = { ok: true; endpoint: string } | { ok: false; reason: string };

/** Where the Docker API would be, from the environment (no I/O). */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): {
  socketPath?: string;
  host?: string;
  port?: number;
  text: string;
} {
  const h = env.DOCKER_HOST;
  if (h?.startsWith('unix://')) return { socketPath: h.slice('unix://'.length), text: h };
  if (h?.startsWith('tcp://')) {
    const u = new URL(`http://${h.slice('tcp://'.length)}`);
    return { host: u.hostname, port: Number(u.port || 2375), text: h };
  }
  return { socketPath: '/var/run/docker.sock', text: 'unix:///var/run/docker.sock' };
}

/** Pings the Docker engine; never throws. */
export function probeDocker(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs: number = timeouts.dockerPing,
): Promise<DockerProbe> {
  const ep = dockerEndpoint(env);
  if (ep.socketPath && !existsSync(ep.socketPath))
    return Promise.resolve({
      ok: false,
      reason: `no Docker engine: ${ep.socketPath} does not exist${env.DOCKER_HOST ? '' : ' (DOCKER_HOST unset)'}`,
    });
  return new Promise((resolve) => {
    const req = request(
      { socketPath: ep.socketPath, host: ep.host, port: ep.port, path: '/_ping', method: 'GET', timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve(
            res.statusCode === 200
              ? { ok: true, endpoint: ep.text }
              : { ok: false, reason: `Docker engine at ${ep.text} answered /_ping with HTTP ${res.statusCode}` },
          ),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, reason: `no Docker engine at ${ep.text}: ${e.message}` }));
    req.end();
  });
}

/** `--require-docker` / `E2E_REQUIRE_DOCKER=1`: a missing engine is an error, not a skip. */
export function dockerRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.E2E_REQUIRE_DOCKER === '1' || env.E2E_REQUIRE_DOCKER === 'true';
}
