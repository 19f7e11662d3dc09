/**
 * Content-addressed cache of tool outputs. A key is the SHA-256 of everything a tool's output depends on: the
 * binary's identity, its arguments with file paths replaced by their contents' hashes, and the hash of the input
 * tree. Re-rendering an unchanged app therefore costs hashing its inputs, not running helm.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';

/** The default cache folder: `$XDG_CACHE_HOME/understack-render` or `~/.cache/understack-render`. */
export function defaultCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'understack-render');
}

/** SHA-256 hex of a string or buffer. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A folder of cached outputs keyed by hash. Writes are atomic (temp file + rename), so concurrent runs are safe. */
export class OutputCache {
  hits = 0;
  misses = 0;
  constructor(readonly dir: string) {}

  private file(key: string): string {
    const hash = key.slice(key.lastIndexOf('-') + 1);
    return join(this.dir, 'v1', hash.slice(0, 2), `${key}.out`);
  }

  get(key: string): string | undefined {
    try {
      const out = readFileSync(this.file(key), 'utf8');
      this.hits++;
      return out;
    } catch {
      this.misses++;
      return undefined;
    }
  }

  /** A cached JSON value stored beside the outputs (parsed objects, rendered YAML). */
  getJson<T>(kind: string, key: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.file(`${kind}-${key}`), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  setJson(kind: string, key: string, value: unknown): void {
    this.write(this.file(`${kind}-${key}`), JSON.stringify(value));
  }

  set(key: string, value: string): void {
    this.write(this.file(key), value);
  }

  private readonly dirs = new Set<string>();

  private write(file: string, value: string): void {
    const dir = join(file, '..');
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, value);
    renameSync(tmp, file);
  }
}

const SKIP = new Set(['.git', 'node_modules']);

/**
 * Hashes files and trees once per process (an {@link Hasher} lives for one render session, so edits between
 * sessions are always seen).
 */
export class Hasher {
  private files = new Map<string, string>();
  private trees = new Map<string, string>();

  /** Hash of one file's contents (`missing` when it cannot be read). */
  file(path: string): string {
    let h = this.files.get(path);
    if (h === undefined) {
      try {
        h = sha256(readFileSync(path));
      } catch {
        h = 'missing';
      }
      this.files.set(path, h);
    }
    return h;
  }

  /** Hash of a directory tree: relative paths and contents (links followed), `.git`/`node_modules` skipped. */
  tree(dir: string): string {
    let h = this.trees.get(dir);
    if (h !== undefined) return h;
    const lines: string[] = [];
    const walk = (d: string, depth: number): void => {
      if (depth > 40) return;
      let names: string[];
      try {
        names = readdirSync(d).sort();
      } catch {
        return;
      }
      for (const name of names) {
        if (SKIP.has(name)) continue;
        const p = join(d, name);
        let st: ReturnType<typeof statSync>;
        try {
          st = statSync(p);
        } catch {
          lines.push(`${relative(dir, p)}\0dangling`);
          continue;
        }
        if (st.isDirectory()) walk(p, depth + 1);
        else lines.push(`${relative(dir, p)}\0${this.file(p)}`);
      }
    };
    walk(dir, 0);
    h = sha256(lines.join('\n'));
    this.trees.set(dir, h);
    return h;
  }
}
