/**
 * Which helm and kustomize binaries emulate which Argo CD release. The table lives in `scripts/tools.json` (owned
 * by the repository's tooling); this module is the one place the renderer looks binaries up.
 */
import { existsSync, statSync } from 'node:fs';
import { loadPins, repoRoot, toolPath } from '@understack/scripts';
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

/** Argo CD releases the renderer knows (from tools.json). */
export function supportedArgoVersions(): string[] {
  return Object.keys(loadPins().argocd.releases).sort();
}

/** The default emulated Argo CD release (tools.json `argocd.default`). */
export function defaultArgoVersion(): string {
  return loadPins().argocd.default;
}

function toolInfo(name: string): ToolInfo {
  const pins = loadPins();
  const pin = pins.tools[name];
  const path = toolPath(name);
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
  const [major, minor] = argocdVersion.split('.').map(Number) as [number, number];
  return {
    argocdVersion,
    helm: toolInfo(release.helm),
    kustomize: toolInfo(release.kustomize),
    helmMajor: release.helmMajor,
    valueFileGlobs: major > 3 || (major === 3 && minor >= 4),
  };
}

/** This repository's root (the default `--understack` directory). */
export function understackRoot(): string {
  return repoRoot();
}
