/**
 * The installer against fake tools: a temp repository root with its own tools.json, and a temp PATH holding fake
 * binaries and a fake `go` (shell scripts that print a chosen version). Nothing here touches the checkout's .tools/.
 * The plugin test runs the real pinned helm against the plugin folder the installer writes.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertInstalled, goAtLeast, goBinaryName, installPython, installTools, pluginYaml } from './install.js';
import { loadPins, requireTool, ToolError, toolPath } from './tools.js';

const FAKE_PIN = {
  version: '1.2.3',
  bin: 'fake',
  versionArgs: ['--version'],
  versionPattern: 'fake v(?<version>\\d+\\.\\d+\\.\\d+)',
  go: { package: 'example.com/cmd/fake', minGo: '1.26' },
};
const PLUGIN_PIN = {
  version: '1.0.1',
  bin: 'fku',
  plugin: 'fakeunit',
  go: { package: 'example.com/cmd/fku', minGo: '1.24' },
};

/** A fake `go`: `go env` prints FAKE_GO_VERSION/FAKE_GOTOOLCHAIN; `go install pkg@vX` writes a script printing vX. */
const FAKE_GO = `#!/bin/sh
echo "$*" >> "$FAKE_GO_LOG"
case "$1" in
  env) printf '%s\\n%s\\n\\n' "\${FAKE_GO_VERSION:-go1.26.8}" "\${FAKE_GOTOOLCHAIN:-local}" ;;
  install)
    for last; do :; done
    pkg=\${last%@*}; name=\${pkg##*/}; version=\${FAKE_BUILT_VERSION:-\${last##*@v}}
    printf '#!/bin/sh\\necho "%s v%s"\\n' "$name" "$version" > "$GOBIN/$name"
    chmod +x "$GOBIN/$name" ;;
esac
`;

const fakeBinary = (name: string, version: string) => `#!/bin/sh\necho "${name} v${version}"\n`;

let root: string;
let pathDir: string;
let saved: NodeJS.ProcessEnv;
const quiet = () => undefined;

