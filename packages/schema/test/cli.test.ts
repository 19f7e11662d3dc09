import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageDir } from '../scripts/lib/codegen.js';
import { parseArgs, runCli } from '../src/cli-main.js';
import { MAX_FILE_BYTES } from '../src/repo.js';
import { materialize, ruleDir, rulesFixtures, validRepo } from './helpers.js';

function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'understack-lint-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
function failing(id: string): string {
  const { dir, cleanup } = materialize(path.join(rulesFixtures, ruleDir(id), 'fail'));
  cleanups.push(cleanup);
  return dir;
}

describe(runCli, () => {
  it('should exit 0 and say so when the repo is clean', () => {
    const r = cli(validRepo);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No findings');
  });

  it('should exit 1 and print file:line:col  path  message  [rule] when there are findings', () => {
    const r = cli(failing('schema/unknown-key'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^site-a\/deploy\.yaml:9:3 {2}site\.nautobot_wroker {2}unknown key "nautobot_wroker": did you mean "nautobot_worker"\? {2}\[schema\/unknown-key\]$/m,
    );
    expect(r.stdout).toContain('Errors (1):');
  });

  it('should print errors and warnings apart and exit 0 when there are only warnings', () => {
    const r = cli(failing('worker/ca-bundle-private-only'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Warnings (1):');
    expect(r.stdout).not.toContain('Errors (');
    expect(cli(failing('worker/ca-bundle-private-only'), '--strict').code).toBe(1);
  });

  it('should print machine-readable findings when --format json is given', () => {
    const r = cli(failing('cert/common-name'), '--format', 'json');
    const out = JSON.parse(r.stdout);
    expect(out.errorCount).toBe(1);
    expect(out.findings[0]).toMatchObject({
      ruleId: 'cert/common-name',
      severity: 'error',
      file: 'global-1/nautobot/certificate-nautobot-mtls-client-site-a.yaml',
      path: 'spec.commonName',
      line: 10,
      column: 15,
    });
    const dir = failing('cert/common-name');
    expect(cli(dir, '--json').stdout).toBe(cli(dir, '--format', 'json').stdout);
  });

  it('should print SARIF 2.1.0 with the rule catalogue when --format sarif is given', () => {
    const out = JSON.parse(cli(failing('cert/weak-key'), '--format=sarif').stdout);
    expect(out.version).toBe('2.1.0');
    expect(out.runs[0].tool.driver.rules.length).toBeGreaterThan(30);
    expect(out.runs[0].results[0]).toMatchObject({ ruleId: 'cert/weak-key', level: 'error' });
    expect(out.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
  });

  it('should lint only the named cluster when --cluster is given', () => {
    const dir = failing('cert/common-name');
    expect(cli(dir, '--cluster', 'site-a').code).toBe(0);
    expect(cli(dir, '--cluster', 'global-1').code).toBe(1);
  });

  it.each([
    [['--format', 'xml', validRepo], '--format must be text, json or sarif'],
    [['--bogus', validRepo], 'unknown option --bogus'],
    [[], 'missing <deploy-repo>'],
    [['a', 'b'], 'only one deploy repo'],
    [['--cluster'], '--cluster needs a value'],
    [[validRepo, '--cluster', 'site-b'], 'unknown cluster "site-b": did you mean "site-a"?'],
    [['/nonexistent/understack'], 'no such directory'],
  ])('should exit 2 with a usage error when argv is %j', (argv, message) => {
    const r = cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('should exit 2 and explain when the directory is not a deploy repo', () => {
    const dir = scratch();
    mkdirSync(path.join(dir, 'charts'));
    writeFileSync(path.join(dir, 'README.md'), '# not a deploy repo\n');
    const r = cli(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a deploy repo: no <cluster>/deploy.yaml found');
    expect(r.stderr).toContain('Either:');
    expect(r.stderr).toContain('[E_NOT_DEPLOY_REPO]');
  });

  it('should suggest the parent and --cluster when a cluster directory is passed', () => {
    const r = cli(path.join(validRepo, 'site-a'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a cluster directory, not a deploy repo');
    expect(r.stderr).toContain('--cluster site-a');
  });

  it('should exit 2 when the path is a file', () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'deploy.yaml'), 'a: 1\n');
    expect(cli(path.join(dir, 'deploy.yaml')).stderr).toContain('not a directory');
  });

  it('should print help and the rule list', () => {
    expect(cli('--help').stdout).toContain('Usage: understack-lint <deploy-repo>');
    expect(cli('--list-rules').stdout).toContain('mtls/ca-on-site');
    expect(JSON.parse(cli('--list-rules', '--json').stdout).length).toBeGreaterThan(30);
    expect(cli('--version').stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(cli('--explain', 'worker/cert-volume-mode').stdout).toContain('is *decimal* 400 = octal 0620');
    const unknown = cli('--explain', 'worker/cert-volume-mod');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "worker/cert-volume-mode"?');
  });
});

describe('bad input', () => {
  it.each([
    ['UTF-16 file', Buffer.from('\ufeffa: 1\n', 'utf16le'), 'repo/encoding', 'UTF-16'],
    ['Latin-1 file', Buffer.from('a: caf\xe9\n', 'latin1'), 'repo/encoding', 'not valid UTF-8'],
    ['tab-indented YAML', Buffer.from('a:\n\tb: 1\n'), 'yaml/syntax', ''],
    ['an unterminated string', Buffer.from('a: "b\n'), 'yaml/syntax', ''],
    ['a duplicate key', Buffer.from('a: 1\na: 2\n'), 'yaml/duplicate-key', 'duplicate key "a"'],
    ['an undefined alias', Buffer.from('a: *nope\n'), 'yaml/syntax', ''],
  ])('should report a finding, not crash, when a file has %s', (_what, content, ruleId, message) => {
    const { dir, cleanup } = materialize(undefined);
    cleanups.push(cleanup);
    writeFileSync(path.join(dir, 'site-a', 'nautobot-worker', 'broken.yaml'), content);
    const r = cli(dir, '--json');
    expect(r.code).toBe(1);
    const f = JSON.parse(r.stdout).findings.find((x: { ruleId: string }) => x.ruleId === ruleId);
    expect(f, r.stdout).toBeDefined();
    expect(f.file).toBe('site-a/nautobot-worker/broken.yaml');
    expect(f.message).toContain(message);
  });

  it('should stop expanding and report when a file is an alias bomb', () => {
    const { dir, cleanup } = materialize(undefined);
    cleanups.push(cleanup);
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`,
      );
    }
    writeFileSync(path.join(dir, 'site-a', 'bomb.yaml'), `${levels.join('\n')}\n`);
    const started = Date.now();
    const r = cli(dir, '--json');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toContain('yaml/alias-bomb');
  });

  it('should report symlink loops and links out of the repo without following them', () => {
    const { dir, cleanup } = materialize(undefined);
    cleanups.push(cleanup);
    symlinkSync('loop-b.yaml', path.join(dir, 'site-a', 'loop-a.yaml'));
    symlinkSync('loop-a.yaml', path.join(dir, 'site-a', 'loop-b.yaml'));
    symlinkSync('/', path.join(dir, 'site-a', 'root'));
    symlinkSync('..', path.join(dir, 'site-a', 'parent'));
    const r = cli(dir, '--json');
    const ids = JSON.parse(r.stdout).findings.map((f: { ruleId: string; file: string }) => `${f.ruleId} ${f.file}`);
    expect(ids).toContain('repo/symlink-escape site-a/loop-a.yaml');
    expect(ids).toContain('repo/symlink-escape site-a/root');
    expect(r.code).toBe(1);
  });
});

it('should report, not hang, when directories nest deeper than the walk limit', () => {
  const { dir, cleanup } = materialize(undefined);
  cleanups.push(cleanup);
  mkdirSync(path.join(dir, 'site-a', ...Array.from({ length: 20 }, (_, i) => `d${i}`)), { recursive: true });
  const out = JSON.parse(cli(dir, '--json').stdout);
  expect(out.findings.map((f: { message: string }) => f.message).join('\n')).toContain('nested deeper than 16 levels');
});

describe(parseArgs, () => {
  it('should accept --flag=value and --flag value forms', () => {
    expect(parseArgs(['repo', '--cluster=a', '--format', 'sarif'])).toMatchObject({
      repo: 'repo',
      cluster: 'a',
      format: 'sarif',
    });
  });
});

it('should report a FIFO, a socket and an oversized file and return within seconds instead of blocking', async () => {
  const { dir, cleanup } = materialize(undefined);
  cleanups.push(cleanup);
  execFileSync('mkfifo', [
    path.join(dir, 'site-a', 'nautobot-worker', 'pipe.yaml'),
    path.join(dir, 'site-a', 'ca.key'),
  ]);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'site-a', 'agent.sock'), resolve));
  cleanups.push(() => server.close());
  writeFileSync(path.join(dir, 'site-a', 'blob.bin'), Buffer.alloc(MAX_FILE_BYTES + 1));
  // A child process with a timeout: if the walk ever blocks on the FIFO again, the test fails instead of hanging.
  const started = Date.now();
  const r = spawnSync(path.join(packageDir, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', dir, '--json'], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.signal, 'understack-lint was killed by the timeout: it blocked').toBeNull();
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(r.status).toBe(1);
  const found = JSON.parse(r.stdout).findings.map(
    (f: { ruleId: string; file: string; message: string }) => `${f.ruleId} ${f.file} ${f.message.split(',')[0]}`,
  );
  expect(found).toEqual(
    expect.arrayContaining([
      'repo/unreadable site-a/nautobot-worker/pipe.yaml a named pipe (FIFO)',
      'repo/unreadable site-a/ca.key a named pipe (FIFO)',
      'repo/unreadable site-a/agent.sock a socket',
      expect.stringMatching(/^repo\/file-too-large site-a\/blob\.bin file is \d+ bytes/),
    ]),
  );
});

it('should say the walk stopped early when a tree too deep hides every deploy.yaml', () => {
  const dir = scratch();
  const deep = path.join(dir, ...Array.from({ length: 20 }, (_, i) => `d${i}`));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'deploy.yaml'), 'site: {enabled: true}\n');
  const r = cli(dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('is not a deploy repo');
  expect(r.stderr).toContain('the walk stopped early');
});
