/**
 * The published artefact: build, `pnpm pack`, install the tarball with npm into a scratch project (no workspace links,
 * dependencies from the registry), then import it, validate a file and run the bin, exactly as a deploy repo would.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../scripts/lib/codegen.js';
import { rulesFixtures, validRepo } from './helpers.js';
import { plainError, registryProblem } from './registry.js';

let scratch = '';
/** Runs a command; a failure's message carries the command's output tail (tsc reports on stdout, npm on stderr). */
function sh(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string; status?: number };
    const tail = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    e.message = `failed to run ${[cmd, ...args].join(' ')} in ${cwd} (exit ${e.status ?? '?'}):\n${tail}`;
    throw e;
  }
}

describe('packed tarball', () => {
  beforeAll(() => {
    // Fail with a sentence, not an npm stack, when the registry is unreachable (CI reaches it, so it runs there).
    const problem = registryProblem();
    if (problem) throw plainError(problem);
    scratch = mkdtempSync(path.join(tmpdir(), 'understack-schema-pack-'));
    sh('pnpm', ['run', 'build'], packageDir);
    sh('pnpm', ['pack', '--pack-destination', scratch], packageDir);
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`pnpm pack produced no tarball in ${scratch}`);
    const project = path.join(scratch, 'consumer');
    cpSync(validRepo, path.join(project, 'deploy'), { recursive: true });
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(scratch, tarball)], project);
  }, 240_000);
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('should import the validators, types and raw schemas when installed from the tarball', () => {
    const project = path.join(scratch, 'consumer');
    writeFileSync(
      path.join(project, 'check.mjs'),
      `import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validateDeploy, validateMtlsExternalSecret, lintDeployRepo, rules, schemaNames } from '@understack/schema';
import deploySchema from '@understack/schema/schemas/deploy.schema.json' with { type: 'json' };
const deploy = parse(readFileSync('deploy/site-a/deploy.yaml', 'utf8'));
const es = parse(readFileSync('deploy/site-a/nautobot-worker/externalsecret-nautobot-mtls-client.yaml', 'utf8'));
const bad = validateDeploy({ site: { nautobot_wroker: { enabled: true } } });
console.log(JSON.stringify({
  deployOk: validateDeploy(deploy).ok,
  esOk: validateMtlsExternalSecret(es).ok,
  bad: bad.ok ? null : bad.issues[0].dotPath,
  id: deploySchema.$id,
  rules: rules.length,
  schemas: schemaNames.length,
  lint: lintDeployRepo('deploy').errorCount,
}));
`,
    );
    const out = JSON.parse(sh('node', ['check.mjs'], project));
    expect(out).toMatchObject({
      deployOk: true,
      esOk: true,
      bad: 'site.nautobot_wroker',
      id: 'https://understack.example/schemas/v1/deploy.schema.json',
      lint: 0,
    });
    expect(out.rules).toBeGreaterThan(30);
    const linked = sh('node', ['-e', 'console.log(require.resolve("@understack/schema/package.json"))'], project);
    expect(linked).toContain(path.join('node_modules', '@understack', 'schema'));
    expect(linked).not.toContain(packageDir);
  });

  it('should type-check a consumer against the shipped .d.ts files', () => {
    const project = path.join(scratch, 'consumer');
    writeFileSync(
      path.join(project, 'use.ts'),
      `import { validateDeploy, type Deploy, type LintResult } from '@understack/schema';
const r = validateDeploy({});
const d: Deploy | undefined = r.ok ? r.value : undefined;
const n: number = (null as unknown as LintResult).errorCount;
export { d, n };
`,
    );
    const tsc = path.join(packageDir, 'node_modules', 'typescript', 'bin', 'tsc');
    sh(
      'node',
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--skipLibCheck',
        'false',
        'use.ts',
      ],
      project,
    );
  });

  it('should ship the sources the declaration maps point at (go-to-definition) and no tests', () => {
    const installed = path.join(scratch, 'consumer', 'node_modules', '@understack', 'schema');
    for (const map of ['dist/index.d.ts.map', 'dist/lint.d.ts.map', 'dist/lint.js.map']) {
      const { sources } = JSON.parse(readFileSync(path.join(installed, map), 'utf8')) as { sources: string[] };
      for (const src of sources) {
        expect(existsSync(path.resolve(path.dirname(path.join(installed, map)), src)), `${map} -> ${src}`).toBe(true);
      }
    }
    expect(existsSync(path.join(installed, 'src', 'lint.test.ts'))).toBe(false);
    expect(existsSync(path.join(installed, 'src', 'model.test.ts'))).toBe(false);
  });

  it('should run the understack-lint bin when installed', () => {
    const project = path.join(scratch, 'consumer');
    expect(sh(path.join(project, 'node_modules', '.bin', 'understack-lint'), ['deploy'], project)).toContain(
      'No findings',
    );
    let code = 0;
    let stdout = '';
    try {
      sh(path.join(project, 'node_modules', '.bin', 'understack-lint'), [path.join(rulesFixtures, 'nope')], project);
    } catch (err) {
      code = (err as { status: number }).status;
      stdout = String((err as { stderr: string }).stderr);
    }
    expect(code).toBe(2);
    expect(stdout).toContain('understack-lint:');
  });
});