function writeExec(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

function makeRoot(tools: Record<string, unknown>): void {
  mkdirSync(join(root, 'scripts'), { recursive: true });
  writeFileSync(
    join(root, 'scripts', 'tools.json'),
    JSON.stringify({ argocd: { default: '3.5', releases: {} }, tools }),
  );
}

/** Pid of a process that has exited (what an interrupted installer leaves in its temp names). */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

beforeEach(() => {
  saved = { ...process.env };
  root = mkdtempSync(join(tmpdir(), 'install-test-root-'));
  pathDir = mkdtempSync(join(tmpdir(), 'install-test-path-'));
  // Only the fake tools and the basic system folders (for sh, chmod, printf): no real go, helm or kind.
  process.env['PATH'] = `${pathDir}:/usr/bin:/bin`;
  process.env['FAKE_GO_LOG'] = join(pathDir, 'go.log');
  delete process.env['FAKE_BUILT_VERSION'];
  delete process.env['FAKE_GO_VERSION'];
  delete process.env['FAKE_GOTOOLCHAIN'];
});

afterEach(() => {
  process.env = saved;
  rmSync(root, { recursive: true, force: true });
  rmSync(pathDir, { recursive: true, force: true });
});

describe(goBinaryName, () => {
  it.each([
    ['helm.sh/helm/v4/cmd/helm', 'helm'],
    ['sigs.k8s.io/kustomize/kustomize/v5', 'kustomize'],
    ['sigs.k8s.io/kind', 'kind'],
  ])('should name the binary go install writes for %s', (pkg, bin) => {
    expect(goBinaryName(pkg)).toBe(bin);
  });
});

describe(goAtLeast, () => {
  it.each([
    ['go1.26.8', '1.26', true],
    ['go1.26.0', '1.26', true],
    ['go1.24.11', '1.26', false],
    ['go1.27', '1.26.1', true],
    ['3.11', '3.10', true],
    ['3.9', '3.10', false],
  ])('should compare %s with %s as %s', (have, want, expected) => {
    expect(goAtLeast(have, want)).toBe(expected);
  });
});

describe(installTools, () => {
  it('should not use a binary on PATH at the wrong version, and name tool, wanted, found and fix', async () => {
    makeRoot({ fake: { ...FAKE_PIN, go: undefined } });
    writeExec(join(pathDir, 'fake'), fakeBinary('fake', '9.9.9'));
    const results = await installTools({ root, log: quiet, only: ['fake'] });
    expect(results[0]).toMatchObject({ tool: 'fake', status: 'failed' });
    expect(results[0]!.detail).toContain('fake 1.2.3 wanted');
    expect(results[0]!.detail).toContain(`${join(pathDir, 'fake')} (9.9.9) (not used: wrong version)`);
    expect(existsSync(join(root, '.tools', 'bin', 'fake'))).toBe(false);
    const error = (() => {
      try {
        assertInstalled(results);
      } catch (e) {
        return e as ToolError;
      }
    })();
    expect(error).toBeInstanceOf(ToolError);
    expect(error!.hint).toMatch(/Either:[\s\S]*Go >= 1\.26[\s\S]*tools\.json/);
  });

  it('should link a binary on PATH at the pinned version, and a second run should only check (fast)', async () => {
    makeRoot({ fake: FAKE_PIN });
    writeExec(join(pathDir, 'fake'), fakeBinary('fake', '1.2.3'));
    const first = await installTools({ root, log: quiet, only: ['fake'] });
    expect(first[0]).toMatchObject({ status: 'linked' });
    const started = Date.now();
    const second = await installTools({ root, log: quiet, only: ['fake'] });
    expect(second[0]).toMatchObject({ status: 'present' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(existsSync(process.env['FAKE_GO_LOG']!)).toBe(false); // go never ran
  });

  it('should build with go install when nothing on PATH fits, checking the result before placing it', async () => {
    makeRoot({ fake: FAKE_PIN });
    writeExec(join(pathDir, 'go'), FAKE_GO);
    const results = await installTools({ root, log: quiet, only: ['fake'] });
    expect(results[0]).toMatchObject({ status: 'built' });
    const log = readFileSync(process.env['FAKE_GO_LOG']!, 'utf8');
    expect(log).toContain('install -trimpath example.com/cmd/fake@v1.2.3');
    expect(spawnSync(join(root, '.tools', 'bin', 'fake'), ['--version'], { encoding: 'utf8' }).stdout).toBe(
      'fake v1.2.3\n',
    );
  });

  it('should place nothing when go install produces another version than the pin', async () => {
    makeRoot({ fake: FAKE_PIN });
    writeExec(join(pathDir, 'go'), FAKE_GO);
    process.env['FAKE_BUILT_VERSION'] = '1.0.0';
    const results = await installTools({ root, log: quiet, only: ['fake'] });
    expect(results[0]).toMatchObject({ status: 'failed' });
    expect(results[0]!.detail).toContain('go install produced version 1.0.0, 1.2.3 wanted; nothing was installed');
    expect(existsSync(join(root, '.tools', 'bin', 'fake'))).toBe(false);
  });

  it('should say which Go is needed when the local Go is too old and GOTOOLCHAIN=local forbids fetching one', async () => {
    makeRoot({ fake: FAKE_PIN });
    writeExec(join(pathDir, 'go'), FAKE_GO);
    process.env['FAKE_GO_VERSION'] = 'go1.24.11';
    const results = await installTools({ root, log: quiet, only: ['fake'] });
    expect(results[0]!.detail).toContain(
      'needs Go >= 1.26 (its go.mod says so), found go1.24.11 with GOTOOLCHAIN=local: install Go >= 1.26',
    );
    process.env['FAKE_GOTOOLCHAIN'] = 'auto';
    const lines: string[] = [];
    const retry = await installTools({ root, log: (l) => lines.push(l), only: ['fake'] });
    expect(retry[0]).toMatchObject({ status: 'built' });
    expect(lines.join('\n')).toContain('GOTOOLCHAIN=auto lets go download it');
  });

  it('should repair what an interrupted run left, but keep the temp files of a run that is still alive', async () => {
    makeRoot({ fake: FAKE_PIN });
    writeExec(join(pathDir, 'fake'), fakeBinary('fake', '1.2.3'));
    const dead = deadPid();
    const tmp = join(root, '.tools', 'tmp');
    const bin = join(root, '.tools', 'bin');
    mkdirSync(join(tmp, `run.${dead}.deadbeef`, 'fake'), { recursive: true });
    writeFileSync(join(tmp, `run.${dead}.deadbeef`, 'fake', '.staged'), 'half a binary');
    mkdirSync(join(tmp, `run.${process.ppid}.0badf00d`), { recursive: true }); // a concurrent, live run
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, `.fake.${dead}.cafebabe`), 'stray temp link');
    const results = await installTools({ root, log: quiet, only: ['fake'] });
    expect(results[0]).toMatchObject({ status: 'linked' });
    expect(existsSync(join(tmp, `run.${dead}.deadbeef`))).toBe(false);
    expect(existsSync(join(bin, `.fake.${dead}.cafebabe`))).toBe(false);
    expect(existsSync(join(tmp, `run.${process.ppid}.0badf00d`))).toBe(true);
  });

  it('should fail the check when .tools/bin lacks a tool even though PATH has the right version', async () => {
    makeRoot({ fake: FAKE_PIN });
    writeExec(join(pathDir, 'fake'), fakeBinary('fake', '1.2.3'));
    const results = await installTools({ root, log: quiet, only: ['fake'], checkOnly: true });
    expect(results[0]).toMatchObject({ status: 'failed' });
    expect(results[0]!.detail).toContain('not in .tools/bin');
    expect(results[0]!.detail).toContain('run `pnpm tools:install` to link it');
    expect(existsSync(join(root, '.tools', 'bin', 'fake'))).toBe(false);
  });

  it('should write a plugin.yaml that the real helm runs as `helm <plugin>`', async () => {
    const helm = toolPath('helm'); // the checkout's pinned helm, not the fake root's
    makeRoot({ 'fake-unittest': PLUGIN_PIN });
    writeExec(join(pathDir, 'go'), FAKE_GO);
    const results = await installTools({ root, log: quiet, only: ['fake-unittest'] });
    expect(results[0]).toMatchObject({ status: 'built' });
    const dir = join(root, '.tools', 'helm-plugins', 'fakeunit');
    expect(readFileSync(join(dir, 'plugin.yaml'), 'utf8')).toBe(pluginYaml(PLUGIN_PIN));
    expect(pluginYaml(PLUGIN_PIN)).toContain('command: "$HELM_PLUGIN_DIR/fku"');
    const out = spawnSync(helm, ['fakeunit'], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], HOME: root, HELM_PLUGINS: join(root, '.tools', 'helm-plugins') },
    });
    expect(out.stdout).toBe('fku v1.0.1\n');
    expect(requireTool('fake-unittest', root)).toBe(dir);
    const again = await installTools({ root, log: quiet, only: ['fake-unittest'] });
    expect(again[0]).toMatchObject({ status: 'present' });
  });
});

