/**
 * Where the project's pinned external tools live and how every script finds them.
 *
 * Node code never relies on the caller's PATH: it asks {@link toolPath} for a binary or runs children with
 * {@link toolEnv}, which puts `.tools/bin` and `.venv/bin` first and points Helm at the project's plugin folder.
 */
import { existsSync, readFileSync } from 'node:fs';
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
  go?: { package: string; ldflags?: string; noSumDb?: string; moduleSum?: string; why?: string };
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
 * It does not check that the file exists; {@link requireTool} does.
 */
export function toolPath(name: string, root = repoRoot()): string {
  const dirs = toolDirs(root);
  const pin = loadPins(root).tools[name];
  if (pin && !pin.plugin) return join(dirs.bin, pin.bin);
  return join(dirs.venvBin, name);
}

/** Like {@link toolPath} but fails with the fix when the tool is not installed. */
export function requireTool(name: string, root = repoRoot()): string {
  const path = toolPath(name, root);
  if (!existsSync(path)) {
    throw new ToolError(
      'E_TOOL_MISSING',
      `${name} is not installed: ${path} does not exist`,
      'Run `pnpm tools:install` (or `bash scripts/setup.sh` on a fresh machine).',
    );
  }
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
