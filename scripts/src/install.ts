/**
 * The tool installer behind `pnpm tools:install`.
 *
 * For each tool pinned in `scripts/tools.json`, in this order:
 *   1. `.tools/bin/<bin>` already at the pinned version: nothing to do (a second run costs one version check each);
 *   2. a binary on PATH at the pinned version: linked into `.tools/bin`;
 *   3. the official release download (laptops), checked against its published sha256 where there is one;
 *   4. `go install <package>@v<version>` (machines that reach only the Go module proxy);
 *   5. otherwise a {@link ToolError} that lists what is missing and how to install it.
 * Every install is built in this run's own folder under `.tools/tmp/`, its version checked, and only then renamed into
 * place, so an interrupted run never leaves a half-written or wrong binary on PATH. The next run repairs what an
 * interrupted one left: it removes temp files of runs that are no longer alive (never those of a concurrent run) and
 * recreates a virtualenv that has no pip. The virtualenv is rebuilt only when the requirements or python3 change.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from './run.js';
import {
  expandPin,
  loadPins,
  pluginVersionSync,
  repoRoot,
  systemPython,
  ToolError,
  type ToolPin,
  toolDirs,
  venvStamp,
  venvStampFile,
} from './tools.js';

/** What happened to one tool. */
export interface InstallResult {
  tool: string;
  version: string;
  status: 'present' | 'linked' | 'downloaded' | 'built' | 'failed';
  path: string;
  /** What was done or why it failed. */
  detail: string;
  ms: number;
}

/** Options of {@link installTools}. */
export interface InstallOptions {
  /** Only these tools (keys of tools.json, or `python`); default all. */
  only?: string[];
  /** Skip the download step (go straight to `go install`). */
  noDownload?: boolean;
  /** Progress lines go here (default: stderr). */
  log?: (line: string) => void;
  /** Only check; never install. */
  checkOnly?: boolean;
  root?: string;
}

const DOWNLOAD_TIMEOUT_MS = 60_000;

/** Version a binary reports, or undefined when it does not run or prints no version. */
export async function probeVersion(path: string, pin: ToolPin): Promise<string | undefined> {
  if (!pin.versionArgs || !pin.versionPattern) return undefined;
  try {
    const { stdout, stderr } = await run(path, pin.versionArgs, { reject: false, timeout: 15_000, env: {} });
    const match = new RegExp(pin.versionPattern, 'm').exec(stdout + '\n' + stderr);
    return match?.groups?.['version'];
  } catch {
    return undefined;
  }
}

function pathCandidates(name: string, pin: ToolPin, exclude: string[]): string[] {
  const names = [...new Set([pin.bin, name.replace(/\d+$/, '')])];
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d && !exclude.includes(d));
  return dirs.flatMap((d) => names.map((n) => join(d, n))).filter((p) => existsSync(p));
}

/** A name no other run uses: `<base>.<pid>.<random>`; the pid tells a later run whether its owner is still alive. */
function tmpName(dir: string, base: string): string {
  return join(dir, `${base}.${process.pid}.${randomBytes(4).toString('hex')}`);
}

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what interrupted runs left behind: their folders under `.tools/tmp/` and half-made links
 * `.tools/bin/.<bin>.<pid>.<random>`. Entries of a run that is still alive (a concurrent install) are kept.
 */
export async function sweepStale(root: string): Promise<string[]> {
  const dirs = toolDirs(root);
  const removed: string[] = [];
  for (const [dir, dotOnly] of [
    [dirs.tmp, false],
    [dirs.bin, true],
  ] as const) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (dotOnly && !entry.startsWith('.')) continue;
      const pid = /\.(\d+)\.[0-9a-f]{8}$/.exec(entry)?.[1];
      if (pid === undefined || alive(Number(pid))) continue;
      await rm(join(dir, entry), { recursive: true, force: true });
      removed.push(join(dir, entry));
    }
  }
  return removed;
}