describe(requireTool, () => {
  it.each([
    ['9.9.9', 'E_TOOL_VERSION', 'fake: version 1.2.3 wanted, found 9.9.9 at'],
    [undefined, 'E_TOOL_MISSING', 'fake: version 1.2.3 wanted, not installed'],
  ])('should refuse .tools/bin/fake at %s with the fix', (version, code, message) => {
    makeRoot({ fake: FAKE_PIN });
    mkdirSync(join(root, '.tools', 'bin'), { recursive: true });
    if (version) writeExec(join(root, '.tools', 'bin', 'fake'), fakeBinary('fake', version));
    writeExec(join(pathDir, 'fake'), fakeBinary('fake', '1.2.3')); // PATH is never consulted
    const error = (() => {
      try {
        requireTool('fake', root);
      } catch (e) {
        return e as ToolError;
      }
    })();
    expect(error).toMatchObject({ code });
    expect(error!.message).toContain(message);
    expect(error!.hint).toContain('run `pnpm tools:install` to install fake 1.2.3');
  });

  it('should exit 1 from `understack-tools require` with the message when a tool has the wrong version', {
    timeout: 60_000,
  }, () => {
    makeRoot({ fake: FAKE_PIN });
    mkdirSync(join(root, '.tools', 'bin'), { recursive: true });
    writeExec(join(root, '.tools', 'bin', 'fake'), fakeBinary('fake', '2.0.0'));
    const cli = join(import.meta.dirname, 'tools-cli.ts');
    const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, [cli, 'require', 'fake'], {
      encoding: 'utf8',
      env: { ...saved, UNDERSTACK_ROOT: root },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error [E_TOOL_VERSION]: fake: version 1.2.3 wanted, found 2.0.0');
    writeExec(join(root, '.tools', 'bin', 'fake'), fakeBinary('fake', '1.2.3'));
    const ok = spawnSync(tsx, [cli, 'require', 'fake'], { encoding: 'utf8', env: { ...saved, UNDERSTACK_ROOT: root } });
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('should accept every pinned tool and the virtualenv of this checkout (what `pnpm tools:install` installed)', () => {
    for (const name of [...Object.keys(loadPins().tools), 'python', 'pytest']) {
      expect(() => requireTool(name), name).not.toThrow();
    }
  });
});

describe(installPython, () => {
  it('should say which Debian packages to install when python3 is missing', async () => {
    makeRoot({});
    writeFileSync(join(root, 'requirements.txt'), '# nothing\n');
    process.env['PATH'] = pathDir;
    const r = await installPython({ log: quiet, checkOnly: false }, root);
    expect(r).toMatchObject({ status: 'failed' });
    expect(r.detail).toContain('python3 (>= 3.10) is not on PATH');
    expect(r.detail).toContain('sudo apt-get install -y python3 python3-venv');
  });

  it('should name the missing module when python3 cannot make a virtualenv', async () => {
    makeRoot({});
    writeFileSync(join(root, 'requirements.txt'), '# nothing\n');
    // A python3 like Debian's without python3-venv: importing ensurepip fails.
    writeExec(
      join(pathDir, 'python3'),
      `#!/bin/sh\necho 3.11\necho "ModuleNotFoundError: No module named 'ensurepip'" >&2\nexit 1\n`,
    );
    const r = await installPython({ log: quiet, checkOnly: false }, root);
    expect(r.detail).toContain('cannot create a virtualenv: its `ensurepip` module is missing');
    expect(r.detail).toContain('python3-venv');
  });

  it('should recreate a half-built virtualenv (no pip) on the next run', { timeout: 120_000 }, async () => {
    makeRoot({});
    writeFileSync(join(root, 'requirements.txt'), '# nothing to install\n');
    process.env['PATH'] = saved['PATH']!; // the real python3
    // What an interrupted `python3 -m venv` leaves: an interpreter without pip, and no stamp.
    expect(spawnSync('python3', ['-m', 'venv', '--without-pip', join(root, '.venv')]).status).toBe(0);
    expect(() => requireTool('python', root)).toThrow(/not completely installed/);
    const lines: string[] = [];
    const second = await installPython({ log: (l) => lines.push(l), checkOnly: false }, root);
    expect(second, second.detail).toMatchObject({ status: 'built' });
    expect(lines.join('\n')).toContain('removing .venv: it has no bin/pip');
    expect(existsSync(join(root, '.venv', 'bin', 'pip'))).toBe(true);
    expect(requireTool('python', root)).toBe(join(root, '.venv', 'bin', 'python'));
    const third = await installPython({ log: quiet, checkOnly: false }, root);
    expect(third).toMatchObject({ status: 'present' });
  });
});
