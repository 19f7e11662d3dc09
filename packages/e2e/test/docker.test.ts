import { describe, expect, it } from 'vitest';
import { dockerEndpoint, dockerRequired, probeDocker } from '../src/docker.js';

describe(dockerEndpoint, () => {
  it.each([
    [{}, { socketPath: '/var/run/docker.sock', text: 'unix:///var/run/docker.sock' }],
    [
      { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' },
      { socketPath: '/run/user/1000/docker.sock', text: 'unix:///run/user/1000/docker.sock' },
    ],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2376' }, { host: '10.0.0.5', port: 2376, text: 'tcp://10.0.0.5:2376' }],
  ])('should find the Docker API from %j', (env, want) => {
    expect(dockerEndpoint(env)).toEqual(want);
  });
});

describe(probeDocker, () => {
  it('should report why when the socket does not exist', async () => {
    const r = await probeDocker({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r).toEqual({ ok: false, reason: 'no Docker engine: /nonexistent/docker.sock does not exist' });
  });

  it('should report a refused TCP endpoint instead of throwing', async () => {
    const r = await probeDocker({ DOCKER_HOST: 'tcp://127.0.0.1:1' }, 1000);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/no Docker engine at tcp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});

describe(dockerRequired, () => {
  it.each([
    [{}, false],
    [{ E2E_REQUIRE_DOCKER: '1' }, true],
    [{ E2E_REQUIRE_DOCKER: 'true' }, true],
    [{ E2E_REQUIRE_DOCKER: '0' }, false],
  ])('should read %j as %s', (env, want) => expect(dockerRequired(env)).toBe(want));
});
