/**
 * Writing results: one file per resource under `<out>/<cluster>/<app>/` (written to a temp sibling and swapped in,
 * so a failed run never leaves a half-written tree), or one YAML/JSON stream; plus the `--json` summary.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ApplicationResult } from './application.js';
import { type ClusterResult, type DeployRepoResult, ROOT_APP } from './cluster.js';
import { groupOf, toYaml } from './manifests.js';
import type { K8sObject, RenderMode } from './types.js';

/** Objects of an app in a mode: GetManifests order, or target resources then hooks (each marked). */
export function objectsFor(result: ApplicationResult, mode: RenderMode): K8sObject[] {
  if (mode === 'manifests') return result.manifests;
  return [...result.target.resources, ...result.target.hooks.map((h) => h.object)];
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
export function* appResults(r: DeployRepoResult): Generator<{ cluster: string; app: string; result: ApplicationResult }> {
  for (const c of r.clusters) {
    if (c.root) yield { cluster: c.cluster, app: ROOT_APP, result: c.root };
    for (const a of c.apps) if (a.result) yield { cluster: c.cluster, app: a.name, result: a.result };
  }
}

/** Files (relative path -> YAML) for a render: one file per resource. */
export function renderFiles(r: DeployRepoResult, mode: RenderMode): Map<string, string> {
  const files = new Map<string, string>();
  for (const { cluster, app, result } of appResults(r)) {
    const hooks = new Set(mode === 'target' ? result.target.hooks.map((h) => h.object) : []);
    for (const obj of objectsFor(result, mode)) {
      const base = join(safe(cluster), safe(app), hooks.has(obj) ? 'hooks' : '', resourceFileName(obj));
      let path = base;
      for (let n = 2; files.has(path); n++) path = base.replace(/\.yaml$/, `.${n}.yaml`);
      files.set(path, toYaml(obj));
    }
  }
  return files;
}

/** Writes `files` under `outDir`, replacing it atomically (temp sibling + rename). */
export function writeTree(outDir: string, files: Map<string, string>): void {
  const target = resolve(outDir);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    for (const [rel, content] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const p = join(tmp, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
    const old = `${target}.old-${process.pid}`;
    if (existsSync(target)) renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** One YAML stream: `# <cluster>/<app>` comments then documents. */
export function yamlStream(r: DeployRepoResult, mode: RenderMode): string {
  const parts: string[] = [];
  for (const { cluster, app, result } of appResults(r)) {
    for (const obj of objectsFor(result, mode)) parts.push(`---\n# ${cluster}/${app}\n${toYaml(obj)}`);
  }
  return parts.join('');
}

/** One JSON document: clusters -> apps -> objects. */
export function jsonStream(r: DeployRepoResult, mode: RenderMode): string {
  const clusters = r.clusters.map((c) => ({
    name: c.cluster,
    apps: [...(c.root ? [{ name: ROOT_APP, result: c.root }] : []), ...c.apps.filter((a) => a.result).map((a) => ({ name: a.name, result: a.result! }))].map(
      (a) => ({ name: a.name, objects: objectsFor(a.result, mode) }),
    ),
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
    apps: { name: string; resources: number; hooks: number; warnings: string[]; error?: { code: string; message: string; hint?: string } }[];
    warnings: string[];
  }[];
  totals: { clusters: number; apps: number; failed: number; resources: number };
  tools: { commands: number; cached: number; ran: number; cacheHits: number; cacheMisses: number };
  durationMs: number;
  out?: string;
}

function errJson(e: { code: string; message: string; hint?: string | undefined }) {
  return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
}

/** Builds the `--json` summary. */
export function summarize(
  r: DeployRepoResult,
  mode: RenderMode,
  meta: { argocdVersion: string; durationMs: number; commands: { cached: boolean; offline?: boolean }[]; cacheHits: number; cacheMisses: number; out?: string },
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
    ...(meta.out ? { out: meta.out } : {}),
  };
}