/** Fails unless `path` reports the pinned version (tools without a version command pass). */
async function verifyVersion(path: string, pin: ToolPin, source: string): Promise<void> {
  if (!pin.versionArgs) return;
  const got = await probeVersion(path, pin);
  if (got !== pin.version) {
    throw new Error(
      `${source} produced version ${got ?? '(none reported)'}, ${pin.version} wanted; nothing was installed`,
    );
  }
}

async function download(url: string, dest: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: 'follow' });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} for ${url}`);
  await pipeline(Readable.fromWeb(response.body as never), createWriteStream(dest));
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** Official release download into `staged` (a file path). Throws with the reason when it cannot. */
async function downloadTool(pin: ToolPin, staged: string, work: string): Promise<string> {
  const dl = pin.download!;
  const url = expandPin(dl.url, pin.version);
  const archive = join(work, 'download');
  await download(url, archive);
  if (dl.sha256Url) {
    const sumUrl = expandPin(dl.sha256Url, pin.version);
    const res = await fetch(sumUrl, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status} for ${sumUrl}`);
    const want = (await res.text()).trim().split(/\s+/)[0];
    const got = await sha256(archive);
    if (want !== got) throw new Error(`sha256 mismatch for ${url}: published ${want}, downloaded ${got}`);
  }
  if (/\.(tar\.gz|tgz)$/.test(url)) {
    const member = expandPin(dl.member ?? pin.bin, pin.version);
    await run('tar', ['-xzf', archive, '-C', work, member]);
    await rename(join(work, member), staged);
  } else {
    await rename(archive, staged);
  }
  await chmod(staged, 0o755);
  return `downloaded ${url}`;
}

/** The file `go install` writes for a package: its last path element, skipping a `/vN` major-version suffix. */
export function goBinaryName(pkg: string): string {
  const parts = pkg.split('/');
  const last = parts.pop()!;
  return /^v\d+$/.test(last) && parts.length ? parts.pop()! : last;
}

/** `1.26.8` / `go1.26` -> [1, 26, 8]. */
function goVersionParts(v: string): number[] {
  return (/(\d+(?:\.\d+)*)/.exec(v)?.[1] ?? '0').split('.').map(Number);
}

/** Whether Go version `have` is at least `want` (`1.26` <= `go1.26.0`). */
export function goAtLeast(have: string, want: string): boolean {
  const a = goVersionParts(have);
  const b = goVersionParts(want);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** `go install` into a private GOBIN, then moved to `staged`. */
async function goInstall(pin: ToolPin, staged: string, work: string, log: (l: string) => void): Promise<string> {
  const go = pin.go!;
  const spec = `${go.package}@v${pin.version}`;
  let goEnv: string[];
  try {
    goEnv = (await run('go', ['env', 'GOVERSION', 'GOTOOLCHAIN', 'GOFLAGS'], { timeout: 60_000 })).stdout.split('\n');
  } catch (cause) {
    if (/ENOENT/.test(String(cause))) throw new Error('`go` is not on PATH', { cause });
    throw cause;
  }
  const [goVersion = '', toolchain = '', goFlags = ''] = goEnv.map((l) => l.trim());
  if (go.minGo && !goAtLeast(goVersion, go.minGo)) {
    if (toolchain === 'local' || toolchain.endsWith('+local')) {
      throw new Error(
        `${spec} needs Go >= ${go.minGo} (its go.mod says so), found ${goVersion} with GOTOOLCHAIN=${toolchain}: ` +
          `install Go >= ${go.minGo} (https://go.dev/dl), or set GOTOOLCHAIN=auto so go downloads it from the module proxy`,
      );
    }
    log(`  ${goVersion} is older than the Go ${go.minGo} ${spec} needs: GOTOOLCHAIN=${toolchain} lets go download it`);
  }
  // Append to the user's GOFLAGS (e.g. go.env's -buildvcs=false) instead of replacing them.
  const flags = [goFlags, goFlags.includes('-mod=') ? '' : '-mod=mod'].filter(Boolean).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, GOBIN: work, CGO_ENABLED: '0', GOFLAGS: flags };
  if (go.noSumDb) env['GONOSUMDB'] = [process.env['GONOSUMDB'], go.noSumDb].filter(Boolean).join(',');
  const args = ['install', '-trimpath'];
  if (go.ldflags) args.push('-ldflags', expandPin(go.ldflags, pin.version));
  args.push(spec);
  log(`  go ${args.join(' ')}  (first build takes a minute or two; later builds reuse Go's cache)`);
  await run('go', args, { env, timeout: 30 * 60_000 });
  if (go.moduleSum) {
    const module = go.noSumDb ?? go.package;
    const { stdout } = await run('go', ['env', 'GOMODCACHE'], { env });
    const escaped = module.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase());
    const hashFile = join(stdout.trim(), 'cache', 'download', escaped, '@v', `v${pin.version}.ziphash`);
    const got = (await readFile(hashFile, 'utf8')).trim();
    if (got !== go.moduleSum) {
      throw new Error(`module checksum mismatch for ${module}@v${pin.version}: pinned ${go.moduleSum}, got ${got}`);
    }
  }
  await rename(join(work, goBinaryName(go.package)), staged);
  return `built with go install ${spec}`;
}

