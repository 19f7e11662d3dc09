import { describe, expect, it } from 'vitest';
import { registryProblem } from './registry.js';

describe(registryProblem, () => {
  it('should explain what failed and how to fix it when the registry is unreachable', () => {
    // Port 9 (discard) on loopback: connection refused at once, no network needed.
    const problem = registryProblem({ ...process.env, npm_config_registry: 'http://127.0.0.1:9/' });
    expect(problem).toMatch(/^packed-tarball test: cannot reach the npm registry http:\/\/127\.0\.0\.1:9\/: /);
    expect(problem).toContain('ECONNREFUSED');
    expect(problem).toContain('Either:');
  });
});
