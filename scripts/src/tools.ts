/**
 * Where the project's pinned external tools live and how every script finds them.
 *
 * Node code never relies on the caller's PATH: it asks {@link toolPath} for a binary or runs children with
 * {@link toolEnv}, which puts `.tools/bin` and `.venv/bin` first and points Helm at the project's plugin folder.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One external tool as pinned in `scripts/tools.json`. */
export interface ToolPin {
  /** Exact version wanted, without a leading `v`. */
  version: string;
  /** File name of the binary in `.tools/bin` (or in the plugin folder for a Helm plugin). */
  bin: string;
  /** Arguments that make the binary print its version. */
  versionArgs?: string[];
  /** Regular expression with a `version` group that extracts the version from that output. */
  versionPattern?: string;
  /** Set for Helm plugins: the plugin's name (`helm <plugin>`). */
  plugin?: string;
  /** Official release download, tried first. `{version}` and `{arch}` are substituted. */
  download?: { url: string; sha256Url?: string; member?: string };
  /** Build from source with `go install`, the fallback for machines that reach only the Go module proxy. */
  go?: {
    package: string;
    ldflags?: string;
    noSumDb?: string;
    moduleSum?: string;
    /** The `go` line of the module's go.mod: the oldest Go toolchain that builds it. */
    minGo?: string;
    why?: string;
  };
}

/** An Argo CD release the renderer can emulate, and which of the pinned tools it bundles. */
export interface ArgoRelease {
  helm: string;
  kustomize: string;
  helmMajor: number;
  note: string;
}

/** The parsed `scripts/tools.json`. */
export interface ToolPins {
  argocd: { default: string; releases: Record<string, ArgoRelease> };
  tools: Record<string, ToolPin>;
}

/** Error with a stable code and a hint that says how to fix it. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

let cachedRoot: string | undefined;

/**
 * The repository root: `UNDERSTACK_ROOT` when set, else the nearest folder above this module that holds
 * `pnpm-workspace.yaml` (works from `src/` under tsx and from `dist/` once built).
 */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  cachedRoot = findRoot();
  return cachedRoot;
}

function findRoot(): string {
  const fromEnv = process.env['UNDERSTACK_ROOT'];
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ToolError(
        'E_NO_ROOT',
        'cannot find the repository root: no pnpm-workspace.yaml above ' + fileURLToPath(import.meta.url),
        'Set UNDERSTACK_ROOT to the folder of your clone.',
      );
    }
    dir = parent;
  }
}

/** Folders the installer fills, all git-ignored. */
export function toolDirs(root = repoRoot()) {
  const tools = join(root, '.tools');
  return {
    tools,
    bin: join(tools, 'bin'),
    plugins: join(tools, 'helm-plugins'),
    tmp: join(tools, 'tmp'),
    venv: join(root, '.venv'),
    venvBin: join(root, '.venv', 'bin'),
  };
}

/** Reads `scripts/tools.json`. */
export function loadPins(root = repoRoot()): ToolPins {
  const file = join(root, 'scripts', 'tools.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ToolPins;
  } catch (cause) {
    throw new ToolError('E_PINS', `cannot read the tool pins ${file}: ${(cause as Error).message}`, undefined, {
      cause,
    });
  }
}

/**
 * Absolute path of a project tool: a key of `tools.json` (`helm`, `helm3`, `kustomize`, `kind`) resolves to
 * `.tools/bin/<bin>`; anything else (`python`, `pytest`, `envoy`, `nautobot-server`) to `.venv/bin/<name>`.
 * It checks nothing; {@link requireTool} checks that the tool is there at its pinned version.
 */
export function toolPath(name: string, root = repoRoot()): string {
  const dirs = toolDirs(root);
  const pin = loadPins(root).tools[name];
  if (pin && !pin.plugin) return join(dirs.bin, pin.bin);
  return join(dirs.venvBin, name);
}

