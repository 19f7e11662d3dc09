/**
 * Parsing tool output the way the repo-server does (`kube.SplitYAML` + unstructured): one object per document,
 * `kind: List` flattened in place, empty and null documents dropped. YAML is read with YAML 1.1 scalars (as
 * go-yaml does: `yes`/`on` are booleans) but timestamps and sexagesimal numbers stay strings, as they do in JSON.
 */
import { createRequire } from 'node:module';
import type { Tags } from 'yaml';

// `yaml` is loaded on first use: a fully cached render reads parsed JSON and serialised YAML from the cache and
// never needs it, which saves its load time on every warm run.
let yamlLib: typeof import('yaml') | undefined;
function Y(): typeof import('yaml') {
  yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlLib;
}

import { RenderError } from './errors.js';
import type { K8sObject } from './types.js';

const filtered = new WeakMap<Tags, Tags>();
const customTags = (tags: Tags): Tags => {
  let out = filtered.get(tags);
  if (!out) {
    out = tags.filter((t) => {
      const tag = t as { tag?: string; format?: string };
      return tag.tag !== 'tag:yaml.org,2002:timestamp' && tag.format !== 'TIME';
    });
    filtered.set(tags, out);
  }
  return out;
};

/** Parse options matching Kubernetes' YAML reader. */
export const YAML_OPTIONS = { version: '1.1', schema: 'yaml-1.1', customTags, merge: true, uniqueKeys: false } as const;

/** Splits a multi-document YAML stream into objects; `where` names the producer for error messages. */
export function splitYaml(text: string, where: string): K8sObject[] {
  const lineCounter = new (Y().LineCounter)();
  const docs = Y().parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter, prettyErrors: true });
  const out: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0];
      throw new RenderError(
        'E_YAML',
        `failed to unmarshal manifest from ${where}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}`,
      );
    }
    const value = doc.toJS({ maxAliasCount: 10_000 }) as unknown;
    pushObject(out, value, where);
  }
  return out;
}

function pushObject(out: K8sObject[], value: unknown, where: string): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RenderError('E_YAML', `failed to unmarshal manifest from ${where}: a document is not an object`);
  }
  const obj = value as K8sObject;
  if (Object.keys(obj).length === 0) return;
  // unstructured.IsList(): any object whose `items` is an array is a list; `items: null` without spec/status is
  // Argo's "null list" and yields nothing.
  const items = obj['items'];
  if (Array.isArray(items)) {
    for (const item of items) pushObject(out, item, where);
    return;
  }
  if ('items' in obj && items === null && !('spec' in obj) && !('status' in obj)) return;
  out.push(obj);
}

/**
 * The first YAML syntax problem of a (multi-document) file as `file:line:col: invalid YAML: <why>`, or undefined when
 * it parses. Used to point at the position when a tool fails on, or we refuse, a user's file.
 */
export function yamlProblem(text: string, file: string): string | undefined {
  const lineCounter = new (Y().LineCounter)();
  for (const doc of Y().parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter, prettyErrors: true })) {
    const e = doc.errors[0];
    if (!e) continue;
    const pos = e.linePos?.[0];
    const why = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${why}`;
  }
  return undefined;
}

/** Reads one YAML file that a user wrote (deploy.yaml, values) and points at file:line on errors. */
export function parseUserYaml(text: string, file: string): unknown {
  const lineCounter = new (Y().LineCounter)();
  const doc = Y().parseDocument(text, { ...YAML_OPTIONS, lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new RenderError(
      'E_YAML',
      `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`,
      'Fix the YAML syntax at that position (indentation, a missing `:` or an unclosed quote are the usual causes).',
    );
  }
  return doc.toJS({ maxAliasCount: 10_000 });
}

/** Recursively sorts object keys (Go's JSON encoder order), so output is byte-for-byte deterministic. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

/** One object as YAML with sorted keys. */
export function toYaml(obj: unknown): string {
  // YAML 1.1 rules, as Kubernetes reads manifests (sigs.k8s.io/yaml): strings such as "yes", "on", "no" or
  // "2024-01-01" must be quoted, or kubectl would read them back as booleans or timestamps.
  return Y().stringify(sortKeys(obj), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

/** The API group of an object (`''` for the core group). */
export function groupOf(obj: K8sObject): string {
  const av = obj.apiVersion ?? '';
  const i = av.indexOf('/');
  return i < 0 ? '' : av.slice(0, i);
}

/** `group/kind/namespace/name`, the controller's resource key. */
export function resourceKey(obj: K8sObject): string {
  return `${groupOf(obj)}/${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}
