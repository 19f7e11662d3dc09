/**
 * The two glob dialects Argo CD uses. Value files (v3.4+) use doublestar: `*` and `?` stay within one path segment,
 * `**` spans folders, `[...]` and `{a,b}` work. Directory include/exclude use gobwas/glob without separators: `*`
 * also crosses `/`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** True when the string contains glob syntax. */
export function hasGlobMeta(s: string): boolean {
  return /[*?[{]/.test(s);
}

/** Compiles a glob to a RegExp. `crossSlash`: whether `*`/`?` may match `/`. */
export function globToRegExp(pattern: string, crossSlash: boolean): RegExp {
  let re = '';
  let depth = 0;
  const any = crossSlash ? '.' : '[^/]';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i]!);
    } else if (c === '*') {
      if (pattern[i + 1] === '*') {
        // "**/" matches zero or more folders; a trailing "**" matches everything below
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += `${any}*`;
      }
    } else if (c === '?') {
      re += any;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
      } else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('!') || cls.startsWith('^')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) {
      re += '|';
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return /[.+^$()|\\/[\]{}*?]/.test(c) ? `\\${c}` : c;
}

/**
 * Expands an absolute doublestar pattern against the file system; returns absolute paths of matching files and
 * folders in lexical order (doublestar's `FilepathGlob` order).
 */
export function expandGlob(absPattern: string): string[] {
  const parts = absPattern.split(sep);
  let staticDepth = 0;
  while (staticDepth < parts.length && !hasGlobMeta(parts[staticDepth]!)) staticDepth++;
  const base = parts.slice(0, staticDepth).join(sep) || sep;
  const rest = parts.slice(staticDepth).join('/');
  const re = globToRegExp(rest, false);
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const rel = relative(base, p).split(sep).join('/');
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        // dangling link: can still match by name
      }
      if (re.test(rel)) out.push(p);
      if (isDir && name !== '.git') walk(p);
    }
  };
  walk(base);
  return out.sort();
}
