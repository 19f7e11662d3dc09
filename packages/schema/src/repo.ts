/**
 * Loading a deploy repo: find the clusters (`<cluster>/deploy.yaml`), read every YAML file under them safely
 * (symlinks must stay inside the repo, UTF-8 only, bounded size) and parse it with positions.
 */
import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { LintError } from './errors.js';
import { type Position, parseYamlSource, type YamlSource } from './source.js';
import { firstInvalidUtf8 } from './utf8.js';

/** Files above this size are reported, not parsed (a deploy repo's YAML is kilobytes). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Walk limits, so a pathological tree cannot hang the linter. */
export const MAX_DEPTH = 16;
export const MAX_FILES = 50_000;

export interface LoadProblem {
  ruleId: 'repo/symlink-escape' | 'repo/encoding' | 'repo/unreadable' | 'repo/file-too-large';
  file: string;
  position: Position;
  message: string;
  hint: string;
}

export interface Cluster {
  name: string;
  /** Repository-relative directory (POSIX). */
  dir: string;
  /** `<dir>/deploy.yaml`, parsed. */
  deploy: YamlSource;
  /** The deploy.yaml values (first document), or undefined when it does not parse to a mapping. */
  values: Record<string, unknown> | undefined;
  /** Global-scope cluster (`global.enabled: true`): holds the CA, PostgreSQL, Redis, the gateway. */
  isGlobal: boolean;
  /** Site-scope cluster (`site.enabled: true`): runs workers. */
  isSite: boolean;
  /** Every YAML source under `dir`, including deploy.yaml. */
  sources: YamlSource[];
}

export interface DeployRepo {
  /** Absolute (real) path of the repo root. */
  root: string;
  clusters: Cluster[];
  /** Every file path (repo-relative, POSIX) under the repo, YAML or not, symlinks that stay inside included. */
  files: Set<string>;
  /** Directories (repo-relative, POSIX). */
  dirs: Set<string>;
  sources: Map<string, YamlSource>;
  /**
   * Non-YAML files under a cluster directory, raw (at most {@link MAX_FILE_BYTES} each): what the private-key rules
   * scan, since a PEM key committed as `ca.key` for a kustomize secretGenerator is as exposed as one in a manifest.
   */
  otherFiles: Map<string, Uint8Array>;
  /** Files (any type) per directory: repo-relative dir -> base names. */
  filesByDir: Map<string, string[]>;
  problems: LoadProblem[];
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.tools', '.venv', '.terraform']);
const toPosix = (p: string) => p.split(path.sep).join('/');
const isYaml = (f: string) => /\.ya?ml$/i.test(f);

function positionOfOffset(buf: Uint8Array, offset: number): Position {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 0x0a) {
      line++;
      col = 1;
    } else if ((buf[i]! & 0xc0) !== 0x80) col++;
  }
  return { line, column: col };
}

