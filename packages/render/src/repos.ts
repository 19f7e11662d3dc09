/**
 * Offline repositories. Git repoURLs map to local folders (`--repo <url>=<dir>`, the app-of-apps values'
 * `understack_url`/`deploy_url`); Helm chart repositories and OCI registries map to folders of charts
 * (`--chart-repo <url>=<dir>` or `.understack-render.yaml` `chartRepositories`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RenderError } from './errors.js';
import { parseUserYaml } from './manifests.js';

/** Argo's `git.NormalizeGitURL`-like key: lower-case, no scheme user, no `.git`, no trailing slash; scp-style ssh too. */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim().toLowerCase();
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/)(.*)$/.exec(u);
  if (scp && !u.includes('://')) u = `ssh://${scp[1]}/${scp[2]}`;
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  return u.replace(/\/+$/, '').replace(/\.git$/, '');
}

/** Key for a chart repository or OCI registry: no `oci://`/scheme, no trailing slash, lower-case host. */
export function normalizeChartRepo(url: string): string {
  return url
    .trim()
    .replace(/^oci:\/\//i, '')
    .replace(/^https?:\/\//i, (m) => m.toLowerCase())
    .replace(/\/+$/, '');
}

/** A Git repository available locally. */
export interface LocalRepo {
  url: string;
  dir: string;
}

/** Maps Git repoURLs to folders. */
export class RepoMap {
  private readonly byKey = new Map<string, LocalRepo>();
  private readonly revisions = new Map<string, string>();

  add(url: string, dir: string): void {
    this.byKey.set(normalizeRepoUrl(url), { url, dir: resolve(dir) });
  }

  has(url: string): boolean {
    return this.byKey.has(normalizeRepoUrl(url));
  }

  /** The folder of `url`, or a clear error naming the flag that maps it. */
  get(url: string): LocalRepo {
    const hit = this.byKey.get(normalizeRepoUrl(url));
    if (!hit) {
      const known = [...this.byKey.values()].map((r) => r.url).sort();
      throw new RenderError(
        'E_REPO_UNMAPPED',
        `repository ${url} is not available offline${known.length ? ` (mapped: ${known.join(', ')})` : ''}`,
        `Either: map it to a local checkout with --repo ${url}=<dir>, or set understack_url/deploy_url in the cluster's deploy.yaml to a mapped URL.`,
      );
    }
    return hit;
  }

  /** The commit of the folder's Git checkout (ARGOCD_APP_REVISION), or 40 zeros outside Git. */
  revision(url: string): string {
    const { dir } = this.get(url);
    let rev = this.revisions.get(dir);
    if (rev === undefined) {
      rev = readGitHead(dir);
      if (!rev) {
        try {
          rev = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
            .toString()
            .trim();
        } catch {
          rev = '0'.repeat(40);
        }
      }
      this.revisions.set(dir, rev);
    }
    return rev;
  }

  entries(): LocalRepo[] {
    return [...this.byKey.values()];
  }
}

/**
 * The commit checked out in the Git repository containing `dir`, read from `.git` directly (no process: this runs
 * for every render). Handles worktrees (`.git` file + commondir) and packed refs; undefined when unsure.
 */
export function readGitHead(dir: string): string | undefined {
  try {
    let d = resolve(dir);
    let dotGit: string | undefined;
    for (;;) {
      if (existsSync(join(d, '.git'))) {
        dotGit = join(d, '.git');
        break;
      }
      const parent = dirname(d);
      if (parent === d) return undefined;
      d = parent;
    }
    let gitDir = dotGit;
    if (!statSync(dotGit).isDirectory()) {
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
      if (!m) return undefined;
      gitDir = resolve(d, m[1]!.trim());
    }
    const common = existsSync(join(gitDir, 'commondir'))
      ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1]?.trim();
    if (!ref) return undefined;
    for (const base of [gitDir, common]) {
      const f = join(base, ref);
      if (existsSync(f)) {
        const sha = readFileSync(f, 'utf8').trim();
        if (/^[0-9a-f]{40}$/.test(sha)) return sha;
      }
    }
    const packed = join(common, 'packed-refs');
    if (existsSync(packed)) {
      for (const line of readFileSync(packed, 'utf8').split('\n')) {
        const [sha, name] = line.split(' ');
        if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
      }
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Name of the per-deploy-repo config file. */
export const CONFIG_FILE = '.understack-render.yaml';

/** Cluster facts from `.understack-render.yaml` (top level = every cluster, `clusters.<name>` overrides). */
export interface ClusterFacts {
  /** Kubernetes version of the cluster. */
  kubeVersion?: string;
  /** APIs added to the built-in list (`group/version` and `group/version/Kind`), e.g. CRDs installed there. */
  extraApiVersions?: string[];
}

/** The parsed `.understack-render.yaml`. */
export interface RenderConfig {
  chartRepositories: Record<string, string>;
  defaults: ClusterFacts;
  clusters: Record<string, ClusterFacts>;
}

function facts(v: unknown, where: string, file: string): ClusterFacts {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new RenderError('E_CONFIG', `${file}: ${where}: must be a map`);
  const o = v as Record<string, unknown>;
  const out: ClusterFacts = {};
  if (o['kubeVersion'] !== undefined) {
    if (typeof o['kubeVersion'] !== 'string')
      throw new RenderError('E_CONFIG', `${file}: ${where}kubeVersion: must be a string like "1.31.2"`);
    out.kubeVersion = o['kubeVersion'];
  }
  if (o['extraApiVersions'] !== undefined) {
    const a = o['extraApiVersions'];
    if (!Array.isArray(a) || a.some((x) => typeof x !== 'string')) {
      throw new RenderError(
        'E_CONFIG',
        `${file}: ${where}extraApiVersions: must be a list of group/version[/Kind] strings`,
      );
    }
    out.extraApiVersions = a as string[];
  }
  return out;
}

/**
 * Reads `<deploy-repo>/.understack-render.yaml`:
 * `chartRepositories` (repoURL -> folder relative to the file), `kubeVersion` / `extraApiVersions` for every
 * cluster, and `clusters.<name>.{kubeVersion,extraApiVersions}` per cluster.
 */
export function readRenderConfig(deployRepo: string): RenderConfig {
  const file = join(deployRepo, CONFIG_FILE);
  const empty: RenderConfig = { chartRepositories: {}, defaults: {}, clusters: {} };
  if (!existsSync(file)) return empty;
  const cfg = (parseUserYaml(readFileSync(file, 'utf8'), file) ?? {}) as Record<string, unknown>;
  const clusters: Record<string, ClusterFacts> = {};
  const rawClusters = cfg['clusters'] ?? {};
  if (typeof rawClusters !== 'object' || Array.isArray(rawClusters))
    throw new RenderError('E_CONFIG', `${file}: clusters: must be a map of cluster name to facts`);
  for (const [name, v] of Object.entries(rawClusters as object)) clusters[name] = facts(v, `clusters.${name}.`, file);
  return { chartRepositories: readChartRepoConfig(deployRepo), defaults: facts(cfg, '', file), clusters };
}

/** Reads `<dir>/.understack-render.yaml` `chartRepositories` (paths relative to the file). */
export function readChartRepoConfig(deployRepo: string): Record<string, string> {
  const file = join(deployRepo, CONFIG_FILE);
  if (!existsSync(file)) return {};
  const cfg = parseUserYaml(readFileSync(file, 'utf8'), file) as { chartRepositories?: Record<string, string> } | null;
  const out: Record<string, string> = {};
  const repos = cfg?.chartRepositories ?? {};
  if (typeof repos !== 'object' || Array.isArray(repos)) {
    throw new RenderError('E_CONFIG', `${file}: chartRepositories: must be a map of repoURL to folder`);
  }
  for (const [url, dir] of Object.entries(repos)) {
    if (typeof dir !== 'string')
      throw new RenderError('E_CONFIG', `${file}: chartRepositories.${url}: must be a folder path`);
    out[url] = resolve(dirname(file), dir);
  }
  return out;
}

/** One chart available offline. */
export interface LocalChart {
  /** Either a `.tgz` or a chart folder. */
  path: string;
  version: string;
}

/** Maps Helm chart repositories / OCI registries to folders holding `<chart>/` or `<chart>-<version>.tgz`. */
export class ChartRepoMap {
  private readonly byKey = new Map<string, string>();

  add(url: string, dir: string): void {
    this.byKey.set(normalizeChartRepo(url), resolve(dir));
  }

  dir(url: string): string | undefined {
    return this.byKey.get(normalizeChartRepo(url));
  }

  private readonly listed = new Map<string, LocalChart[]>();

  /** Every version of `chart` found in the mapped folder of `url` (listed once per map: folders do not change mid-render). */
  versions(url: string, chart: string): LocalChart[] {
    const key = `${normalizeChartRepo(url)}\0${chart}`;
    let out = this.listed.get(key);
    if (!out) {
      out = this.list(url, chart);
      this.listed.set(key, out);
    }
    return out;
  }

  private list(url: string, chart: string): LocalChart[] {
    const dir = this.dir(url);
    if (!dir || !existsSync(dir)) return [];
    const out: LocalChart[] = [];
    const prefix = `${chart}-`;
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(prefix) && name.endsWith('.tgz')) {
        out.push({ path: join(dir, name), version: name.slice(prefix.length, -'.tgz'.length) });
      }
    }
    const folder = join(dir, chart, 'Chart.yaml');
    if (existsSync(folder)) {
      const meta = parseUserYaml(readFileSync(folder, 'utf8'), folder) as { version?: unknown } | null;
      if (meta?.version !== undefined) out.push({ path: join(dir, chart), version: String(meta.version) });
    }
    return out;
  }
}
