/**
 * The shell entry points (scripts/setup.sh, scripts/lock-python.sh, scripts/env.sh) run for real; where they would
 * install system packages, fake `id`, `sudo` and `apt-get` on a temp PATH record what they would have done.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPins, repoRoot } from './tools.js';

const root = repoRoot();
let fakes: string;

function fake(name: string, body: string): void {
  writeFileSync(join(fakes, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(fakes, name), 0o755);
}

beforeEach(() => {
  fakes = mkdtempSync(join(tmpdir(), 'shell-scripts-'));
});
afterEach(() => rmSync(fakes, { recursive: true, force: true }));

describe('scripts/setup.sh', () => {
  it('should print only the usage comment when given --help', () => {
    const r = spawnSync('bash', [join(root, 'scripts/setup.sh'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: bash scripts\/setup.sh/);
    expect(r.stdout).toContain('python3 + python3-venv');
    expect(r.stdout).not.toMatch(/set -euo|export|TURBO/);
  });

  it('should refuse an unknown option with exit 2', () => {
    const r = spawnSync('bash', [join(root, 'scripts/setup.sh'), '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --bogus');
  });

  it('should stop with the version it needs when Node.js is older than 20.11', () => {
    // A Node 20.10: its version test (`node -e ...`) fails, and it reports v20.10.0.
    fake('node', 'case "$1" in --version) echo v20.10.0 ;; *) exit 1 ;; esac');
    const r = spawnSync('bash', [join(root, 'scripts/setup.sh')], {
      encoding: 'utf8',
      env: { PATH: `${fakes}:/usr/bin:/bin`, HOME: fakes },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Node.js >= 20.11 is required, found v20.10.0');
  });

  it('should apt-get install python3-venv, and say why, when python3 cannot make a virtualenv', () => {
    const log = join(fakes, 'apt.log');
    fake('python3', 'case "$*" in *ensurepip*) exit 1 ;; esac; echo "Python 3.11.2"');
    fake('id', 'echo 1000');
    fake('sudo', 'exec "$@"');
    fake('apt-get', `echo "apt-get $*" >> ${log}`);
    fake('pnpm', 'exit 1'); // stop after the system step: pnpm cannot be "installed" ...
    fake('npm', 'exit 1'); // ... because npm fails too
    const r = spawnSync('bash', [join(root, 'scripts/setup.sh'), '--no-build'], {
      encoding: 'utf8',
      env: { PATH: `${fakes}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: fakes },
    });
    expect(r.stderr).toContain('python3 cannot create virtualenvs (no venv/ensurepip module): adding python3-venv');
    const apt = readFileSync(log, 'utf8');
    expect(apt).toContain('apt-get update');
    expect(apt).toMatch(/apt-get install -y -qq --no-install-recommends .*python3-venv/);
    expect(r.status).not.toBe(0); // the fake npm
  });
});

describe('.ci/run', () => {
  it('should print its usage without running CI when given --help, and refuse unknown options', () => {
    const r = spawnSync('bash', [join(root, '.ci/run'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: bash .ci\/run\n/);
    expect(r.stdout).not.toMatch(/set -euo/);
    expect(spawnSync('bash', [join(root, '.ci/run'), '--x'], { encoding: 'utf8' }).status).toBe(2);
  });

  it('should run the README commands and the generated-files gate, in that order', () => {
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const commands = ci.split('\n').filter((l) => /^(bash scripts|pnpm )/.test(l));
    expect(commands).toEqual(['bash scripts/setup.sh', 'pnpm example', 'pnpm generate', 'pnpm test']);
    expect(readme).toContain('bash scripts/setup.sh && pnpm example');
    expect(readme).toMatch(/^pnpm test\s+#/m);
  });
});

describe('scripts/lock-python.sh', () => {
  it('should print its usage and not touch requirements.lock when given --help', () => {
    const before = readFileSync(join(root, 'requirements.lock'), 'utf8');
    const r = spawnSync('bash', [join(root, 'scripts/lock-python.sh'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: bash scripts\/lock-python.sh/);
    expect(readFileSync(join(root, 'requirements.lock'), 'utf8')).toBe(before);
    expect(spawnSync('bash', [join(root, 'scripts/lock-python.sh'), '--x'], { encoding: 'utf8' }).status).toBe(2);
  });
});

describe('scripts/env.sh', () => {
  it('should resolve helm, helm unittest, kustomize and kind to the pinned versions', () => {
    const pins = loadPins();
    const script = [
      `source ${join(root, 'scripts/env.sh')}`,
      'helm version --template "helm={{.Version}}\\n"',
      'helm unittest --help >/dev/null && echo unittest=ok',
      'kustomize version',
      'kind version',
      'command -v python',
    ].join(' && ');
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: fakes } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`helm=v${pins.tools['helm']!.version}`);
    expect(r.stdout).toContain('unittest=ok');
    expect(r.stdout).toContain(`v${pins.tools['kustomize']!.version}`);
    expect(r.stdout).toContain(`kind v${pins.tools['kind']!.version}`);
    expect(r.stdout).toContain(join(root, '.venv', 'bin', 'python'));
  });
});
