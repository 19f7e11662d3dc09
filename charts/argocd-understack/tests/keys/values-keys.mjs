#!/usr/bin/env node
/**
 * Usage: node tests/keys/values-keys.mjs   (run by `pnpm test`)
 *
 * Checks that values.yaml, the schema and the templates of the app-of-apps chart agree on every key:
 *   1. every values.yaml key has a comment (on the line before it or at the end of its line) and is declared in the
 *      schema (packages/schema/schemas/deploy.schema.json, the strict source of values.schema.json);
 *   2. every top-level schema key is in values.yaml;
 *   3. every component an Application template renders (`argocd-understack.component` with its scopes) is in
 *      values.yaml under each of those scopes, with every key the schema accepts for it; and values.yaml lists no
 *      component that no template renders (it would look like it deploys something); NOTES.txt's `$provided`
 *      list (components with an Application) names exactly those;
 *   4. every `.Values.<path>` the templates read is declared in the schema, and every component key they read
 *      (`$c.<key>`, `.c.<key>`) is a schema key of some rendered component.
 * Exits 1 listing each disagreement as `<file>:<line> <path>: <problem>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { documented as documentedIn, schemaAt as schemaAtIn } from '../../../../scripts/values-keys-lib.mjs';

const chart = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const schema = JSON.parse(
  readFileSync(path.join(chart, '..', '..', 'packages', 'schema', 'schemas', 'deploy.schema.json'), 'utf8'),
);
const valuesText = readFileSync(path.join(chart, 'values.yaml'), 'utf8');
const lines = valuesText.split('\n');
const lc = new LineCounter();
const doc = parseDocument(valuesText, { lineCounter: lc });
const problems = [];

const schemaAt = (keys) => schemaAtIn(schema, keys);
const documented = (line) => documentedIn(lines, line);

const keyOf = (pair) => String(isScalar(pair.key) ? pair.key.value : pair.key);
const lineOf = (pair) => lc.linePos(pair.key.range[0]).line;
const mapAt = (keys) => keys.reduce((m, k) => (isMap(m) ? m.get(k, true) : undefined), doc.contents);

// 1. Comments and declaration.
function walk(map, keys) {
  for (const pair of map.items) {
    const p = [...keys, keyOf(pair)];
    const line = lineOf(pair);
    if (!documented(line)) problems.push(`values.yaml:${line} ${p.join('.')}: no comment says what it does`);
    const s = schemaAt(p);
    if (s === undefined) problems.push(`values.yaml:${line} ${p.join('.')}: not declared in deploy.schema.json`);
    if (isMap(pair.value) && !s?.open) walk(pair.value, p);
  }
}
walk(doc.contents, []);

// 2. Top-level keys.
for (const k of Object.keys(schema.properties)) {
  if (!doc.contents.has(k)) problems.push(`values.yaml ${k}: in deploy.schema.json but not in values.yaml`);
}

// 3. Rendered components, per scope.
const tdir = path.join(chart, 'templates');
const templates = readdirSync(tdir).map((f) => ({ f, text: readFileSync(path.join(tdir, f), 'utf8') }));
const rendered = new Map(); // "scope.component" -> template
for (const { f, text } of templates) {
  for (const m of text.matchAll(/include "argocd-understack\.component" \(list \. "(\w+)"((?: "\w+")+)\)/g)) {
    for (const scope of m[2]
      .trim()
      .split(/\s+/)
      .map((s) => s.slice(1, -1)))
      rendered.set(`${scope}.${m[1]}`, f);
  }
}
if (rendered.size === 0) problems.push('templates: no argocd-understack.component call found (did the helper move?)');
for (const [id, f] of rendered) {
  const [scope, component] = id.split('.');
  const props = Object.keys(schemaAt([scope, component])?.properties ?? {});
  if (props.length === 0) problems.push(`templates/${f}: ${id} is rendered but the schema does not accept it`);
  const block = mapAt([scope, component]);
  if (!isMap(block)) {
    problems.push(`values.yaml ${id}: rendered by templates/${f} but missing from values.yaml`);
    continue;
  }
  for (const k of props) {
    if (!block.has(k)) problems.push(`values.yaml ${id}.${k}: accepted by the schema but not listed in values.yaml`);
  }
}
for (const scope of ['global', 'site']) {
  for (const pair of mapAt([scope])?.items ?? []) {
    const k = keyOf(pair);
    if (k !== 'enabled' && !rendered.has(`${scope}.${k}`))
      problems.push(`values.yaml:${lineOf(pair)} ${scope}.${k}: no template renders it (remove it from values.yaml)`);
  }
}

// 3b. NOTES.txt names the components that have an Application (the rest get a WARNING); Go templates cannot list the
// chart's templates, so its `$provided` list is checked against the component calls of the templates instead.
const notes = templates.find((t) => t.f === 'NOTES.txt')?.text ?? '';
for (const scope of ['global', 'site']) {
  const m = new RegExp(`"${scope}" \\(list((?: "\\w+")*)\\)`).exec(notes);
  const listed = (m?.[1].trim().split(/\s+/) ?? [])
    .map((s) => s.slice(1, -1))
    .filter(Boolean)
    .sort();
  const want = [...rendered.keys()]
    .filter((id) => id.startsWith(`${scope}.`))
    .map((id) => id.slice(scope.length + 1))
    .sort();
  if (JSON.stringify(listed) !== JSON.stringify(want))
    problems.push(
      `templates/NOTES.txt $provided.${scope}: lists [${listed.join(', ')}], the templates render [${want.join(', ')}]: update the list`,
    );
}

// 4. What the templates read.
const componentKeys = new Set(
  [...rendered.keys()].flatMap((id) => Object.keys(schemaAt(id.split('.'))?.properties ?? {})),
);
for (const { f, text } of templates) {
  const lineAt = (i) => text.slice(0, i).split('\n').length;
  for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_]\w*)+)/g)) {
    const p = m[1].slice(1).split('.');
    if (schemaAt(p) === undefined)
      problems.push(`templates/${f}:${lineAt(m.index)} .Values.${p.join('.')}: not declared in deploy.schema.json`);
  }
  for (const m of text.matchAll(/(?:\$c|[^\w$]\.c)\.([A-Za-z_]\w*)/g)) {
    if (m[1] !== '_enabled' && !componentKeys.has(m[1]))
      problems.push(`templates/${f}:${lineAt(m.index)} component key ${m[1]}: no rendered component accepts it`);
  }
}

if (problems.length) {
  console.error(`values-keys: ${problems.length} disagreement(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.error(
  `values-keys: values.yaml, deploy.schema.json and templates/ agree (${rendered.size} rendered scope.component pairs)`,
);
