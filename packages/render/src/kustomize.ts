/**
 * Kustomize sources (`util/kustomize/kustomize.go`): `spec.kustomize` edits applied with `kustomize edit` in Argo's
 * order on a private copy of the repository, then `kustomize build <app path> [buildOptions]` from the repository
 * root. Unchanged inputs are served from the cache: the key covers the app folder and every local path its
 * kustomizations reference.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, delimiter, join, relative, resolve } from 'node:path';
import { sha256 } from './cache.js';
import { envsubst } from './envsubst.js';
import { RenderError } from './errors.js';
import { normalizeKubeVersion } from './helm.js';
import { parseUserYaml, toYaml } from './manifests.js';
import { isInside } from './paths.js';
import type { Session } from './session.js';
import type { ToolSet } from './tools.js';
import type { KustomizeSource } from './types.js';

/** Kustomization file names in kustomize's lookup order. */
export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** One kustomize build request. */
export interface KustomizeRequest {
  repoRoot: string;
  appPath: string;
  kustomize?: KustomizeSource | null;
  env: Record<string, string>;
  /** argocd-cm kustomize.buildOptions. */
  buildOptions: string;
  kubeVersion: string;
  apiVersions: string[];
}

/** One step of the edit phase: a `kustomize edit` command or the patches rewrite. */
export type KustomizeEdit = { kind: 'edit'; args: string[] } | { kind: 'patches'; patches: unknown[] };

