/**
 * The tool installer behind `pnpm tools:install`.
 *
 * For each tool pinned in `scripts/tools.json`, in this order:
 *   1. `.tools/bin/<bin>` already at the pinned version: nothing to do (a second run costs one version check each);
 *   2. a binary on PATH at the pinned version: linked into `.tools/bin`;
 *   3. the official release download (laptops), checked against its published sha256 where there is one;
 *   4. `go install <package>@v<version>` (machines that reach only the Go module proxy);
 *   5. otherwise a {@link ToolError} that lists what is missing and how to install it.
 * Every install is built in `.tools/tmp/` and renamed into place, so an interrupted run never leaves a half-written
 * binary on PATH and the next run repairs it. The Python virtualenv is rebuilt only when the requirements change.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from './run.js';
import { expandPin, loadPins, repoRoot, ToolError, type ToolPin, toolDirs } from './tools.js';

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

async function pluginVersion(dir: string, pin: ToolPin): Promise<string | undefined> {
  try {
    const yaml = await readFile(join(dir, 'plugin.yaml'), 'utf8');
    await stat(join(dir, pin.bin));
    return /^version:\s*"?([^"\s]+)"?/m.exec(yaml)?.[1];
  } catch {
    return undefined;
  }
}

function pathCandidates(name: string, pin: ToolPin, exclude: string[]): string[] {
  const names = [...new Set([pin.bin, name.replace(/\d+$/, '')])];
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d && !exclude.includes(d));
  return dirs.flatMap((d) => names.map((n) => join(d, n))).filter((p) => existsSync(p));
}

function tmpName(dir: string, base: string): string {
  return join(dir, `${base}.${process.pid}.${randomBytes(4).toString('hex')}`);
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

/** `go install` into a private GOBIN, then moved to `staged`. */
async function goInstall(pin: ToolPin, staged: string, work: string, log: (l: string) => void): Promise<string> {
  const go = pin.go!;
  const spec = `${go.package}@v${pin.version}`;
  const env: NodeJS.ProcessEnv = { ...process.env, GOBIN: work, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  if (go.noSumDb) env['GONOSUMDB'] = [process.env['GONOSUMDB'], go.noSumDb].filter(Boolean).join(',');
  const args = ['install', '-trimpath'];
  if (go.ldflags) args.push('-ldflags', expandPin(go.ldflags, pin.version));
  args.push(spec);
  log(`  go ${args.join(' ')}  (first build takes a minute or two; later builds reuse Go's cache)`);
  try {
    await run('go', args, { env, timeout: 30 * 60_000 });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' || /ENOENT/.test(String(cause))) {
      throw new Error('`go` is not on PATH', { cause });
    }
    throw cause;
  }
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

async function installBinary(
  name: string,
  pin: ToolPin,
  opts: Required<Pick<InstallOptions, 'noDownload' | 'log' | 'checkOnly'>>,
  root: string,
): Promise<InstallResult> {
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

  const found: string[] = [];
  for (const candidate of pathCandidates(name, pin, [dirs.bin])) {
    const version = await probeVersion(candidate, pin);
    found.push(`${candidate} (${version ?? 'unknown version'})`);
    if (version === pin.version) {
      if (opts.checkOnly) return result('linked', `on PATH at ${candidate}; run \`pnpm tools:install\` to link it`);
      await mkdir(dirs.bin, { recursive: true });
      const link = tmpName(dirs.bin, `.${pin.bin}`);
      await symlink(candidate, link);
      await placeBinary(link, final);
      return result('linked', `using ${candidate} from PATH`);
    }
  }

  const where = current ? `.tools/bin has ${current}` : 'not in .tools/bin';
  const seen = found.length ? `; on PATH: ${found.join(', ')}` : '';
  if (opts.checkOnly) return result('failed', `${name} ${pin.version} wanted, ${where}${seen}`);

  await mkdir(dirs.tmp, { recursive: true });
  const work = tmpName(dirs.tmp, name);
  await mkdir(work, { recursive: true });
  const staged = join(work, '.staged');
  const attempts: string[] = [];
  try {
    if (pin.download && !opts.noDownload) {
      try {
        opts.log(`  downloading ${expandPin(pin.download.url, pin.version)}`);
        const detail = await downloadTool(pin, staged, work);
        await placeBinary(staged, final);
        return result('downloaded', detail);
      } catch (error) {
        const reason = (error as Error).cause ? String((error as Error).cause) : (error as Error).message;
        attempts.push(`download: ${reason}`);
        opts.log(`  download unavailable (${reason}); falling back to go install`);
      }
    }
    if (pin.go) {
      try {
        const detail = await goInstall(pin, staged, work, opts.log);
        await placeBinary(staged, final);
        return result('built', detail);
      } catch (error) {
        attempts.push(`go install: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`);
      }
    }
    return result('failed', `${name} ${pin.version} wanted, ${where}${seen}. Tried: ${attempts.join('; ')}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Installs the helm-unittest plugin: its binary (downloaded or built like any tool) plus a plugin.yaml of our own,
 * assembled in a staging folder and renamed into `.tools/helm-plugins/<plugin>`.
 */
async function installHelmPlugin(
  name: string,
  pin: ToolPin,
  opts: Required<Pick<InstallOptions, 'noDownload' | 'log' | 'checkOnly'>>,
  root: string,
): Promise<InstallResult> {
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
  const current = await pluginVersion(pluginDir, pin);
  if (current === pin.version) return done('present', 'already installed');
  if (opts.checkOnly) return done('failed', `${name} ${pin.version} wanted, found ${current ?? 'none'}`);

  await mkdir(dirs.tmp, { recursive: true });
  const work = tmpName(dirs.tmp, name);
  const staging = join(work, 'plugin');
  await mkdir(staging, { recursive: true });
  const attempts: string[] = [];
  let detail = '';
  try {
    const staged = join(work, '.staged');
    if (pin.download && !opts.noDownload) {
      try {
        opts.log(`  downloading ${expandPin(pin.download.url, pin.version)}`);
        detail = await downloadTool(pin, staged, work);
      } catch (error) {
        const reason = (error as Error).cause ? String((error as Error).cause) : (error as Error).message;
        attempts.push(`download: ${reason}`);
        opts.log(`  download unavailable (${reason}); falling back to go install`);
      }
    }
    if (!detail && pin.go) {
      try {
        detail = await goInstall(pin, staged, work, opts.log);
      } catch (error) {
        attempts.push(`go install: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`);
      }
    }
    if (!detail) return done('failed', `${name} ${pin.version}: ${attempts.join('; ')}`);
    await rename(staged, join(staging, pin.bin));
    await writeFile(
      join(staging, 'plugin.yaml'),
      [
        '# Written by scripts/src/install.ts (pnpm tools:install): helm-unittest built or downloaded at the pinned version.',
        `name: "${pin.plugin}"`,
        `version: "${pin.version}"`,
        'usage: "unit test helm charts (helm-unittest)"',
        'description: "helm-unittest, installed by the project tool installer"',
        'ignoreFlags: false',
        `command: "$HELM_PLUGIN_DIR/${pin.bin}"`,
        '',
      ].join('\n'),
    );
    await mkdir(dirs.plugins, { recursive: true });
    // Swap folders: move the old one aside first (rename cannot replace a non-empty folder), then the new one in.
    const old = tmpName(dirs.tmp, `${name}-old`);
    if (existsSync(pluginDir)) await rename(pluginDir, old);
    await rename(staging, pluginDir);
    await rm(old, { recursive: true, force: true });
    return done(detail.startsWith('built') ? 'built' : 'downloaded', detail);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Stamp that says which requirements the virtualenv was built from. */
async function requirementsStamp(root: string): Promise<string> {
  const hash = createHash('sha256');
  for (const f of ['requirements.txt', 'requirements.lock']) {
    const file = join(root, f);
    if (existsSync(file)) hash.update(await readFile(file));
  }
  const { stdout } = await run('python3', ['--version'], { reject: false });
  hash.update(stdout);
  return hash.digest('hex');
}

/** Creates or refreshes `.venv` from requirements.txt (+ requirements.lock as constraints). */
export async function installPython(
  opts: Required<Pick<InstallOptions, 'log' | 'checkOnly'>>,
  root = repoRoot(),
): Promise<InstallResult> {
  const started = Date.now();
  const dirs = toolDirs(root);
  const stampFile = join(dirs.venv, '.understack-requirements.sha256');
  const done = (status: InstallResult['status'], detail: string): InstallResult => ({
    tool: 'python',
    version: 'requirements.txt',
    status,
    path: dirs.venv,
    detail,
    ms: Date.now() - started,
  });
  const want = await requirementsStamp(root);
  const have = existsSync(stampFile) ? (await readFile(stampFile, 'utf8')).trim() : '';
  if (have === want && existsSync(join(dirs.venvBin, 'python'))) return done('present', 'virtualenv up to date');
  if (opts.checkOnly) return done('failed', '.venv is missing or older than requirements.txt');
  try {
    if (!existsSync(join(dirs.venvBin, 'python'))) {
      opts.log('  python3 -m venv .venv');
      await run('python3', ['-m', 'venv', dirs.venv]);
    }
    await rm(stampFile, { force: true }); // an interrupted install must not look complete
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
  const opts = { noDownload: options.noDownload ?? false, log, checkOnly: options.checkOnly ?? false };
  const pins = loadPins(root);
  const wanted = (key: string) => !options.only || options.only.includes(key);
  await mkdir(toolDirs(root).bin, { recursive: true });

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
  await Promise.all([worker(), worker()]);
  await rm(toolDirs(root).tmp, { recursive: true, force: true }).catch(() => undefined);
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
      '  - install Go >= 1.24 (https://go.dev/dl) so the installer can build the tools from the Go module proxy,',
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