/** What a directory entry that is neither a file nor a directory is, for messages. */
function specialKind(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

const notRegular = (rel: string, st: Stats): LoadProblem => ({
  ruleId: 'repo/unreadable',
  file: rel,
  position: { line: 1, column: 1 },
  message: `${specialKind(st)}, not a regular file: not read (reading it could block forever)`,
  hint: 'Remove it from the repo: git cannot store it, so it is a local artefact (e.g. a left-over `mkfifo` or socket).',
});

const tooLarge = (rel: string, size: number): LoadProblem => ({
  ruleId: 'repo/file-too-large',
  file: rel,
  position: { line: 1, column: 1 },
  message: `file is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit: not read`,
  hint: 'Split the file, or move generated bulk data out of the deploy repo.',
});

/**
 * Reads one regular file of at most {@link MAX_FILE_BYTES}; returns a problem instead of throwing or blocking. The file
 * is opened non-blocking and checked with fstat on the open descriptor, so a FIFO (or a file swapped for one after the
 * walk) is refused instead of hanging the read.
 */
function readBytes(abs: string, rel: string): { buf: Buffer } | { problem: LoadProblem } {
  let fd: number | undefined;
  try {
    fd = openSync(abs, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: notRegular(rel, st) };
    if (st.size > MAX_FILE_BYTES) return { problem: tooLarge(rel, st.size) };
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return { buf: off === buf.length ? buf : buf.subarray(0, off) };
  } catch (cause) {
    return {
      problem: {
        ruleId: 'repo/unreadable',
        file: rel,
        position: { line: 1, column: 1 },
        message: `cannot read file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
        hint: 'Check the file permissions.',
      },
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads and decodes one file; returns a problem instead of throwing. */
function readText(abs: string, rel: string): { text: string } | { problem: LoadProblem } {
  const got = readBytes(abs, rel);
  if ('problem' in got) return got;
  const buf = got.buf;
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    return {
      problem: {
        ruleId: 'repo/encoding',
        file: rel,
        position: { line: 1, column: 1 },
        message: 'file is UTF-16 (byte-order mark): Kubernetes, Helm and Argo CD read YAML as UTF-8',
        hint: 'Re-encode it: `iconv -f UTF-16 -t UTF-8 <file>`.',
      },
    };
  }
  const bad = firstInvalidUtf8(buf);
  if (bad >= 0) {
    return {
      problem: {
        ruleId: 'repo/encoding',
        file: rel,
        position: positionOfOffset(buf, bad),
        message: `file is not valid UTF-8 (byte 0x${buf[bad]!.toString(16).padStart(2, '0')} at offset ${bad})`,
        hint: 'Re-encode it as UTF-8, e.g. `iconv -f LATIN1 -t UTF-8 <file>`; YAML must be UTF-8.',
      },
    };
  }
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text };
}

export function loadDeployRepo(dir: string): DeployRepo {
  let root: string;
  try {
    root = realpathSync(path.resolve(dir));
  } catch (cause) {
    throw new LintError('E_NOT_FOUND', `cannot open deploy repo ${dir}: no such directory`, { cause });
  }
  if (!statSync(root).isDirectory()) {
    throw new LintError('E_NOT_A_DIRECTORY', `cannot open deploy repo ${dir}: not a directory`);
  }
  const repo: DeployRepo = {
    root,
    clusters: [],
    files: new Set(),
    dirs: new Set(['']),
    sources: new Map(),
    otherFiles: new Map(),
    filesByDir: new Map(),
    problems: [],
  };
  const visited = new Set<string>([root]);
  const absOf = new Map<string, string>();
  let count = 0;

  let limited = false;
  const limit = (relDir: string, what: string) => {
    if (limited) return;
    limited = true;
    repo.problems.push({
      ruleId: 'repo/file-too-large',
      file: relDir || '.',
      position: { line: 1, column: 1 },
      message: `${what}: stopped walking the repository here, files beyond it were not linted`,
      hint: 'Lint a smaller tree (a deploy repo is a directory per cluster), or remove generated or vendored trees.',
    });
  };
  const walk = (absDir: string, relDir: string, depth: number) => {
    if (depth > MAX_DEPTH) {
      limit(relDir, `directories nested deeper than ${MAX_DEPTH} levels`);
      return;
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(absDir, { withFileTypes: true });
    } catch (cause) {
      if (relDir === '') throw new LintError('E_IO', `cannot list ${dir}: ${(cause as Error).message}`, { cause });
      repo.problems.push({
        ruleId: 'repo/unreadable',
        file: relDir,
        position: { line: 1, column: 1 },
        message: `cannot list directory: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
        hint: 'Check the directory permissions.',
      });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (++count > MAX_FILES) {
        limit(relDir, `more than ${MAX_FILES} files and directories`);
        return;
      }
      if (SKIP_DIRS.has(e.name)) continue;
      const abs = path.join(absDir, e.name);
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      let isDir = e.isDirectory();
      let target = abs;
      if (e.isSymbolicLink()) {
        let real: string;
        try {
          real = realpathSync(abs);
        } catch (cause) {
          const code = (cause as NodeJS.ErrnoException).code;
          repo.problems.push({
            ruleId: code === 'ELOOP' ? 'repo/symlink-escape' : 'repo/unreadable',
            file: rel,
            position: { line: 1, column: 1 },
            message: code === 'ELOOP' ? 'symlink loop' : `dangling symlink (${code ?? 'unresolvable'})`,
            hint: 'Remove the symlink or point it at a file inside the repo.',
          });
          continue;
        }
        const inside = path.relative(root, real);
        if (inside.startsWith('..') || path.isAbsolute(inside)) {
          repo.problems.push({
            ruleId: 'repo/symlink-escape',
            file: rel,
            position: { line: 1, column: 1 },
            message: `symlink resolves outside the repository (to ${real}): Argo CD refuses out-of-bounds symlinks; not read`,
            hint: 'Copy the file into the repo instead of linking to it.',
          });
          continue;
        }
        const st = statSync(real);
        if (!st.isDirectory() && !st.isFile()) {
          repo.problems.push(notRegular(rel, st));
          continue;
        }
        isDir = st.isDirectory();
        target = real;
      } else if (!isDir && !e.isFile()) {
        // FIFOs, sockets and devices: reading one blocks or never ends. Git cannot hold them; report and skip.
        let st: Stats | undefined;
        try {
          st = statSync(abs);
        } catch {
          st = undefined;
        }
        repo.problems.push(
          st
            ? notRegular(rel, st)
            : {
                ruleId: 'repo/unreadable',
                file: rel,
                position: { line: 1, column: 1 },
                message: 'not a regular file: not read',
                hint: 'Remove it from the repo.',
              },
        );
        continue;
      }
      if (isDir) {
        if (visited.has(target)) continue;
        visited.add(target);
        repo.dirs.add(rel);
        walk(target, rel, depth + 1);
      } else {
        repo.files.add(rel);
        absOf.set(rel, target);
        const list = repo.filesByDir.get(relDir);
        if (list) list.push(e.name);
        else repo.filesByDir.set(relDir, [e.name]);
      }
    }
  };
  walk(root, '', 0);

  // Clusters: directories holding a deploy.yaml (directly under the root, or under a deploy_path_prefix).
  const deployFiles = [...repo.files].filter(
    (f) => /(^|\/)deploy\.ya?ml$/.test(f) && f.split('/').length >= 2 && f.split('/').length <= 4,
  );
  if (!deployFiles.length && (repo.files.has('deploy.yaml') || repo.files.has('deploy.yml'))) {
    throw new LintError(
      'E_NOT_DEPLOY_REPO',
      `${dir} is a cluster directory, not a deploy repo: it holds deploy.yaml itself.\nEither:\n  - pass the deploy repo root (${path.dirname(path.resolve(dir))}) and --cluster ${path.basename(path.resolve(dir))}, or\n  - move the cluster's files into <repo>/<cluster>/.`,
    );
  }
  if (!deployFiles.length) {
    // When the walk stopped early, say so: the deploy.yaml files may be beyond the limit, not absent.
    const stopped = repo.problems.find(
      (p) => p.ruleId === 'repo/file-too-large' && p.message.includes('stopped walking'),
    );
    throw new LintError(
      'E_NOT_DEPLOY_REPO',
      `${dir} is not a deploy repo: no <cluster>/deploy.yaml found${stopped ? ` (the walk stopped early at ${stopped.file}: ${stopped.message})` : ''}.\nEither:\n  - pass the root of the deploy repo (the directory that holds one directory per cluster), or\n  - create <cluster>/deploy.yaml for each cluster (see the README of @understack/schema).`,
    );
  }
  const clusterDirs = deployFiles.map((f) => f.slice(0, f.lastIndexOf('/')));
  const load = (rel: string): YamlSource | undefined => {
    const got = readText(absOf.get(rel)!, rel);
    if ('problem' in got) {
      repo.problems.push(got.problem);
      return undefined;
    }
    const src = parseYamlSource(rel, got.text);
    repo.sources.set(rel, src);
    return src;
  };
  for (const rel of repo.files) {
    if (!clusterDirs.some((d) => d === '' || rel.startsWith(`${d}/`))) continue;
    if (isYaml(rel)) {
      load(rel);
      continue;
    }
    const got = readBytes(absOf.get(rel)!, rel);
    if ('problem' in got) repo.problems.push(got.problem);
    else repo.otherFiles.set(rel, got.buf);
  }
  const sourcesByCluster = new Map<string, YamlSource[]>(clusterDirs.map((d) => [d, []]));
  for (const src of repo.sources.values()) {
    for (const d of clusterDirs) if (src.file.startsWith(`${d}/`)) sourcesByCluster.get(d)!.push(src);
  }
  for (const f of deployFiles) {
    const cdir = f.slice(0, f.lastIndexOf('/'));
    const deploy = repo.sources.get(f);
    if (!deploy) continue; // unreadable: already a problem
    const v = deploy.docs[0]?.value;
    const values = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    const scopeOn = (s: string) => {
      const scope = values?.[s];
      return !!scope && typeof scope === 'object' && (scope as { enabled?: unknown }).enabled === true;
    };
    repo.clusters.push({
      name: cdir.slice(cdir.lastIndexOf('/') + 1),
      dir: cdir,
      deploy,
      values,
      isGlobal: scopeOn('global'),
      isSite: scopeOn('site'),
      sources: sourcesByCluster.get(cdir) ?? [],
    });
  }
  return repo;
}

export { toPosix };