/** Which Python interpreter builds the virtualenv: the first `python3` on PATH that is not the virtualenv's own. */
export function systemPython(root = repoRoot(), path = process.env['PATH'] ?? ''): string | undefined {
  const dirs = toolDirs(root);
  for (const dir of path.split(delimiter)) {
    if (!dir || resolve(dir) === dirs.venvBin || resolve(dir) === dirs.bin) continue;
    const candidate = join(dir, 'python3');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * What the virtualenv must have been built from: requirements.txt and requirements.lock. `pnpm tools:install` writes
 * it into `.venv/.understack-requirements.sha256` after a complete install. (Which python3 made the venv is not part
 * of it: a venv keeps working with its own interpreter; the installer recreates one whose interpreter is gone.)
 */
export function venvStamp(root = repoRoot()): string {
  const hash = createHash('sha256');
  for (const f of ['requirements.txt', 'requirements.lock']) {
    const file = join(root, f);
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** File the installer writes once the virtualenv is complete (see {@link venvStamp}). */
export function venvStampFile(root = repoRoot()): string {
  return join(toolDirs(root).venv, '.understack-requirements.sha256');
}

/** Version a binary reports, or undefined when it does not run or prints no version. */
export function probeVersionSync(path: string, pin: ToolPin): string | undefined {
  if (!pin.versionArgs || !pin.versionPattern) return undefined;
  const r = spawnSync(path, pin.versionArgs, { encoding: 'utf8', timeout: 15_000, env: {} });
  if (r.error) return undefined;
  return new RegExp(pin.versionPattern, 'm').exec(`${r.stdout}\n${r.stderr}`)?.groups?.['version'];
}

/** The version in a Helm plugin folder's plugin.yaml, or undefined when the folder or its binary is missing. */
export function pluginVersionSync(dir: string, pin: ToolPin): string | undefined {
  try {
    const yaml = readFileSync(join(dir, 'plugin.yaml'), 'utf8');
    if (!existsSync(join(dir, pin.bin))) return undefined;
    return /^version:\s*"?([^"\s]+)"?/m.exec(yaml)?.[1];
  } catch {
    return undefined;
  }
}

const FIX_INSTALL = (what: string) =>
  [
    'Either:',
    `  - run \`pnpm tools:install\` to install ${what} into .tools/ (or \`bash scripts/setup.sh\` on a fresh machine), or`,
    '  - put that version on PATH yourself and run `pnpm tools:install` to link it.',
  ].join('\n');

/** Tools already verified by this process: path -> mtime it had then. */
const verified = new Map<string, number>();

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * Like {@link toolPath}, but first checks that the tool is installed **at its pinned version** and otherwise throws a
 * {@link ToolError} naming the tool, the version wanted, the version found and the fix. Pinned binaries run their
 * version command (once per process); `helm-unittest` checks its plugin folder; `.venv` binaries check that the
 * virtualenv was completely built from the current requirements.
 */
export function requireTool(name: string, root = repoRoot()): string {
  const pin = loadPins(root).tools[name];
  const dirs = toolDirs(root);
  if (pin?.plugin) {
    const dir = join(dirs.plugins, pin.plugin);
    if (verified.get(dir) === mtime(join(dir, 'plugin.yaml'))) return dir;
    const found = pluginVersionSync(dir, pin);
    if (found !== pin.version) {
      throw new ToolError(
        found ? 'E_TOOL_VERSION' : 'E_TOOL_MISSING',
        `${name}: version ${pin.version} wanted, ${found ? `found ${found}` : 'not installed'} in ${dir}`,
        FIX_INSTALL(`${name} ${pin.version}`),
      );
    }
    verified.set(dir, mtime(join(dir, 'plugin.yaml')));
    return dir;
  }
  const path = toolPath(name, root);
  if (pin) {
    if (verified.get(path) === mtime(path)) return path;
    if (!existsSync(path)) {
      throw new ToolError(
        'E_TOOL_MISSING',
        `${name}: version ${pin.version} wanted, not installed (${path} does not exist)`,
        FIX_INSTALL(`${name} ${pin.version}`),
      );
    }
    const found = probeVersionSync(path, pin);
    if (pin.versionArgs && found !== pin.version) {
      throw new ToolError(
        'E_TOOL_VERSION',
        `${name}: version ${pin.version} wanted, found ${found ?? 'a binary that reports no version'} at ${path}`,
        FIX_INSTALL(`${name} ${pin.version}`),
      );
    }
    verified.set(path, mtime(path));
    return path;
  }
  const stampFile = venvStampFile(root);
  if (verified.get(path) === mtime(stampFile)) return path;
  if (!existsSync(path)) {
    throw new ToolError(
      'E_TOOL_MISSING',
      `${name}: not installed (${path} does not exist; it comes from the virtualenv built from requirements.txt)`,
      FIX_INSTALL('the virtualenv .venv'),
    );
  }
  const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  if (have !== venvStamp(root)) {
    throw new ToolError(
      'E_TOOL_VERSION',
      `${name}: .venv was ${have ? 'built from other requirements (requirements.txt or requirements.lock changed since)' : 'not completely installed (an install was interrupted, or it predates the installer)'}; the current requirements are wanted`,
      FIX_INSTALL('the virtualenv .venv from the current requirements'),
    );
  }
  verified.set(path, mtime(stampFile));
  return path;
}

/**
 * The environment children run with: `.tools/bin` and `.venv/bin` first on PATH, `HELM_PLUGINS` at the project's
 * plugin folder (so `helm unittest` works), everything else inherited from `base`.
 */
export function toolEnv(base: NodeJS.ProcessEnv = process.env, root = repoRoot()): NodeJS.ProcessEnv {
  const dirs = toolDirs(root);
  const rest = (base['PATH'] ?? '').split(delimiter).filter((p) => p && p !== dirs.bin && p !== dirs.venvBin);
  return {
    ...base,
    PATH: [dirs.bin, dirs.venvBin, ...rest].join(delimiter),
    HELM_PLUGINS: dirs.plugins,
    UNDERSTACK_ROOT: root,
  };
}

/** Substitutes `{version}` and `{arch}` in a pinned URL or path. */
export function expandPin(template: string, version: string, arch = goArch()): string {
  return template.replaceAll('{version}', version).replaceAll('{arch}', arch);
}

/** This machine's architecture in Go's spelling, as release file names use it. */
export function goArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    default:
      return process.arch;
  }
}
