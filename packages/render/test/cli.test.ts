/**
 * The `understack-render` CLI end to end (built dist, real helm/kustomize): output tree, JSON summary, exit codes,
 * error reporting that names cluster/app/source, the cache, Ctrl-C cleanup and the `diff` command.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { cleanupTemps, FIXTURES, gitInit, tempDir } from './helpers.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(PKG, 'bin', 'understack-render.js');
const UNDERSTACK = join(FIXTURES, 'understack');
const ROOT = join(PKG, '..', '..');

beforeAll(() => {
  // The bin shim runs dist/: build it so the test exercises the shipped entry point.
  execFileSync(join(PKG, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: PKG });
});
afterAll(cleanupTemps);

function deployCopy(): string {
  const d = join(tempDir(), 'deploy');
  cpSync(join(FIXTURES, 'deploy'), d, { recursive: true });
  return d;
}

async function cli(args: string[], env: Record<string, string> = {}) {
  return execa('node', [BIN, ...args], { reject: false, env: { ...env }, cwd: PKG });
}

describe(main, () => {
  it('should print help and exit 0 when --help is given', async () => {
    const r = await cli(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: understack-render <deploy-repo>');
    expect(r.stdout).toContain('Exit codes:');
    expect((await cli(['--version'])).stdout).toMatch(/understack-render \d+\.\d+\.\d+\n {2}Argo CD 3.4: helm 3/);
    const d = await cli(['diff', '--help']);
    expect(d.exitCode).toBe(0);
    expect(d.stdout).toContain('--base <rev>');
  });

  it.each([
    [['--bogus', 'x'], 'Unknown option'],
    [[], 'expected one <deploy-repo> argument'],
    [['x', '--mode', 'nope'], '--mode nope'],
    [['diff', 'x'], 'diff needs --base'],
    [['x', '--argocd-version', '2.9'], 'unsupported --argocd-version 2.9'],
  ])('should exit 2 with a usage error when called with %j', async (args, message) => {
    const r = await cli(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('should write one file per resource and a JSON summary when --out and --json are given', async () => {
    const out = join(tempDir(), 'out');
    const r = await cli([deployCopy(), '--understack', UNDERSTACK, '--no-cache', '--out', out, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      ok: true,
      argocdVersion: '3.5',
      mode: 'target',
      totals: { clusters: 3, apps: 2, failed: 0 },
    });
    const site = join(out, 'site-a', 'site-a-nautobot-worker');
    // The multi-source site app holds the chart's worker Deployment and the overlay's ExternalSecret.
    expect(readdirSync(site).sort()).toEqual([
      'Deployment.apps_nautobot_nautobot-worker.yaml',
      'ExternalSecret.external-secrets.io_nautobot_nautobot-worker-mtls.yaml',
      'Secret_nautobot_nautobot-worker-token.yaml',
    ]);
    expect(readFileSync(join(site, 'Deployment.apps_nautobot_nautobot-worker.yaml'), 'utf8')).toContain('- site-a');
    // Secret values are masked unless --reveal-secrets.
    expect(readFileSync(join(site, 'Secret_nautobot_nautobot-worker-token.yaml'), 'utf8')).not.toContain(
      'not-a-real-token',
    );
    expect(
      existsSync(join(out, 'site-a', 'app-of-apps', 'Application.argoproj.io_argocd_site-a-nautobot-worker.yaml')),
    ).toBe(true);
  });

  it('should write one .json file per resource when --format json is given with --out', async () => {
    const out = join(tempDir(), 'out');
    const r = await cli([
      deployCopy(),
      '--understack',
      UNDERSTACK,
      '--no-cache',
      '-q',
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const site = join(out, 'site-a', 'site-a-nautobot-worker');
    const names = readdirSync(site).sort();
    expect(names).toContain('Deployment.apps_nautobot_nautobot-worker.json');
    expect(names.every((n) => n.endsWith('.json'))).toBe(true);
    const dep = JSON.parse(readFileSync(join(site, 'Deployment.apps_nautobot_nautobot-worker.json'), 'utf8'));
    expect(dep).toMatchObject({ kind: 'Deployment', metadata: { name: 'nautobot-worker', namespace: 'nautobot' } });
  });

  it('should update its own --out folder in place and refuse a folder it did not write', async () => {
    const d = deployCopy();
    const out = join(tempDir(), 'out');
    expect((await cli([d, '--understack', UNDERSTACK, '--no-cache', '-q', '--out', out])).exitCode).toBe(0);
    rmSync(join(d, 'site-b'), { recursive: true });
    expect((await cli([d, '--understack', UNDERSTACK, '--no-cache', '-q', '--out', out])).exitCode).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.understack-render', 'site-a']);
    const foreign = tempDir('foreign-');
    writeFileSync(join(foreign, 'keep.txt'), 'mine');
    const r = await cli([d, '--understack', UNDERSTACK, '--no-cache', '-q', '--out', foreign]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('was not written by understack-render');
    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('should report every failing app with cluster, app and source index and still render the others', async () => {
    const d = deployCopy();
    writeFileSync(join(d, 'site-b', 'nautobot-worker', 'values.yaml'), 'queue: [unclosed\n');
    const r = await cli([d, '--understack', UNDERSTACK, '--no-cache', '--json']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      'cluster site-b, application site-b-nautobot-worker: failed to generate manifest for source 1 of 2:',
    );
    expect(r.stderr).toMatch(/site-b\/nautobot-worker\/values\.yaml:\d+:\d+: invalid YAML/);
    const summary = JSON.parse(r.stdout);
    expect(summary.ok).toBe(false);
    expect(summary.clusters.find((c: { name: string }) => c.name === 'site-a').apps[0].resources).toBe(3);
  });

  it('should point at file:line when a deploy.yaml is invalid YAML', async () => {
    const d = deployCopy();
    writeFileSync(join(d, 'site-a', 'deploy.yaml'), 'apps:\n  x: [oops\n');
    const r = await cli([d, '--understack', UNDERSTACK, '--no-cache', '-c', 'site-a']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/site-a\/deploy\.yaml:\d+:\d+: invalid YAML/);
  });

  it('should exit 2 (usage) and name the clusters that exist when --cluster is unknown', async () => {
    const r = await cli([deployCopy(), '--understack', UNDERSTACK, '-c', 'nope']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('cluster nope not found');
    expect(r.stderr).toContain('global-1, site-a, site-b');
  });

  it('should serve an unchanged re-render from the cache with identical output', async () => {
    const d = deployCopy();
    const cache = tempDir('cache-');
    const first = await cli([d, '--understack', UNDERSTACK, '--cache-dir', cache, '-q']);
    const second = await cli([d, '--understack', UNDERSTACK, '--cache-dir', cache, '-q', '--json']);
    const third = await cli([d, '--understack', UNDERSTACK, '--cache-dir', cache, '-q']);
    expect(first.exitCode).toBe(0);
    expect(JSON.parse(second.stdout).tools.ran).toBe(0);
    expect(third.stdout).toBe(first.stdout);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'should run its handler and leave no temp folder behind when sent %s mid-render',
    async (signal, code) => {
      const tmp = tempDir('tmpdir-');
      const child = execa('node', [BIN, deployCopy(), '--understack', UNDERSTACK, '--no-cache', '-j', '1'], {
        reject: false,
        env: { TMPDIR: tmp },
      });
      // Wait until the session folder exists (the render has started and the handler is installed).
      for (let i = 0; i < 2000 && readdirSync(tmp).length === 0 && child.exitCode === null; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(readdirSync(tmp).length, 'the render never created its temp folder').toBeGreaterThan(0);
      child.kill(signal);
      const r = await child;
      // Without the handler, node dies of the signal (no exit code) or the render finishes (0): both fail here.
      expect(r.exitCode, r.stderr).toBe(code);
      expect(r.stderr).toContain('interrupted: removing temporary files');
      expect(readdirSync(tmp)).toEqual([]);
    },
  );

  it('should print N/M progress on stderr, ending at M/M, unless --quiet', async () => {
    const d = deployCopy();
    const r = await cli([d, '--understack', UNDERSTACK, '--no-cache']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('rendered '));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^rendered \d+\/\d+ apps$/);
    // the Applications the 3 clusters' app-of-apps emit (one per site; global-1 has none)
    expect(lines.at(-1)).toBe('rendered 2/2 apps');
    const quiet = await cli([d, '--understack', UNDERSTACK, '--no-cache', '-q']);
    expect(quiet.stderr).not.toContain('rendered ');
  });

  it('should show a deploy folder or cluster that is new since --base as wholly added', async () => {
    const root = tempDir('diffnew-');
    cpSync(UNDERSTACK, join(root, 'understack'), { recursive: true });
    gitInit(root); // the base commit has no deploy folder at all
    cpSync(join(FIXTURES, 'deploy'), join(root, 'deploy'), { recursive: true });
    const args = [
      'diff',
      join(root, 'deploy'),
      '--base',
      'HEAD',
      '--understack',
      join(root, 'understack'),
      '--no-cache',
    ];
    const all = await cli([...args, '--json']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stderr).toContain('note: deploy does not exist on base');
    const summary = JSON.parse(all.stdout);
    expect(summary.totals.removed).toBe(0);
    expect(summary.apps.map((x: { cluster: string; app: string }) => `${x.cluster}/${x.app}`)).toContain(
      'site-a/site-a-nautobot-worker',
    );
    // --cluster naming a cluster that exists only on head: added, not a usage error
    const one = await cli([...args, '-c', 'site-b', '--json']);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(new Set(JSON.parse(one.stdout).apps.map((x: { cluster: string }) => x.cluster))).toEqual(
      new Set(['site-b']),
    );
    const none = await cli([...args, '-c', 'nope']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('cluster nope not found in deploy on either revision');
  });

  it('should show a one-line values change as exactly the affected resource when diffing two revisions', async () => {
    const root = tempDir('diffrepo-');
    cpSync(UNDERSTACK, join(root, 'understack'), { recursive: true });
    cpSync(join(FIXTURES, 'deploy'), join(root, 'deploy'), { recursive: true });
    gitInit(root);
    writeFileSync(join(root, 'deploy', 'site-a', 'nautobot-worker', 'values.yaml'), 'queue: site-a\nreplicas: 2\n');
    const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
    const same = await cli([
      'diff',
      join(root, 'deploy'),
      '--base',
      'HEAD',
      '--head',
      'HEAD',
      '--understack',
      join(root, 'understack'),
      '--no-cache',
      '--exit-code',
    ]);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stdout).toContain('No differences.');
    const work = await cli([
      'diff',
      join(root, 'deploy'),
      '--base',
      'HEAD',
      '--understack',
      join(root, 'understack'),
      '--no-cache',
      '--exit-code',
    ]);
    expect(work.exitCode, work.stderr).toBe(1);
    expect(work.stdout).toContain('=== site-a/site-a-nautobot-worker: 0 added, 0 removed, 1 changed');
    expect(work.stdout).toContain('-  replicas: 1\n+  replicas: 2');
    expect(work.stdout).toContain('Summary: 0 added, 0 removed, 1 changed in 1 application(s).');
    execFileSync('git', ['-C', root, 'commit', '-qam', 'two replicas'], { env: { ...process.env, ...env } });
    const json = await cli([
      'diff',
      join(root, 'deploy'),
      '--base',
      'HEAD~1',
      '--head',
      'HEAD',
      '--understack',
      join(root, 'understack'),
      '--no-cache',
      '--json',
    ]);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).apps).toEqual([
      {
        cluster: 'site-a',
        app: 'site-a-nautobot-worker',
        added: [],
        removed: [],
        changed: ['Deployment.apps_nautobot_nautobot-worker.yaml'],
      },
    ]);
    // worktrees are cleaned up
    expect(execFileSync('git', ['-C', root, 'worktree', 'list']).toString().trim().split('\n')).toHaveLength(1);
    // An app that fails on one side is listed as not compared, never as all-removed.
    writeFileSync(join(root, 'deploy', 'site-a', 'nautobot-worker', 'values.yaml'), 'queue: [broken\n');
    const broken = await cli([
      'diff',
      join(root, 'deploy'),
      '--base',
      'HEAD',
      '--understack',
      join(root, 'understack'),
      '--no-cache',
    ]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toContain('=== site-a/site-a-nautobot-worker: not compared, failed to render on head');
    expect(broken.stdout).not.toContain('removed, 0 changed');
    expect(broken.stdout).toContain('No differences.');
    expect(broken.stderr).toContain('error (head): cluster site-a, application site-a-nautobot-worker');
    mkdirSync(join(root, 'x'), { recursive: true });
  });
});

describe('@understack/render (built package entry)', () => {
  /** A consumer project whose node_modules links this package, as a workspace or npm install would. */
  function consumer(): string {
    const dir = tempDir('consumer-');
    mkdirSync(join(dir, 'node_modules', '@understack'), { recursive: true });
    symlinkSync(PKG, join(dir, 'node_modules', '@understack', 'render'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    return dir;
  }

  it('should export renderApplication, renderCluster, renderDeployRepo and the diff helpers by package name', async () => {
    const dir = consumer();
    const r = await execa(
      'node',
      [
        '--input-type=module',
        '-e',
        "const m = await import('@understack/render'); console.log(Object.keys(m).join(' '))",
      ],
      { cwd: dir, reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const names = r.stdout.split(' ');
    for (const n of ['renderApplication', 'renderCluster', 'renderDeployRepo', 'diffRenders', 'renderFiles']) {
      expect(names).toContain(n);
    }
  });

  it('should compile and run the README library example against the built package', async () => {
    const dir = consumer();
    const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
    const example = /## Library\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README.md has a ```ts block under ## Library').toBeDefined();
    writeFileSync(join(dir, 'example.ts'), example ?? '');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: ['node'],
          typeRoots: [join(PKG, 'node_modules', '@types')],
          outDir: 'out',
        },
        files: ['example.ts'],
      }),
    );
    const tsc = await execa(join(PKG, 'node_modules', '.bin', 'tsc'), ['-p', dir], { reject: false });
    expect(tsc.exitCode, tsc.stdout + tsc.stderr).toBe(0);
    // Run from the repository root, as the README says, so 'examples/deploy' resolves.
    const run = await execa('node', [join(dir, 'out', 'example.js')], {
      cwd: ROOT,
      reject: false,
      env: { XDG_CACHE_HOME: tempDir('cache-') },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^true site-iad3: \d+ apps$/);
    expect(run.stdout).toMatch(/site-iad3-nautobot-worker \d+ resources/);
    expect(lines.at(-1)).toMatch(/^[1-9]\d* 0 \[\]$/);
  });
});