async function placeBinary(staged: string, final: string): Promise<void> {
  await rename(staged, final); // atomic on one filesystem: the old binary stays usable until this instant
}

type StepOptions = Required<Pick<InstallOptions, 'noDownload' | 'log' | 'checkOnly'>> & {
  /** This run's own temp folder under `.tools/tmp/`. */
  runDir: string;
};

/** Download, else go install, into `staged`; the binary's version is checked before this returns. */
async function obtain(name: string, pin: ToolPin, staged: string, work: string, opts: StepOptions) {
  const attempts: string[] = [];
  if (pin.download && !opts.noDownload) {
    try {
      opts.log(`  downloading ${expandPin(pin.download.url, pin.version)}`);
      const detail = await downloadTool(pin, staged, work);
      await verifyVersion(staged, pin, 'the download');
      return { detail, status: 'downloaded' as const, attempts };
    } catch (error) {
      const reason = (error as Error).cause ? String((error as Error).cause) : (error as Error).message;
      attempts.push(`download: ${reason}`);
      opts.log(`  download unavailable (${reason}); falling back to go install`);
      await rm(staged, { force: true });
    }
  }
  if (pin.go) {
    try {
      const detail = await goInstall(pin, staged, work, opts.log);
      await verifyVersion(staged, pin, 'go install');
      return { detail, status: 'built' as const, attempts };
    } catch (error) {
      attempts.push(`go install: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`);
    }
  }
  if (!pin.download && !pin.go) attempts.push(`scripts/tools.json names no download or go package for ${name}`);
  return { attempts };
}

