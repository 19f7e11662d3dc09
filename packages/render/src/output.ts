/**
 * Writing results: one file per resource under `<out>/<cluster>/<app>/` (written to a temp sibling and swapped in,
 * so a failed run never leaves a half-written tree), or one YAML/JSON stream; plus the `--json` summary.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ApplicationResult } from './application.js';
import { type OutputCache, sha256 } from './cache.js';
import { type ClusterResult, type DeployRepoResult, ROOT_APP } from './cluster.js';
import { UsageError } from './errors.js';
import { groupOf, sortKeys, toYaml } from './manifests.js';
import type { K8sObject, RenderMode } from './types.js';

/** Objects of an app in a mode: GetManifests order, or target resources then hooks (each marked). */
export function objectsFor(result: ApplicationResult, mode: RenderMode): K8sObject[] {
  if (mode === 'manifests') return result.manifests;
  return [...result.target.resources, ...result.target.hooks.map((h) => h.object)];
}

/** A cluster or app name as the folder name the output tree uses. */
export function pathSegment(s: string): string {
  return safe(s);
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** `<Kind>[.<group>]_[<namespace>_]<name>.yaml`: unique per resource key. */
export function resourceFileName(obj: K8sObject): string {
  const g = groupOf(obj);
  const ns = obj.metadata?.namespace;
  return `${safe(obj.kind ?? 'Unknown')}${g ? `.${safe(g)}` : ''}_${ns ? `${safe(ns)}_` : ''}${safe(obj.metadata?.name ?? 'unnamed')}.yaml`;
}

/** Every (cluster, app, result) of a render, root first, apps sorted. */
export function* appResults(
  r: DeployRepoResult,
): Generator<{ cluster: string; app: string; result: ApplicationResult }> {
  for (const c of r.clusters) {
    if (c.root) yield { cluster: c.cluster, app: ROOT_APP, result: c.root };
    for (const a of c.apps) if (a.result) yield { cluster: c.cluster, app: a.name, result: a.result };
  }
}

/**
 * Files (relative path -> YAML) for a render: one file per resource. With a cache, an app whose objects are
 * unchanged reuses its serialised YAML (keyed by the hash of the objects' JSON).
 */
export function renderFiles(
  r: DeployRepoResult,
  mode: RenderMode,
  cache?: OutputCache,
  format: 'yaml' | 'json' = 'yaml',
): Map<string, string> {
  const files = new Map<string, string>();
  for (const { cluster, app, result } of appResults(r)) {
    const objs = objectsFor(result, mode);
    let yamls: string[] | undefined;
    if (format === 'json') yamls = objs.map((o) => `${JSON.stringify(sortKeys(o), null, 2)}\n`);
    const key = cache && !yamls ? sha256(JSON.stringify(objs)) : '';
    yamls ??= cache ? cache.getJson<string[]>('yaml', key) : undefined;
    if (!yamls) {
      yamls = objs.map((o) => toYaml(o));
      cache?.setJson('yaml', key, yamls);
    }
    const hooks = new Set(mode === 'target' ? result.target.hooks.map((h) => h.object) : []);
    objs.forEach((obj, i) => {
      const name = resourceFileName(obj).replace(/\.yaml$/, `.${format}`);
      const base = join(safe(cluster), safe(app), hooks.has(obj) ? 'hooks' : '', name);
      let path = base;
      for (let n = 2; files.has(path); n++) path = base.replace(/\.(yaml|json)$/, `.${n}.$1`);
      files.set(path, yamls[i]!);
    });
  }
  return files;
}

/** Marker file identifying a folder written by understack-render (only such folders are updated in place). */
export const OUT_MARKER = '.understack-render';

/**
 * Writes `files` under `outDir`. A new folder is written to a temp sibling and renamed into place; a folder this
 * tool wrote before (it holds {@link OUT_MARKER}) is synchronised in place: changed files rewritten, stale ones
 * removed, unchanged ones left alone (fast re-renders). Anything else in the way is refused, never deleted.
 */
export function writeTree(outDir: string, files: Map<string, string>): void {
  const target = resolve(outDir);
  const sorted = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (existsSync(target)) {
    if (!existsSync(join(target, OUT_MARKER)) && readdirSync(target).length > 0) {
      throw new UsageError(
        'E_OUT_DIR',
        `--out ${outDir}: the folder exists and was not written by understack-render`,
        'Either: pick a new or empty folder, or remove this one first.',
      );
    }
    syncTree(target, sorted);
    return;
  }
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, OUT_MARKER), 'written by understack-render; re-rendering updates this folder in place\n');
    const made = new Set<string>();
    for (const [rel, content] of sorted) {
      const p = join(tmp, rel);
      const d = dirname(p);
      if (!made.has(d)) {
        mkdirSync(d, { recursive: true });
        made.add(d);
      }
      writeFileSync(p, content);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function syncTree(target: string, sorted: [string, string][]): void {
  const wanted = new Map(sorted);
  const existing: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (r !== OUT_MARKER) existing.push(r);
    }
  };
  walk(target, '');
  for (const r of existing) if (!wanted.has(r)) rmSync(join(target, r), { force: true });
  const made = new Set<string>();
  for (const [rel, content] of sorted) {
    const p = join(target, rel);
    let current: string | undefined;
    try {
      current = readFileSync(p, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    const d = dirname(p);
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true });
      made.add(d);
    }
    const tmp = `${p}.tmp-${process.pid}`;
    writeFileSync(tmp, content);
    renameSync(tmp, p);
  }
  // drop folders left empty by removed apps
  const prune = (d: string): boolean => {
    let empty = true;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (prune(join(d, e.name))) rmSync(join(d, e.name), { recursive: true, force: true });
        else empty = false;
      } else empty = false;
    }
    return empty;
  };
  prune(target);
}

