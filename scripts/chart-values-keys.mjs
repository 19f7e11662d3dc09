#!/usr/bin/env node
/**
 * Usage: node ../../scripts/chart-values-keys.mjs [chart-dir]   (default: the current directory, a chart folder)
 *
 * Checks that values.yaml, values.schema.json and the templates agree on every key:
 *   1. every values.yaml key has a comment (on the line before it or at the end of its line);
 *   2. every values.yaml key is declared in values.schema.json, and every schema property of an object that
 *      values.yaml spells out is present in values.yaml (so each default is documented where operators read);
 *   3. every `.Values.<path>` a template references is declared in the schema.
 * Exits 1 listing each disagreement as `<file>:<line> <path>: <problem>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { documented as documentedIn, schemaAt as schemaAtIn } from './values-keys-lib.mjs';

const dir = path.resolve(process.argv[2] ?? '.');
const problems = [];
const valuesText = readFileSync(path.join(dir, 'values.yaml'), 'utf8');
const lines = valuesText.split('\n');
const lc = new LineCounter();
const doc = parseDocument(valuesText, { lineCounter: lc });
const schema = JSON.parse(readFileSync(path.join(dir, 'values.schema.json'), 'utf8'));

const schemaAt = (keys) => schemaAtIn(schema, keys);
const documented = (line) => documentedIn(lines, line);

function walk(map, keys) {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const p = [...keys, key];
    const line = lc.linePos(pair.key.range[0]).line;
    const s = schemaAt(p);
    if (!documented(line)) problems.push(`values.yaml:${line} ${p.join('.')}: no comment says what it does`);
    if (s === undefined) problems.push(`values.yaml:${line} ${p.join('.')}: not declared in values.schema.json`);
    if (s?.open) continue;
    if (isMap(pair.value)) {
      walk(pair.value, p);
      const present = new Set(pair.value.items.map((i) => String(isScalar(i.key) ? i.key.value : i.key)));
      for (const k of Object.keys(s?.properties ?? {})) {
        if (!present.has(k))
          problems.push(`values.yaml:${line} ${[...p, k].join('.')}: in the schema but not in values.yaml`);
      }
    }
  }
}
walk(doc.contents, []);
for (const k of Object.keys(schema.properties)) {
  if (k !== 'global' && !doc.contents.items.some((i) => String(i.key.value) === k)) {
    problems.push(`values.yaml ${k}: in the schema but not in values.yaml`);
  }
}

const tdir = path.join(dir, 'templates');
for (const f of readdirSync(tdir)) {
  const text = readFileSync(path.join(tdir, f), 'utf8');
  for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][\w]*)+)/g)) {
    const p = m[1].slice(1).split('.');
    if (schemaAt(p) === undefined) {
      const line = text.slice(0, m.index).split('\n').length;
      problems.push(`templates/${f}:${line} .Values.${p.join('.')}: not declared in values.schema.json`);
    }
  }
}

if (problems.length) {
  console.error(
    `values keys: ${problems.length} disagreement(s) in ${path.basename(dir)}:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.error(`values keys: ${path.basename(dir)}: values.yaml, values.schema.json and templates agree`);
