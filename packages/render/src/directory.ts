/**
 * Directory sources (`findManifests` in the repo-server): a lexical walk of the app path, sub-folders only with
 * `recurse`, the extension filter, include/exclude globs, the skip marker and the JSON single-object rule.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { RenderError } from './errors.js';
import { globToRegExp } from './glob.js';
import { splitYaml, yamlProblem } from './manifests.js';
import { isInside } from './paths.js';
import type { DirectorySource, K8sObject } from './types.js';

const MANIFEST_FILE = /^.*\.(yaml|yml|json|jsonnet)$/;
const SKIP_MARKER = '+argocd:skip-file-rendering';
const MAX_COMBINED = 10 * 1024 * 1024;

/** Argo's include/exclude matcher (gobwas/glob without separators; `{a,b}` alternatives). */
function matcher(pattern: string | undefined): ((rel: string) => boolean) | undefined {
  if (!pattern) return undefined;
  const re = globToRegExp(pattern, true);
  return (rel) => re.test(rel);
}

/** Reads the manifests of a Directory source. `appName` is used in the "not supported" Jsonnet error. */
export function directoryManifests(
  repoRoot: string,
  appPath: string,
  dir: DirectorySource | null | undefined,
  appName: string,
): K8sObject[] {
  const recurse = dir?.recurse ?? false;
  const include = matcher(dir?.include);
  const exclude = matcher(dir?.exclude);
  const out: K8sObject[] = [];
  let total = 0;
  const walk = (d: string): void => {
    const names = readdirSync(d).sort();
    for (const name of names) {
      const p = join(d, name);
      const lst = lstatSync(p);
      let st = lst;
      if (lst.isSymbolicLink()) {
        const real = realpathSync(p);
        if (!isInside(realpathSync(repoRoot), real)) {
          throw new RenderError(
            'E_OOB_SYMLINK',
            `illegal filepath in symlink: ${relative(repoRoot, p)}`,
            `Either: replace the symlink ${relative(repoRoot, p)} with a copy of its target, point it at a file inside the repository, or exclude it with directory.exclude.`,
          );
        }
        st = statSync(p);
      }
      if (st.isDirectory()) {
        if (recurse && name !== '.git') walk(p);
        continue;
      }
      const rel = relative(appPath, p).split(sep).join('/');
      if (!MANIFEST_FILE.test(name)) continue;
      if (exclude?.(rel)) continue;
      if (include && !include(rel)) continue;
      const text = readFileSync(p, 'utf8');
      if (text.includes(SKIP_MARKER)) continue;
      total += text.length;
      if (total > MAX_COMBINED) {
        throw new RenderError(
          'E_DIRECTORY',
          `exceeded max combined manifest file size ${MAX_COMBINED} bytes (at ${relative(repoRoot, p)})`,
          'Either: exclude files that are not manifests with directory.exclude (or narrow directory.include), split the application, or move large files out of the app path.',
        );
      }
      if (name.endsWith('.jsonnet')) {
        throw new RenderError(
          'E_UNSUPPORTED',
          `application ${appName}: Jsonnet (${rel}) is not supported by understack-render`,
          'Either: render the Jsonnet to YAML in the repository, or exclude the file with directory.exclude.',
        );
      }
      if (name.endsWith('.json')) {
        out.push(parseSingleJson(text, rel, relative(repoRoot, p)));
        continue;
      }
      let objs: K8sObject[];
      try {
        objs = splitYaml(text, rel);
      } catch (err) {
        // Not a manifest at all (e.g. a values file): silently ignored, as Argo does.
        if (text.includes('apiVersion:') && text.includes('kind:') && text.includes('metadata:')) {
          const at = yamlProblem(text, relative(repoRoot, p));
          throw new RenderError(
            'E_YAML',
            `failed to unmarshal "${rel}": ${at ?? (err as Error).message}`,
            `Either: fix the YAML at that position, exclude ${rel} with directory.exclude, or add the ${SKIP_MARKER} marker to the file.`,
            { cause: err },
          );
        }
        continue;
      }
      out.push(...objs);
    }
  };
  walk(appPath);
  return out;
}

/** A `.json` file must hold exactly one object. */
function parseSingleJson(text: string, rel: string, file: string): K8sObject {
  const fix = `Either: fix ${file}, rename it to .yaml (YAML files may hold several documents), or exclude it with directory.exclude.`;
  const trimmed = text.trim();
  let end = -1;
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        end = i;
        break;
      }
    }
  }
  if (end >= 0 && trimmed.slice(end + 1).trim() !== '') {
    throw new RenderError(
      'E_DIRECTORY',
      `Found multiple objects in "${rel}". Only single objects are allowed in JSON files.`,
      fix,
    );
  }
  try {
    return JSON.parse(trimmed) as K8sObject;
  } catch (err) {
    throw new RenderError('E_DIRECTORY', `Failed to unmarshal "${rel}": ${file}: ${(err as Error).message}`, fix);
  }
}
