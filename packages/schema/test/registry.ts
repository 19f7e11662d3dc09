/**
 * The packed-tarball test installs from the npm registry, as a consumer would. When the registry is unreachable it
 * must fail with a sentence that says so and what to do, not with a raw `execFileSync` stack.
 */
import { execFileSync } from 'node:child_process';

/** Why the npm registry cannot be used from here, or undefined when `npm ping` answers. */
export function registryProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const opts = {
    encoding: 'utf8' as const,
    env,
    stdio: ['ignore', 'pipe', 'pipe'] as Array<'ignore' | 'pipe'>,
    timeout: 60_000,
  };
  let registry = 'the configured npm registry';
  try {
    registry = execFileSync('npm', ['config', 'get', 'registry'], opts).trim() || registry;
    execFileSync('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=30000'], opts);
    return undefined;
  } catch (err) {
    const e = err as { stderr?: string; signal?: string; code?: string; message: string };
    const reason =
      e.signal === 'SIGTERM'
        ? 'npm ping timed out after 60 s'
        : e.code === 'ENOENT'
          ? 'npm is not installed'
          : ((e.stderr ?? '')
              .split('\n')
              .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
              .find((l) => /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|network|proxy|40\d|50\d/i.test(l)) ??
            e.message.split('\n')[0]);
    return [
      `packed-tarball test: cannot reach the npm registry ${registry}: ${reason}.`,
      'The test installs the packed tarball into a scratch project with npm, which fetches its dependencies (ajv,',
      'ajv-formats, yaml) from the registry exactly as a consumer would; CI reaches the registry and runs it.',
      'Either:',
      '  - run it where the registry is reachable, or',
      '  - point npm_config_registry at a reachable mirror, or',
      '  - leave it out locally: pnpm --filter @understack/schema exec vitest run --exclude test/pack.test.ts',
    ].join('\n');
  }
}

/** An Error that prints as its message alone: the stack of a test helper says nothing about an unreachable registry. */
export function plainError(message: string): Error {
  const err = new Error(message);
  err.stack = `Error: ${message}`;
  return err;
}
