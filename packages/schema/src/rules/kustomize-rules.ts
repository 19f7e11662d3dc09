/** kustomization.yaml files: every listed path exists, every manifest in the directory is listed. */
import path from 'node:path';
import { get, isObj, str } from '../model.js';
import type { JsonPath, YamlSource } from '../source.js';
import { didYouMean } from '../suggest.js';
import { defineRule, type Rule, type RuleContext } from './api.js';

interface Ref {
  ref: string;
  path: JsonPath;
}

const isRemote = (r: string) =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(r) ||
  /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(r) ||
  r.includes('?ref=') ||
  r.startsWith('git@');

/** Local paths a kustomization references (resources, components, patches, generators' files). */
export function kustomizationRefs(k: Record<string, unknown>): Ref[] {
  const out: Ref[] = [];
  const list = (key: string) => {
    const v = k[key];
    if (!Array.isArray(v)) return;
    v.forEach((r, i) => {
      if (typeof r === 'string') out.push({ ref: r, path: [key, i] });
    });
  };
  list('resources');
  list('components');
  list('bases');
  list('patchesStrategicMerge');
  list('crds');
  for (const key of ['patches', 'patchesJson6902']) {
    const v = k[key];
    if (!Array.isArray(v)) continue;
    v.forEach((p, i) => {
      if (isObj(p) && typeof p.path === 'string') out.push({ ref: p.path, path: [key, i, 'path'] });
    });
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    const v = k[key];
    if (!Array.isArray(v)) continue;
    v.forEach((g, i) => {
      for (const f of ['files', 'envs']) {
        const files = get(g, [f]);
        if (Array.isArray(files)) {
          files.forEach((x, j) => {
            if (typeof x !== 'string') return;
            const file = x.includes('=') ? x.slice(x.indexOf('=') + 1) : x;
            out.push({ ref: file, path: [key, i, f, j] });
          });
        }
      }
      const env = str(get(g, ['env']));
      if (env) out.push({ ref: env, path: [key, i, 'env'] });
    });
  }
  return out.filter((r) => !isRemote(r.ref));
}

function kustomizations(ctx: RuleContext): Array<{ source: YamlSource; dir: string; k: Record<string, unknown> }> {
  const out: Array<{ source: YamlSource; dir: string; k: Record<string, unknown> }> = [];
  for (const c of ctx.clusters) {
    for (const s of c.sources) {
      if (!/(^|\/)kustomization\.ya?ml$/.test(s.file)) continue;
      const k = s.docs[0]?.value;
      if (isObj(k)) out.push({ source: s, dir: path.posix.dirname(s.file), k });
    }
  }
  return out;
}

export const missingResource = defineRule({
  id: 'kustomize/missing-resource',
  severity: 'error',
  title: 'kustomization references a file that does not exist',
  docs: 'A `resources`, `components`, `patches[].path` or generator file entry that does not exist fails `kustomize build`, so Argo CD cannot render the Application at all (`accumulating resources: ... no such file or directory`). A path that leaves the repository is reported too: Argo CD renders inside the repo only.',
  check(ctx) {
    for (const { source, dir, k } of kustomizations(ctx)) {
      const siblings = [...ctx.repo.files]
        .filter((f) => path.posix.dirname(f) === dir)
        .map((f) => path.posix.basename(f));
      for (const r of kustomizationRefs(k)) {
        const target = path.posix.normalize(path.posix.join(dir, r.ref)).replace(/\/$/, '');
        if (target.startsWith('..') || path.posix.isAbsolute(r.ref)) {
          ctx.report(
            { source, doc: 0, path: r.path },
            `${r.ref} resolves outside the repository`,
            'Reference files inside the deploy repo only.',
          );
          continue;
        }
        if (ctx.repo.files.has(target) || ctx.repo.dirs.has(target)) continue;
        const guess = !r.ref.includes('/') ? didYouMean(r.ref, siblings) : undefined;
        ctx.report(
          { source, doc: 0, path: r.path },
          `${r.ref} does not exist (${target})${guess ? `; did you mean ${guess}?` : ''}`,
          guess ? `Rename the entry to ${guess}.` : 'Create the file or remove the entry.',
        );
      }
    }
  },
});

const NOT_MANIFESTS = /^(values.*|deploy|kustomization|Chart|\.argocd-source.*)\.ya?ml$/;

export const unlistedFile = defineRule({
  id: 'kustomize/unlisted-file',
  severity: 'error',
  title: 'Manifest in a kustomize directory that no kustomization lists',
  docs: 'Argo CD applies only what `kustomization.yaml` lists. A manifest sitting next to it but not listed, typically a freshly added ExternalSecret, is silently never applied, and the worker later fails on the missing secret. Every YAML file with `apiVersion` and `kind` in a directory with a kustomization.yaml must be referenced by some kustomization (values files are Helm inputs, not manifests, and are ignored).',
  check(ctx) {
    const all = kustomizations(ctx);
    const referenced = new Set<string>();
    for (const { dir, k } of all)
      for (const r of kustomizationRefs(k)) referenced.add(path.posix.normalize(path.posix.join(dir, r.ref)));
    for (const { dir, source: ks } of all) {
      for (const base of ctx.repo.filesByDir.get(dir) ?? []) {
        const s = ctx.repo.sources.get(dir ? `${dir}/${base}` : base);
        if (!s || s === ks || referenced.has(s.file)) continue;
        if (NOT_MANIFESTS.test(base)) continue;
        const manifest = s.docs.some(
          (d) => isObj(d.value) && typeof d.value.kind === 'string' && typeof d.value.apiVersion === 'string',
        );
        if (!manifest) continue;
        ctx.report(
          { source: ks, doc: 0, path: ['resources'], key: true },
          `${base} is in ${dir}/ but not listed in ${path.posix.basename(ks.file)}: Argo CD never applies it`,
          `Add "- ${base}" to resources (or delete the file).`,
        );
      }
    }
  },
});

export const kustomizeRules: Rule[] = [missingResource, unlistedFile];