function mapToEditAddArgs(m: Record<string, string>): string[] {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}:${m[k]}`);
}

/** The edits Argo runs for `spec.kustomize`, in its order (components are filtered when run). */
export function buildKustomizeEdits(
  k: KustomizeSource | null | undefined,
  env: Record<string, string>,
): KustomizeEdit[] {
  if (!k) return [];
  const edits: KustomizeEdit[] = [];
  const edit = (...args: string[]) => edits.push({ kind: 'edit', args: ['edit', ...args] });
  if (k.namePrefix) edit('set', 'nameprefix', '--', k.namePrefix);
  if (k.nameSuffix) edit('set', 'namesuffix', '--', k.nameSuffix);
  if (k.images && k.images.length > 0) edit('set', 'image', ...k.images.map((i) => envsubst(String(i), env)));
  if (k.replicas && k.replicas.length > 0) {
    edit(
      'set',
      'replicas',
      ...k.replicas.map((r) => {
        const n = typeof r.count === 'number' ? r.count : Number.parseInt(String(r.count), 10);
        if (!Number.isInteger(n))
          throw new RenderError('E_KUSTOMIZE', `replicas ${r.name}: count '${r.count}' is not an integer`);
        return `${r.name}=${n}`;
      }),
    );
  }
  if (k.commonLabels && Object.keys(k.commonLabels).length > 0) {
    const labels: Record<string, string> = {};
    for (const [n, v] of Object.entries(k.commonLabels)) labels[n] = envsubst(String(v), env);
    const flags = [
      ...(k.forceCommonLabels ? ['--force'] : []),
      ...(k.labelWithoutSelector ? ['--without-selector'] : []),
      ...(k.labelIncludeTemplates ? ['--include-templates'] : []),
    ];
    edit('add', 'label', ...flags, ...mapToEditAddArgs(labels));
  }
  if (k.commonAnnotations && Object.keys(k.commonAnnotations).length > 0) {
    const annotations: Record<string, string> = {};
    for (const [n, v] of Object.entries(k.commonAnnotations)) {
      annotations[n] = k.commonAnnotationsEnvsubst ? envsubst(String(v), env) : String(v);
    }
    edit('add', 'annotation', ...(k.forceCommonAnnotations ? ['--force'] : []), ...mapToEditAddArgs(annotations));
  }
  if (k.namespace) edit('set', 'namespace', '--', k.namespace);
  if (k.patches && k.patches.length > 0) edits.push({ kind: 'patches', patches: k.patches });
  if (k.components && k.components.length > 0) edit('add', 'component', ...k.components);
  return edits;
}

/** `kustomize build` arguments (buildOptions after the path; helm flags for --enable-helm on kustomize >= 5.3). */
export function buildKustomizeBuildArgs(req: KustomizeRequest, appPath: string, kustomizeVersion: string): string[] {
  const args = ['build', appPath, ...req.buildOptions.split(/\s+/).filter(Boolean)];
  const [maj = 0, min = 0] = kustomizeVersion.split('.').map(Number);
  if (req.buildOptions.includes('--enable-helm') && (maj > 5 || (maj === 5 && min >= 3))) {
    const kv = normalizeKubeVersion(req.kustomize?.kubeVersion || req.kubeVersion);
    if (kv) args.push('--helm-kube-version', kv);
    const apis = req.kustomize?.apiVersions?.length ? req.kustomize.apiVersions : req.apiVersions;
    for (const a of apis) args.push('--helm-api-versions', a);
  }
  return args;
}

/** The kustomization file in `dir`, in kustomize's order. */
export function findKustomization(dir: string): string | undefined {
  return KUSTOMIZATION_NAMES.find((n) => existsSync(join(dir, n)));
}

/**
 * Hash of everything a kustomize build can read: the app folder plus every local path (file or folder) named
 * by a string in any kustomization found there, recursively. Undefined when a remote base is referenced.
 */
export function kustomizeInputHash(session: Session, repoRoot: string, appPath: string): string | undefined {
  const seen = new Set<string>();
  const parts: string[] = [];
  let remote = false;
  const visitDir = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    parts.push(`${relative(repoRoot, dir)}\0${session.hasher.tree(dir)}`);
    const visitPath = (root: string, from: string, ref: string): void => {
      const p = resolve(from, ref.split('?')[0]!);
      if (isInside(root, p)) return;
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) return;
      if (st.isDirectory()) visitDir(p);
      else if (!seen.has(p)) {
        seen.add(p);
        parts.push(`${relative(repoRoot, p)}\0${session.hasher.file(p)}`);
      }
    };
    const scan = (d: string, depth: number): void => {
      if (depth > 20) return;
      const k = findKustomization(d);
      if (k) {
        let doc: unknown;
        try {
          doc = session.readYaml(join(d, k));
        } catch {
          return; // kustomize reports it
        }
        for (const s of strings(doc)) {
          if (/^(https?:\/\/|git@|ssh:\/\/|github\.com\/|oci:\/\/)/.test(s)) {
            remote = true;
            continue;
          }
          if (s.includes('\n') || s.length > 512) continue;
          // `key=path` (configMapGenerator/secretGenerator files) names a file after the `=`.
          for (const candidate of s.includes('=') ? [s, s.slice(s.indexOf('=') + 1)] : [s])
            visitPath(dir, d, candidate);
        }
      }
      for (const name of safeReaddir(d)) {
        if (name === '.git' || name === 'node_modules') continue;
        const p = join(d, name);
        if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) scan(p, depth + 1);
      }
    };
    scan(dir, 0);
  };
  visitDir(appPath);
  return remote ? undefined : sha256(parts.sort().join('\n'));
}

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d).sort();
  } catch {
    return [];
  }
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** Runs the edits and the build; returns kustomize's stdout. */
export async function kustomizeBuild(
  ctx: { session: Session; tools: ToolSet },
  req: KustomizeRequest,
): Promise<{ stdout: string; key?: string }> {
  const edits = buildKustomizeEdits(req.kustomize, req.env);
  const bin = ctx.tools.kustomize.path;
  const relApp = relative(req.repoRoot, req.appPath);
  const helmEnabled = req.buildOptions.includes('--enable-helm');
  const inputHash = helmEnabled ? undefined : kustomizeInputHash(ctx.session, req.repoRoot, req.appPath);
  const key = inputHash
    ? sha256(
        JSON.stringify({
          tool: ctx.tools.kustomize.identity,
          app: relApp,
          edits,
          ignoreMissing: req.kustomize?.ignoreMissingComponents ?? false,
          buildArgs: buildKustomizeBuildArgs(req, '<app>', ctx.tools.kustomize.version),
          inputs: inputHash,
        }),
      )
    : undefined;
  if (key && ctx.session.cache) {
    const hit = ctx.session.cache.get(key);
    if (hit !== undefined) {
      ctx.session.commands.push({
        bin,
        args: buildKustomizeBuildArgs(req, req.appPath, ctx.tools.kustomize.version),
        cwd: req.repoRoot,
        env: {},
        display: `kustomize build ${req.appPath}`,
        cached: true,
        exitCode: 0,
        durationMs: 0,
        ...(ctx.session.options.recordOutputs ? { stdout: hit } : {}),
      });
      return { stdout: hit, key };
    }
  }
  let root = req.repoRoot;
  let appPath = req.appPath;
  if (edits.length > 0) {
    // Edits rewrite kustomization files: work on a private copy of the whole repository (bases may be `../`).
    root = join(ctx.session.tempDir('kustomize'), basename(req.repoRoot));
    cpSync(req.repoRoot, root, {
      recursive: true,
      filter: (src) => !['.git', 'node_modules'].includes(basename(src)),
    });
    appPath = join(root, relApp);
    for (const e of edits) {
      if (e.kind === 'patches') {
        applyPatches(appPath, e.patches);
        continue;
      }
      let args = e.args;
      if (args[1] === 'add' && args[2] === 'component' && req.kustomize?.ignoreMissingComponents) {
        const found = args
          .slice(3)
          .filter((c) => isInside(root, resolve(appPath, c)) && existsSync(resolve(appPath, c)));
        if (found.length === 0) continue;
        args = [...args.slice(0, 3), ...found];
      }
      await ctx.session.run({ bin, args, cwd: appPath, env: req.env });
    }
  }
  // With --enable-helm, kustomize runs `helm` from PATH: give it the emulated release's helm (also when that binary
  // is named helm3), through a private folder put first on PATH.
  const env = helmEnabled ? { ...req.env, PATH: `${helmShim(ctx)}${delimiter}${process.env['PATH'] ?? ''}` } : req.env;
  const r = await ctx.session.run({
    bin,
    args: buildKustomizeBuildArgs(req, appPath, ctx.tools.kustomize.version),
    cwd: root,
    env,
  });
  if (key && ctx.session.cache) ctx.session.cache.set(key, r.stdout);
  return { stdout: r.stdout, ...(key ? { key } : {}) };
}

/** A session folder holding `helm` -> the emulated release's helm binary. */
function helmShim(ctx: { session: Session; tools: ToolSet }): string {
  return ctx.session.once('helm-shim', () => {
    const dir = ctx.session.tempDir('helm-bin');
    symlinkSync(ctx.tools.helm.path, join(dir, 'helm'));
    return dir;
  });
}

/** Appends `patches` to the kustomization's `patches:` list and rewrites it with sorted keys, as Argo does. */
export function applyPatches(appPath: string, patches: unknown[]): void {
  const name = findKustomization(appPath);
  if (!name) throw new RenderError('E_KUSTOMIZE', 'kustomization file not found in the path');
  const file = join(appPath, name);
  const doc = parseUserYaml(readFileSync(file, 'utf8'), file);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new RenderError(
      'E_KUSTOMIZE',
      `expected kustomization.yaml to be type map[string]any, but got ${typeof doc}`,
    );
  }
  const k = doc as Record<string, unknown>;
  const existing = k['patches'];
  if (existing !== undefined && !Array.isArray(existing)) {
    throw new RenderError('E_KUSTOMIZE', "expected 'patches' field in kustomization.yaml to be []any");
  }
  k['patches'] = [...((existing as unknown[]) ?? []), ...patches];
  writeFileSync(file, toYaml(k));
}
