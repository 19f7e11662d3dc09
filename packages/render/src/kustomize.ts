/**
 * Kustomize sources (`util/kustomize/kustomize.go`): `spec.kustomize` edits applied with `kustomize edit` in Argo's
 * order on a private copy of the repository, then `kustomize build <app path> [buildOptions]` from the repository
 * root. Unchanged inputs are served from the cache: the key covers the app folder and every local path its
 * kustomizations reference.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { sha256 } from './cache.js';
import { envsubst } from './envsubst.js';
import { RenderError } from './errors.js';
import { normalizeKubeVersion, offlineChartError } from './helm.js';
import { parseUserYaml, toYaml, yamlProblem } from './manifests.js';
import { checkOutOfBoundsSymlinks, isInside } from './paths.js';
import type { ChartRepoMap } from './repos.js';
import { maxSatisfying } from './semver.js';
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
          throw new RenderError(
            'E_KUSTOMIZE',
            `spec.kustomize.replicas ${r.name}: count '${r.count}' is not an integer`,
            `Either: set count to a whole number (e.g. ${r.name}=2), or remove the entry.`,
          );
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

/** A `helmCharts` entry of a kustomization (what kustomize's helm inflation generator downloads). */
export interface KustomizeHelmChart {
  /** Folder of the kustomization declaring it. */
  dir: string;
  name: string;
  repo?: string;
  version?: string;
  /** helmGlobals.chartHome (default `charts`), relative to `dir` unless absolute. */
  chartHome: string;
}

/** Everything a kustomize build can read, found by following local paths from the app folder. */
export interface KustomizeInputs {
  /** Folders read whole (the app folder and every local base/component), absolute. */
  dirs: string[];
  /** Single files referenced from outside those folders, absolute. */
  files: string[];
  /** A remote base or resource (git/https/oci) is referenced: the build needs the network. */
  remote: string[];
  /** Kustomization files that are not valid YAML, as `file:line:col: invalid YAML: ...` (repository-relative). */
  invalid: string[];
  helmCharts: KustomizeHelmChart[];
}

/**
 * The inputs of a kustomize build: the app folder plus every local path (file or folder) named by a string in any
 * kustomization found there, recursively. A kustomization that does not parse is skipped here (the build reports it).
 */
