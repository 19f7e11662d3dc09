/**
 * Path rules of the repo-server: every path an Application names is resolved inside its repository root and refused
 * (with Argo's messages) when it escapes, directly or through a symbolic link.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RenderError } from './errors.js';

/** True when `child` is `root` or below it (both absolute, normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** True when `child` is strictly below `root`. */
function isStrictlyInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Argo's `ResolveSymbolicLinkRecursive`: follows a link in the last component at most `maxDepth` times. */
export function resolveSymlinkRecursive(path: string, maxDepth = 10): string {
  let current = path;
  for (let depth = maxDepth; ; depth--) {
    let target: string;
    try {
      target = readlinkSync(current);
    } catch {
      return current; // not a link (or missing): resolution stops here
    }
    if (depth === 0) throw new RenderError('E_SYMLINK_DEPTH', 'maximum nesting level reached');
    current = isAbsolute(target) ? target : join(dirname(current), target);
  }
}

/**
 * Real path of `p` as far as it exists (missing tails are appended as written), so a link in a middle folder is
 * followed too. Used to refuse escapes that Argo's repository-wide symlink check would have caught.
 */
function realPathLoose(p: string): string {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return p;
      tail.push(head.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      head = parent;
    }
  }
}

/** Result of resolving a values file: an absolute local path or a remote URL passed to helm verbatim. */
export interface ResolvedFile {
  path: string;
  remote: boolean;
}

const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Argo's `ResolveValueFilePathOrUrl`: URLs with an allowed scheme pass through unchecked; a relative path is joined
 * to the app path, a leading `/` to the repository root; symlinks are followed; the result must stay strictly
 * inside the root.
 */
export function resolveValueFile(
  appPath: string,
  repoRoot: string,
  file: string,
  allowedSchemes: readonly string[],
  raw = file,
): ResolvedFile {
  const scheme = URL_SCHEME.exec(file)?.[1];
  if (scheme) {
    if (allowedSchemes.map((s) => s.toLowerCase()).includes(scheme.toLowerCase())) return { path: file, remote: true };
    throw new RenderError(
      'E_URL_SCHEME',
      `the URL scheme '${scheme}' is not allowed`,
      'Either: use a file in the repository, or allow the scheme as argocd-cm helm.valuesFileSchemes does (--values-file-schemes).',
    );
  }
  return { path: resolveRepoFile(appPath, repoRoot, file, raw), remote: false };
}

/** Joins `file` (relative to `appPath`, or `/`-rooted at `repoRoot`) and refuses anything outside the root. */
export function resolveRepoFile(appPath: string, repoRoot: string, file: string, raw = file): string {
  const root = resolve(repoRoot);
  const joined = isAbsolute(file) ? join(root, file) : join(resolve(appPath), file);
  const delinked = resolve(resolveSymlinkRecursive(joined));
  const realRoot = realPathLoose(root);
  if (!isStrictlyInside(root, delinked) || !isStrictlyInside(realRoot, realPathLoose(delinked))) {
    throw new RenderError(
      'E_PATH_OUTSIDE_ROOT',
      `file '${raw}' resolved to outside repository root`,
      'Either: point the path at a file inside the repository, or use a `$ref` source for a file in another repository.',
    );
  }
  return delinked;
}

/** Argo's app path check (`util/io/path`): relative, inside the root, an existing directory. */
export function resolveAppPath(repoRoot: string, path: string): string {
  if (isAbsolute(path)) throw new RenderError('E_APP_PATH', `${path}: app path is absolute`);
  const root = resolve(repoRoot);
  const appPath = join(root, path);
  if (!isInside(root, appPath)) throw new RenderError('E_APP_PATH', `${path}: app path outside root`);
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(appPath);
  } catch {
    throw new RenderError(
      'E_APP_PATH',
      `${path}: app path does not exist`,
      `Either: fix spec.source.path, or map the repoURL to the right folder (--repo <url>=<dir>); looked in ${root}.`,
    );
  }
  if (!info.isDirectory()) throw new RenderError('E_APP_PATH', `${path}: app path is not a directory`);
  return appPath;
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);

/**
 * Argo's `CheckOutOfBoundsSymlinks`, applied to the tree an app reads (`dir`): any link whose target leaves `root`
 * fails. `.git` and `node_modules` (never in a clean checkout) are skipped.
 */
export function checkOutOfBoundsSymlinks(root: string, dir: string): void {
  const realRoot = realPathLoose(resolve(root));
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      if (SKIP_DIRS.has(name)) continue;
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) {
        const target = readlinkSync(p);
        const abs = isAbsolute(target) ? target : join(dirname(p), target);
        if (!isInside(realRoot, realPathLoose(abs))) {
          throw new RenderError(
            'E_OOB_SYMLINK',
            `repository contains out-of-bounds symlinks. file: ${relative(root, p)}`,
            'Either: replace the link by a copy of its target, or point it inside the repository.',
          );
        }
      } else if (st.isDirectory()) {
        walk(p);
      }
    }
  };
  walk(resolve(dir));
}
