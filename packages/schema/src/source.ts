/**
 * YAML sources with positions. Every finding points at `file:line:col`, computed from the `yaml` package's node ranges,
 * so a rule only has to name the JSON path of the offending value.
 */
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';

import type { JsonPath } from './json-path.js';

export { formatPath, type JsonPath, pointerToPath } from './json-path.js';

/** Resource-exhaustion guard: more alias expansions than this in one document is an "alias bomb". */
export const MAX_ALIAS_COUNT = 100;

export interface Position {
  line: number;
  column: number;
}

export interface YamlDoc {
  /** 0-based index of the document in its file (`---` separated). */
  index: number;
  /** The parsed document (AST) for position lookups. */
  doc: Document.Parsed;
  /** Plain JS value, or undefined when the document could not be converted (see the file's problems). */
  value: unknown;
}

export interface SourceProblem {
  code: 'yaml-syntax' | 'duplicate-key' | 'alias-bomb' | 'yaml-warning';
  message: string;
  position: Position;
  /** JSON path of the innermost node at the problem's offset, when the document got that far. */
  path?: Array<string | number>;
  /** 0-based index of the document the problem is in. */
  document: number;
}

/** JSON path of the innermost map key or value whose source range contains `offset`. */
export function pathAtOffset(doc: Document, offset: number): Array<string | number> {
  const out: Array<string | number> = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 100 && node; depth++) {
    let next: unknown;
    if (isMap(node)) {
      for (const item of node.items) {
        const k = item.key as Node | null;
        const v = item.value as Node | null;
        const key = isScalar(k) ? String(k.value) : '?';
        if (k?.range && offset >= k.range[0] && offset < k.range[1]) {
          out.push(key);
          return out;
        }
        if (v?.range && offset >= v.range[0] && offset < v.range[2]) {
          out.push(key);
          next = v;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const r = (item as Node | null)?.range;
        if (!next && r && offset >= r[0] && offset < r[2]) {
          out.push(i);
          next = item;
        }
      });
    }
    node = next;
  }
  return out;
}

export interface YamlSource {
  /** Repository-relative POSIX path. */
  file: string;
  text: string;
  docs: YamlDoc[];
  problems: SourceProblem[];
  lineCounter: LineCounter;
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const problems: SourceProblem[] = [];
  const parsed = parseAllDocuments(text, {
    lineCounter,
    uniqueKeys: true,
    // Kubernetes and Helm read YAML with YAML 1.1 rules (go-yaml): `0400` is octal 256, `yes` is true. Match them.
    version: '1.1',
    prettyErrors: false,
    strict: true,
  });
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const docs: YamlDoc[] = [];
  list.forEach((doc, index) => {
    let broken = false;
    for (const err of doc.errors) {
      broken = true;
      const pos = lineCounter.linePos(err.pos[0]);
      const dup = err.code === 'DUPLICATE_KEY';
      const keyText = dup ? (/^[^:\n]*/.exec(text.slice(err.pos[0], err.pos[0] + 200))?.[0] ?? '').trim() : '';
      problems.push({
        path: pathAtOffset(doc, err.pos[0]),
        document: index,
        code: dup ? 'duplicate-key' : 'yaml-syntax',
        message: dup
          ? `duplicate key ${JSON.stringify(keyText.replace(/^["']|["']$/g, ''))}: Kubernetes and Helm silently keep only one of the two`
          : err.message.split('\n')[0]!,
        position: { line: pos.line, column: pos.col },
      });
    }
    let value: unknown;
    if (!broken) {
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (cause) {
        const msg = (cause as Error).message;
        const pos = lineCounter.linePos(doc.range[0]);
        problems.push({
          document: index,
          code: /excessive alias/i.test(msg) ? 'alias-bomb' : 'yaml-syntax',
          message: /excessive alias/i.test(msg)
            ? `more than ${MAX_ALIAS_COUNT} alias expansions in one document (a YAML "billion laughs" resource-exhaustion pattern)`
            : msg,
          position: { line: pos.line, column: pos.col },
        });
        value = undefined;
      }
    }
    docs.push({ index, doc, value });
  });
  return { file, text, docs, problems, lineCounter };
}

function findChild(node: unknown, seg: string | number): { node: unknown; keyNode?: unknown } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k = isScalar(item.key) ? item.key.value : item.key;
      if (k !== null && k !== undefined && String(k) === String(seg)) return { node: item.value, keyNode: item.key };
    }
    return undefined;
  }
  if (isSeq(node) && typeof seg === 'number') {
    const child = node.items[seg];
    return child === undefined ? undefined : { node: child };
  }
  return undefined;
}

/**
 * Position of the node at `path` in document `doc`; `key: true` points at the mapping key instead of the value. Falls
 * back to the deepest existing ancestor when part of the path is absent (e.g. a missing required property).
 */
export function locate(source: YamlSource, docIndex: number, path: JsonPath, opts: { key?: boolean } = {}): Position {
  const yd = source.docs[docIndex];
  if (!yd) return { line: 1, column: 1 };
  let node: unknown = yd.doc.contents;
  let best: unknown = node;
  for (let i = 0; i < path.length; i++) {
    const child = findChild(node, path[i]!);
    if (!child) break;
    const last = i === path.length - 1;
    best = last && opts.key && child.keyNode ? child.keyNode : (child.node ?? child.keyNode);
    node = child.node;
  }
  const range = (best as Node | null)?.range ?? yd.doc.range;
  const pos = source.lineCounter.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

/** The raw source text of the scalar at `path` (e.g. `0400` vs `256`), if it is a scalar. */
export function rawScalar(source: YamlSource, docIndex: number, path: JsonPath): string | undefined {
  const yd = source.docs[docIndex];
  if (!yd) return undefined;
  let node: unknown = yd.doc.contents;
  for (const seg of path) {
    const child = findChild(node, seg);
    if (!child) return undefined;
    node = child.node;
  }
  if (!isScalar(node) || !node.range) return undefined;
  return source.text.slice(node.range[0], node.range[1]).trim();
}