/** One YAML stream: `# <cluster>/<app>` comments then documents. */
export function yamlStream(r: DeployRepoResult, mode: RenderMode): string {
  const parts: string[] = [];
  for (const { cluster, app, result } of appResults(r)) {
    const hooks = new Map(
      mode === 'target' ? result.target.hooks.map((h) => [h.object, h.phases.join(',')] as const) : [],
    );
    for (const obj of objectsFor(result, mode)) {
      const hook = hooks.get(obj);
      parts.push(`---\n# ${cluster}/${app}${hook ? ` (hook: ${hook})` : ''}\n${toYaml(obj)}`);
    }
  }
  return parts.join('');
}

/** One JSON document: clusters -> apps -> objects. */
export function jsonStream(r: DeployRepoResult, mode: RenderMode): string {
  const clusters = r.clusters.map((c) => ({
    name: c.cluster,
    apps: [
      ...(c.root ? [{ name: ROOT_APP, result: c.root }] : []),
      ...c.apps.filter((a) => a.result).map((a) => ({ name: a.name, result: a.result! })),
    ].map((a) => ({ name: a.name, objects: sortKeys(objectsFor(a.result, mode)) })),
  }));
  return `${JSON.stringify({ clusters }, null, 2)}\n`;
}

/** Machine-readable summary of a render (`--json`). */
export interface RenderSummary {
  ok: boolean;
  argocdVersion: string;
  mode: RenderMode;
  clusters: {
    name: string;
    error?: { code: string; message: string; hint?: string };
    apps: {
      name: string;
      resources: number;
      hooks: number;
      warnings: string[];
      error?: { code: string; message: string; hint?: string };
    }[];
    warnings: string[];
  }[];
  totals: { clusters: number; apps: number; failed: number; resources: number };
  tools: { commands: number; cached: number; ran: number; cacheHits: number; cacheMisses: number };
  durationMs: number;
  /** Peak resident memory of the renderer process (tools run as children are not included). */
  peakRssMb: number;
  out?: string;
}

function errJson(e: { code: string; message: string; hint?: string | undefined }) {
  return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
}

/** Builds the `--json` summary. */
export function summarize(
  r: DeployRepoResult,
  mode: RenderMode,
  meta: {
    argocdVersion: string;
    durationMs: number;
    commands: { cached: boolean; offline?: boolean }[];
    cacheHits: number;
    cacheMisses: number;
    out?: string;
  },
): RenderSummary {
  const clusters = r.clusters.map((c: ClusterResult) => ({
    name: c.cluster,
    ...(c.error ? { error: errJson(c.error) } : {}),
    apps: c.apps.map((a) => ({
      name: a.name,
      resources: a.result ? objectsFor(a.result, mode).length : 0,
      hooks: a.result ? a.result.target.hooks.length : 0,
      warnings: a.result?.warnings ?? [],
      ...(a.error ? { error: errJson(a.error) } : {}),
    })),
    warnings: c.warnings,
  }));
  const apps = clusters.flatMap((c) => c.apps);
  return {
    ok: r.ok,
    argocdVersion: meta.argocdVersion,
    mode,
    clusters,
    totals: {
      clusters: clusters.length,
      apps: apps.length,
      failed: apps.filter((a) => a.error).length + clusters.filter((c) => c.error).length,
      resources: apps.reduce((n, a) => n + a.resources, 0),
    },
    tools: {
      commands: meta.commands.length,
      cached: meta.commands.filter((c) => c.cached).length,
      ran: meta.commands.filter((c) => !c.cached && !c.offline).length,
      cacheHits: meta.cacheHits,
      cacheMisses: meta.cacheMisses,
    },
    durationMs: Math.round(meta.durationMs),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(meta.out ? { out: meta.out } : {}),
  };
}