export function kustomizeInputs(
  session: Session,
  repoRoot: string,
  appPath: string,
  extraRefs: string[] = [],
): KustomizeInputs {
  const seen = new Set<string>();
  const out: KustomizeInputs = { dirs: [], files: [], remote: [], helmCharts: [], invalid: [] };
  const visitPath = (root: string, from: string, ref: string): void => {
    const p = resolve(from, ref.split('?')[0]!);
    // Inside a folder already read whole, or outside the repository (kustomize, like Argo, cannot read it there).
    if (isInside(root, p) || !isInside(repoRoot, p)) return;
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) visitDir(p);
    else if (!seen.has(p)) {
      seen.add(p);
      out.files.push(p);
    }
  };
  const visitDir = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    out.dirs.push(dir);
    const scan = (d: string, depth: number): void => {
      if (depth > 20) return;
      const k = findKustomization(d);
      if (k) {
        let doc: unknown;
        try {
          doc = session.readYaml(join(d, k));
        } catch (err) {
          // kustomize reports it too, but without the position: kept for the failure's hint.
          out.invalid.push(
            yamlProblem(readFileSync(join(d, k), 'utf8'), relative(repoRoot, join(d, k))) ?? (err as Error).message,
          );
          return;
        }
        collectHelmCharts(doc, d, out.helmCharts);
        for (const s of strings(doc)) {
          if (/^(https?:\/\/|git@|ssh:\/\/|github\.com\/|oci:\/\/)/.test(s)) {
            // helmCharts repositories are handled separately (mapped charts are vendored before the build).
            if (!out.helmCharts.some((h) => h.repo === s)) out.remote.push(s);
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
  // Paths that `spec.kustomize` edits add (components, patch files) are read too.
  for (const ref of extraRefs) if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) visitPath(appPath, appPath, ref);
  return out;
}

function collectHelmCharts(doc: unknown, dir: string, out: KustomizeHelmChart[]): void {
  if (!doc || typeof doc !== 'object') return;
  const k = doc as { helmCharts?: unknown; helmGlobals?: { chartHome?: unknown } };
  if (!Array.isArray(k.helmCharts)) return;
  const chartHome = typeof k.helmGlobals?.chartHome === 'string' ? k.helmGlobals.chartHome : 'charts';
  for (const h of k.helmCharts as Record<string, unknown>[]) {
    if (!h || typeof h['name'] !== 'string') continue;
    out.push({
      dir,
      name: h['name'],
      chartHome,
      ...(typeof h['repo'] === 'string' && h['repo'] ? { repo: h['repo'] } : {}),
      ...(h['version'] !== undefined && h['version'] !== '' ? { version: String(h['version']) } : {}),
    });
  }
}

/** Hash of everything a kustomize build can read. Undefined when a remote base is referenced. */
export function kustomizeInputHash(session: Session, repoRoot: string, appPath: string): string | undefined {
  const inputs = kustomizeInputs(session, repoRoot, appPath);
  if (inputs.remote.length > 0 || inputs.helmCharts.some((h) => h.repo)) return undefined;
  const parts = [
    ...inputs.dirs.map((d) => `${relative(repoRoot, d)}\0${session.hasher.tree(d)}`),
    ...inputs.files.map((f) => `${relative(repoRoot, f)}\0${session.hasher.file(f)}`),
  ];
  return sha256(parts.sort().join('\n'));
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

/** What a kustomize build needs from the render context. */
export interface KustomizeContext {
  session: Session;
  tools: ToolSet;
  /** Chart repository mapping: charts of `helmCharts` entries are vendored from it (offline). */
  chartRepos?: ChartRepoMap;
  /** Allow kustomize to fetch remote bases and unmapped `helmCharts` itself. */
  allowNetwork?: boolean;
}

/** Copies the build inputs to the same places under `root`. */
function copyInputs(repoRoot: string, root: string, inputs: KustomizeInputs): void {
  const place = (p: string): string => join(root, relative(repoRoot, p));
  for (const d of inputs.dirs) {
    // A base outside the repository cannot be copied to the same relative place; kustomize reports it missing.
    if (!isInside(repoRoot, d)) continue;
    cpSync(d, place(d), { recursive: true, filter: (src) => !['.git', 'node_modules'].includes(basename(src)) });
  }
  for (const f of inputs.files) {
    if (!isInside(repoRoot, f)) continue;
    mkdirSync(dirname(place(f)), { recursive: true });
    cpSync(f, place(f));
  }
}

/**
 * Puts each remote `helmCharts` chart where kustomize looks before downloading (`<chartHome>/<name>-<version>/<name>`,
 * or `<chartHome>/<name>` without a version), from the chart-repository mapping. Unmapped charts are left to
 * kustomize when the network is allowed, else refused naming the chart and the flag.
 */
async function vendorHelmCharts(
  ctx: KustomizeContext,
  repoRoot: string,
  root: string,
  charts: KustomizeHelmChart[],
): Promise<void> {
  for (const h of charts) {
    if (!h.repo) continue;
    const dir = join(root, relative(repoRoot, h.dir));
    const home = resolve(dir, h.chartHome);
    const target = h.version ? join(home, `${h.name}-${h.version}`, h.name) : join(home, h.name);
    if (existsSync(join(target, 'Chart.yaml'))) continue;
    const local = ctx.chartRepos?.versions(h.repo, h.name) ?? [];
    const version =
      h.version ??
      maxSatisfying(
        local.map((c) => c.version),
        '*',
      );
    const hit = local.find((c) => c.version === version);
    if (hit) {
      mkdirSync(dirname(target), { recursive: true });
      if (hit.path.endsWith('.tgz')) {
        await new Promise<void>((ok, fail) =>
          execFile('tar', ['-xzf', hit.path, '-C', dirname(target)], (err, _o, stderr) =>
            err
              ? fail(new RenderError('E_CHART_PULL', `failed to extract ${hit.path}: ${stderr || err.message}`))
              : ok(),
          ),
        );
      } else cpSync(hit.path, target, { recursive: true, dereference: true });
      continue;
    }
    if (!ctx.allowNetwork) {
      const e = offlineChartError(h.name, h.version ?? 'latest', h.repo);
      throw new RenderError(
        e.code,
        `kustomize helmCharts in ${relative(repoRoot, join(h.dir, findKustomization(h.dir) ?? 'kustomization.yaml'))}: ${e.message}`,
        e.hint,
      );
    }
  }
}

/** Runs the edits and the build; returns kustomize's stdout. */
export async function kustomizeBuild(
  ctx: KustomizeContext,
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
  // A build that can write runs on a private copy of its inputs (the app folder, its local bases and referenced
  // files, at the same places relative to the repository root): edits rewrite kustomization files, `--enable-helm`
  // downloads charts into the kustomization's chart home and plugin/exec functions may do anything; none of that may
  // touch the user's checkout. A plain `kustomize build` only reads, so it reads the checkout directly (copying the
  // inputs of every build cost ~0.7 s of the renderer's main thread on the 50-site benchmark).
  const extraRefs = [...(req.kustomize?.components ?? []), ...strings(req.kustomize?.patches ?? [])].filter(
    (r) => typeof r === 'string' && !r.includes('\n') && r.length <= 512,
  );
  const inputs = kustomizeInputs(ctx.session, req.repoRoot, req.appPath, extraRefs);
  // Argo refuses out-of-bounds symlinks anywhere in the repository; the app folder is checked before rendering, the
  // bases and components a kustomization reads from elsewhere in the repository are checked here.
  for (const d of inputs.dirs) {
    if (d === req.appPath || isInside(req.appPath, d)) continue;
    ctx.session.once(`oob\0${req.repoRoot}\0${d}`, () => checkOutOfBoundsSymlinks(req.repoRoot, d));
  }
  const writes = edits.length > 0 || helmEnabled || /--enable-(alpha-plugins|exec|star)\b/.test(req.buildOptions);
  const root = writes ? join(ctx.session.tempDir('kustomize'), basename(req.repoRoot)) : req.repoRoot;
  if (writes) copyInputs(req.repoRoot, root, inputs);
  const appPath = join(root, relApp);
  if (!ctx.allowNetwork && inputs.remote.length > 0) {
    throw new RenderError(
      'E_KUSTOMIZE_OFFLINE',
      `kustomize build ${relApp || '.'} needs the network: it references ${inputs.remote.join(', ')}`,
      'Either: vendor the remote bases into the repository (or a mapped repository) and reference them by path, or allow downloads with --allow-network.',
    );
  }
  if (helmEnabled) await vendorHelmCharts(ctx, req.repoRoot, root, inputs.helmCharts);
  for (const e of edits) {
    if (e.kind === 'patches') {
      applyPatches(appPath, e.patches);
      continue;
    }
    let args = e.args;
    if (args[1] === 'add' && args[2] === 'component' && req.kustomize?.ignoreMissingComponents) {
      const found = args.slice(3).filter((c) => isInside(root, resolve(appPath, c)) && existsSync(resolve(appPath, c)));
      if (found.length === 0) continue;
      args = [...args.slice(0, 3), ...found];
    }
    await ctx.session.run({ bin, args, cwd: appPath, env: req.env });
  }
  // With --enable-helm, kustomize runs `helm` from PATH: give it the emulated release's helm (also when that binary
  // is named helm3), through a private folder put first on PATH.
  const env = helmEnabled ? { ...req.env, PATH: `${helmShim(ctx)}${delimiter}${process.env['PATH'] ?? ''}` } : req.env;
  const r = await ctx.session
    .run({
      bin,
      args: buildKustomizeBuildArgs(req, appPath, ctx.tools.kustomize.version),
      cwd: root,
      env,
      // An unmodified copy builds exactly like the checkout: record (and show) the command Argo runs there.
      ...(writes && edits.length === 0 && !helmEnabled
        ? {
            recordAs: {
              args: buildKustomizeBuildArgs(req, req.appPath, ctx.tools.kustomize.version),
              cwd: req.repoRoot,
            },
          }
        : {}),
    })
    .catch((err: unknown) => {
      throw kustomizeFailure(err, req, root, inputs);
    });
  if (key && ctx.session.cache) ctx.session.cache.set(key, r.stdout);
  return { stdout: r.stdout, ...(key ? { key } : {}) };
}

/**
 * A failed `kustomize build`: paths of the private copy shown as the checkout's, and a hint that points at the first
 * input file that is not valid YAML (`file:line:col`; kustomize names the file at best), else at how to reproduce.
 */
function kustomizeFailure(err: unknown, req: KustomizeRequest, root: string, inputs: KustomizeInputs): RenderError {
  const e = err instanceof RenderError ? err : new RenderError('E_TOOL_FAILED', String(err));
  const message = e.message.split(root).join(req.repoRoot);
  const relApp = relative(req.repoRoot, req.appPath) || '.';
  const problems = [...inputs.invalid];
  if (problems.length === 0) {
    const files = [...inputs.files];
    const walk = (d: string, depth: number): void => {
      if (depth > 10 || files.length > 2000) return;
      for (const name of safeReaddir(d)) {
        if (name === '.git' || name === 'node_modules' || name === 'charts') continue;
        const p = join(d, name);
        const st = statSync(p, { throwIfNoEntry: false });
        if (st?.isDirectory()) walk(p, depth + 1);
        else if (st && /\.ya?ml$/.test(name)) files.push(p);
      }
    };
    for (const d of inputs.dirs) walk(d, 0);
    for (const f of files) {
      const problem = yamlProblem(readFileSync(f, 'utf8'), relative(req.repoRoot, f));
      if (problem) problems.push(problem);
      if (problems.length >= 3) break;
    }
  }
  const hint =
    problems.length > 0
      ? `${problems.join('\n')}\nEither: fix the YAML at that position, or remove the file from the kustomization's resources.`
      : `Either: fix the kustomization or resource kustomize names above (reproduce with \`kustomize build ${relApp}\` from the repository root), or, for a remote base or chart, allow downloads with --allow-network.`;
  return new RenderError('E_KUSTOMIZE', message, hint, { cause: err });
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
  if (!name) {
    throw new RenderError(
      'E_KUSTOMIZE',
      'kustomization file not found in the path',
      `Either: add a kustomization.yaml to ${appPath.split('/').slice(-2).join('/')}, or remove spec.kustomize.patches (they need a kustomization to patch).`,
    );
  }
  const file = join(appPath, name);
  const doc = parseUserYaml(readFileSync(file, 'utf8'), file);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new RenderError(
      'E_KUSTOMIZE',
      `expected kustomization.yaml to be type map[string]any, but got ${typeof doc}`,
      `Either: make ${name} a mapping (resources:, patches:, ...), or remove spec.kustomize.patches.`,
    );
  }
  const k = doc as Record<string, unknown>;
  const existing = k['patches'];
  if (existing !== undefined && !Array.isArray(existing)) {
    throw new RenderError(
      'E_KUSTOMIZE',
      "expected 'patches' field in kustomization.yaml to be []any",
      `Either: write patches: in ${name} as a list (- path: ... / - patch: ...), or remove spec.kustomize.patches.`,
    );
  }
  k['patches'] = [...((existing as unknown[]) ?? []), ...patches];
  writeFileSync(file, toYaml(k));
}