async function installBinary(name: string, pin: ToolPin, opts: StepOptions, root: string): Promise<InstallResult> {
  const started = Date.now();
  const dirs = toolDirs(root);
  const final = join(dirs.bin, pin.bin);
  const result = (status: InstallResult['status'], detail: string): InstallResult => ({
    tool: name,
    version: pin.version,
    status,
    path: final,
    detail,
    ms: Date.now() - started,
  });

  const current = existsSync(final) ? await probeVersion(final, pin) : undefined;
  if (current === pin.version) return result('present', 'already installed');

  const where = existsSync(final) ? `.tools/bin/${pin.bin} reports ${current ?? 'no version'}` : `not in .tools/bin`;
  const found: string[] = [];
  for (const candidate of pathCandidates(name, pin, [dirs.bin])) {
    const version = await probeVersion(candidate, pin);
    found.push(`${candidate} (${version ?? 'unknown version'})`);
    if (version === pin.version) {
      if (opts.checkOnly) {
        // Every script calls .tools/bin/<bin>, so a matching binary elsewhere on PATH is not enough.
        return result(
          'failed',
          `${name} ${pin.version} wanted, ${where}; ${candidate} on PATH has it: run \`pnpm tools:install\` to link it`,
        );
      }
      const link = tmpName(dirs.bin, `.${pin.bin}`);
      await symlink(candidate, link);
      await placeBinary(link, final);
      return result('linked', `using ${candidate} from PATH`);
    }
  }

  const seen = found.length ? `; on PATH: ${found.join(', ')} (not used: wrong version)` : '';
  if (opts.checkOnly)
    return result('failed', `${name} ${pin.version} wanted, ${where}${seen}: run \`pnpm tools:install\``);

  const work = join(opts.runDir, name);
  await mkdir(work, { recursive: true });
  const staged = join(work, '.staged');
  try {
    const got = await obtain(name, pin, staged, work, opts);
    if (!got.status)
      return result('failed', `${name} ${pin.version} wanted, ${where}${seen}. Tried: ${got.attempts.join('; ')}`);
    await placeBinary(staged, final);
    return result(got.status, got.detail);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The plugin.yaml the installer writes for a Helm plugin binary (no hooks, no downloaders: just the command). */
export function pluginYaml(pin: ToolPin): string {
  return [
    '# Written by scripts/src/install.ts (pnpm tools:install): helm-unittest built or downloaded at the pinned version.',
    `name: "${pin.plugin}"`,
    `version: "${pin.version}"`,
    'usage: "unit test helm charts (helm-unittest)"',
    'description: "helm-unittest, installed by the project tool installer"',
    'ignoreFlags: false',
    `command: "$HELM_PLUGIN_DIR/${pin.bin}"`,
    '',
  ].join('\n');
}

/**
 * Installs the helm-unittest plugin: its binary (downloaded or built like any tool) plus a plugin.yaml of our own,
 * assembled in a staging folder and renamed into `.tools/helm-plugins/<plugin>`.
 */
async function installHelmPlugin(name: string, pin: ToolPin, opts: StepOptions, root: string): Promise<InstallResult> {
  const started = Date.now();
  const dirs = toolDirs(root);
  const pluginDir = join(dirs.plugins, pin.plugin!);
  const done = (status: InstallResult['status'], detail: string): InstallResult => ({
    tool: name,
    version: pin.version,
    status,
    path: pluginDir,
    detail,
    ms: Date.now() - started,
  });
  const current = pluginVersionSync(pluginDir, pin);
  if (current === pin.version) return done('present', 'already installed');
  if (opts.checkOnly) {
    return done(
      'failed',
      `${name} ${pin.version} wanted, found ${current ?? 'none'} in ${pluginDir}: run \`pnpm tools:install\``,
    );
  }

  const work = join(opts.runDir, name);
  const staging = join(work, 'plugin');
  await mkdir(staging, { recursive: true });
  try {
    const staged = join(work, '.staged');
    const got = await obtain(name, pin, staged, work, opts);
    if (!got.status) return done('failed', `${name} ${pin.version}: ${got.attempts.join('; ')}`);
    await rename(staged, join(staging, pin.bin));
    await writeFile(join(staging, 'plugin.yaml'), pluginYaml(pin));
    await mkdir(dirs.plugins, { recursive: true });
    // Swap folders: move the old one aside first (rename cannot replace a non-empty folder), then the new one in.
    const old = join(work, 'old');
    if (existsSync(pluginDir)) await rename(pluginDir, old);
    await rename(staging, pluginDir);
    return done(got.status, got.detail);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Oldest Python that Nautobot 3 (requirements.txt) supports. */
export const MIN_PYTHON = '3.10';

const PYTHON_FIX = 'Debian/Ubuntu: `sudo apt-get install -y python3 python3-venv` (scripts/setup.sh does this)';

/**
 * Why the virtualenv must be recreated rather than reused, or undefined when it can be reused: an interrupted
 * `python3 -m venv` leaves `.venv/bin/python` without pip; a venv whose base interpreter was removed no longer runs.
 */
async function venvProblem(venv: string): Promise<string | undefined> {
  if (!existsSync(venv)) return undefined;
  if (!existsSync(join(venv, 'bin', 'python'))) return 'it has no bin/python';
  if (!existsSync(join(venv, 'bin', 'pip'))) return 'it has no bin/pip: an earlier install was interrupted';
  const probe = await run(join(venv, 'bin', 'python'), ['-c', 'import pip'], { reject: false, timeout: 60_000 });
  if (probe.exitCode !== 0) return 'its python does not run or cannot import pip (was its base python3 removed?)';
  return undefined;
}

/** Creates or refreshes `.venv` from requirements.txt (+ requirements.lock as constraints). */
export async function installPython(
  opts: Required<Pick<InstallOptions, 'log' | 'checkOnly'>>,
  root = repoRoot(),
): Promise<InstallResult> {
  const started = Date.now();
  const dirs = toolDirs(root);
  const stampFile = venvStampFile(root);
  const done = (status: InstallResult['status'], detail: string): InstallResult => ({
    tool: 'python',
    version: 'requirements.txt',
    status,
    path: dirs.venv,
    detail,
    ms: Date.now() - started,
  });
  const want = venvStamp(root);
  const have = existsSync(stampFile) ? (await readFile(stampFile, 'utf8')).trim() : '';
  const complete = existsSync(join(dirs.venvBin, 'python')) && existsSync(join(dirs.venvBin, 'pip'));
  if (have === want && complete) return done('present', 'virtualenv up to date');
  if (opts.checkOnly) {
    return done('failed', '.venv is missing, incomplete or older than requirements.txt: run `pnpm tools:install`');
  }

  const python = systemPython(root);
  if (!python) return done('failed', `python3 (>= ${MIN_PYTHON}) is not on PATH: install it. ${PYTHON_FIX}`);
  const check = await run(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2]); import venv, ensurepip'], {
    reject: false,
    timeout: 60_000,
  });
  const pyVersion = check.stdout.trim().split('\n')[0] ?? '';
  if (pyVersion && !goAtLeast(pyVersion, MIN_PYTHON)) {
    return done('failed', `${python} is Python ${pyVersion}, Nautobot needs >= ${MIN_PYTHON}: install a newer python3`);
  }
  if (check.exitCode !== 0) {
    const missing = /No module named '?(\w+)/.exec(check.stderr)?.[1] ?? 'venv';
    return done('failed', `${python} cannot create a virtualenv: its \`${missing}\` module is missing. ${PYTHON_FIX}`);
  }
  try {
    await rm(stampFile, { force: true }); // an interrupted install must not look complete
    const problem = await venvProblem(dirs.venv);
    if (problem) {
      opts.log(`  removing .venv: ${problem}`);
      await rm(dirs.venv, { recursive: true, force: true });
    }
    if (!existsSync(join(dirs.venvBin, 'python'))) {
      opts.log(`  ${python} -m venv .venv`);
      await run(python, ['-m', 'venv', dirs.venv], { timeout: 10 * 60_000 });
    }
  } catch (error) {
    return done('failed', `creating the virtualenv failed: ${(error as Error).message}. ${PYTHON_FIX}`);
  }
  try {
    const args = ['install', '--disable-pip-version-check', '-q', '-r', join(root, 'requirements.txt')];
    if (existsSync(join(root, 'requirements.lock'))) args.push('-c', join(root, 'requirements.lock'));
    opts.log(`  .venv/bin/pip ${args.join(' ')}`);
    await run(join(dirs.venvBin, 'pip'), args, { timeout: 30 * 60_000 });
    await writeFile(stampFile, want + '\n');
    return done('built', 'virtualenv installed from requirements.txt');
  } catch (error) {
    return done('failed', `pip install failed: ${(error as Error).message}`);
  }
}

/** Debian packages the e2e tier and the charts' tests need, and the command that proves each is there. */
export const SYSTEM_PACKAGES: { pkg: string; command: string; args: string[] }[] = [
  { pkg: 'redis-server', command: 'redis-server', args: ['--version'] },
  { pkg: 'openssl', command: 'openssl', args: ['version'] },
  { pkg: 'iproute2', command: 'ip', args: ['-V'] },
  { pkg: 'python3', command: 'python3', args: ['--version'] },
  { pkg: 'python3-venv', command: 'python3', args: ['-c', 'import venv, ensurepip'] },
];

/** Reports Debian packages that are missing (setup.sh installs them with apt-get). */
export async function checkSystemPackages(): Promise<InstallResult[]> {
  const out: InstallResult[] = [];
  for (const { pkg, command, args } of SYSTEM_PACKAGES) {
    const started = Date.now();
    let ok = false;
    try {
      ok = (await run(command, args, { reject: false, timeout: 10_000 })).exitCode === 0;
    } catch {
      ok = false;
    }
    out.push({
      tool: pkg,
      version: 'system',
      status: ok ? 'present' : 'failed',
      path: command,
      detail: ok ? 'installed' : `missing: install with \`sudo apt-get install -y ${pkg}\` (or run scripts/setup.sh)`,
      ms: Date.now() - started,
    });
  }
  return out;
}

/**
 * Installs (or with `checkOnly`, checks) every pinned tool and the virtualenv. Never throws for a tool that could
 * not be installed: the result says why; {@link assertInstalled} turns failures into one error.
 */
export async function installTools(options: InstallOptions = {}): Promise<InstallResult[]> {
  const root = options.root ?? repoRoot();
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const dirs = toolDirs(root);
  const runDir = tmpName(dirs.tmp, 'run');
  const opts = { noDownload: options.noDownload ?? false, log, checkOnly: options.checkOnly ?? false, runDir };
  const pins = loadPins(root);
  const wanted = (key: string) => !options.only || options.only.includes(key);
  if (!opts.checkOnly) {
    await mkdir(dirs.bin, { recursive: true });
    for (const path of await sweepStale(root)) log(`  removed ${path} (left by an interrupted run)`);
  }

  const jobs: Array<() => Promise<InstallResult>> = [];
  for (const [name, pin] of Object.entries(pins.tools)) {
    if (!wanted(name)) continue;
    jobs.push(async () => {
      const r = pin.plugin
        ? await installHelmPlugin(name, pin, opts, root)
        : await installBinary(name, pin, opts, root);
      log(`${r.status === 'failed' ? '✗' : '✓'} ${name} ${pin.version}: ${r.status} — ${r.detail} (${r.ms} ms)`);
      return r;
    });
  }
  if (wanted('python')) {
    jobs.push(async () => {
      const r = await installPython(opts, root);
      log(`${r.status === 'failed' ? '✗' : '✓'} python .venv: ${r.status} — ${r.detail} (${r.ms} ms)`);
      return r;
    });
  }
  // Two at a time: go builds are CPU-bound and the machines have two cores.
  const results: InstallResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  try {
    await Promise.all([worker(), worker()]);
  } finally {
    // Only this run's folder: a concurrent run in the same checkout keeps its own.
    await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
  }
  return results;
}

/** Throws one {@link ToolError} listing every failed tool with its fix. */
export function assertInstalled(results: InstallResult[]): void {
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return;
  const lines = failed.map((r) => `  - ${r.tool} ${r.version}: ${r.detail}`);
  throw new ToolError(
    'E_TOOLS_MISSING',
    `${failed.length} tool(s) could not be installed:\n${lines.join('\n')}`,
    [
      'Either:',
      '  - install Go >= 1.26 (https://go.dev/dl; or any Go >= 1.21 with GOTOOLCHAIN=auto) so the installer can build',
      '    the tools from the Go module proxy,',
      "  - allow downloads from the tools' release pages, or",
      '  - put the pinned versions on PATH yourself (see scripts/tools.json) and run `pnpm tools:install` again.',
    ].join('\n'),
  );
}

/** Reads where a `.tools/bin` entry points (for `tools check`). */
export async function describeBinary(path: string): Promise<string> {
  try {
    return `${path} -> ${await readlink(path)}`;
  } catch {
    return path;
  }
}
