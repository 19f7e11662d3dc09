/**
 * Which helm and kustomize binaries emulate which Argo CD release. The table and versions live in
 * `scripts/tools.json` (read through `@understack/scripts/tools.json`, the repository's single pin file); binaries
 * sit where `@understack/scripts`' `toolPath()` puts them: `<repo>/.tools/bin/<bin>` (a test checks both agree).
 * The index of `@understack/scripts` is not imported here because it loads execa and an XML parser, which would
 * add ~110 ms to every (even fully cached) render.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { RenderError, UsageError } from './errors.js';

/** The tools one emulated Argo CD release runs. */
export interface ToolSet {
  /** The Argo CD release emulated, e.g. `3.5`. */
  argocdVersion: string;
  helm: ToolInfo;
  kustomize: ToolInfo;
  /** Helm major version (3 or 4). */
  helmMajor: number;
  /** valueFiles globbing and de-duplication arrived in Argo CD 3.4. */
  valueFileGlobs: boolean;
}

/** A located binary and the identity used in cache keys. */
export interface ToolInfo {
  path: string;
  /** Pinned version from tools.json. */
  version: string;
  /** Version + binary size + mtime: changes whenever the binary does. */
  identity: string;
}

interface Pins {
  argocd: { default: string; releases: Record<string, { helm: string; kustomize: string; helmMajor: number }> };
  tools: Record<string, { version: string; bin: string; plugin?: string }>;
}

let pinsCache: { file: string; pins: Pins } | undefined;

function pinsFile(): string {
  return createRequire(import.meta.url).resolve('@understack/scripts/tools.json');
}

function loadPins(): Pins {
  if (!pinsCache) {
    const file = pinsFile();
    pinsCache = { file, pins: JSON.parse(readFileSync(file, 'utf8')) as Pins };
  }
  return pinsCache.pins;
}

/** The UnderStack repository root: `UNDERSTACK_ROOT`, else the folder holding `scripts/tools.json`. */
export function understackRoot(): string {
  const env = process.env['UNDERSTACK_ROOT'];
  if (env) return resolve(env);
  return dirname(dirname(pinsFile()));
}

/** Path of a pinned tool binary (same rule as `@understack/scripts` `toolPath`). */
export function pinnedToolPath(name: string): string {
  const pin = loadPins().tools[name];
  return join(understackRoot(), '.tools', 'bin', pin?.bin ?? name);
}

/** Argo CD releases the renderer knows (from tools.json). */
export function supportedArgoVersions(): string[] {
  return Object.keys(loadPins().argocd.releases).sort();
}

/** The default emulated Argo CD release (tools.json `argocd.default`). */
export function defaultArgoVersion(): string {
  return loadPins().argocd.default;
}

function toolInfo(name: string): ToolInfo {
  const pin = loadPins().tools[name];
  const path = pinnedToolPath(name);
  if (!existsSync(path)) {
    throw new RenderError(
      'E_TOOL_MISSING',
      `${name} is not installed: ${path} does not exist`,
      'Run `pnpm tools:install` in the repository root (or `bash scripts/setup.sh` on a fresh machine).',
    );
  }
  const st = statSync(path);
  const version = pin?.version ?? 'unknown';
  return { path, version, identity: `${name}@${version}:${st.size}:${Math.trunc(st.mtimeMs)}` };
}

/** Resolves the tool set of an Argo CD release, failing with the supported list when unknown. */
export function toolsFor(argocdVersion = defaultArgoVersion()): ToolSet {
  const pins = loadPins();
  const release = pins.argocd.releases[argocdVersion];
  if (!release) {
    throw new UsageError(
      'E_ARGO_VERSION',
      `unsupported --argocd-version ${argocdVersion}: supported are ${Object.keys(pins.argocd.releases).sort().join(', ')}`,
    );
  }
  const [major = 0, minor = 0] = argocdVersion.split('.').map(Number);
  return {
    argocdVersion,
    helm: toolInfo(release.helm),
    kustomize: toolInfo(release.kustomize),
    helmMajor: release.helmMajor,
    valueFileGlobs: major > 3 || (major === 3 && minor >= 4),
  };
}
