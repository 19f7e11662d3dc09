/**
 * Annotation conventions beyond checkConventions (which codegen enforces on the root): every property of every schema
 * carries a description (and, in the schemas this package's maintainers own, a markdownDescription for editors); the
 * chart values schemas' defaults are the charts' values.yaml; the argocd-understack-values alias stays an alias.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSchemas, repoRoot } from '../scripts/lib/codegen.js';
import { validators } from '../src/validators.js';
import { fixturesDir } from './helpers.js';

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && !Array.isArray(v);

/** Every property schema (under `properties`), with its path, at any depth (items, additionalProperties, allOf, ...). */
function properties(schema: unknown, at = ''): Array<[string, Node]> {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => properties(s, `${at}[${i}]`));
  if (!isNode(schema)) return [];
  const out: Array<[string, Node]> = [];
  for (const [k, v] of Object.entries(schema)) {
    if (['examples', 'default', 'const', 'enum'].includes(k)) continue;
    if (k === 'properties' && isNode(v)) {
      for (const [name, sub] of Object.entries(v)) {
        if (!isNode(sub)) continue;
        out.push([`${at}.${name}`, sub], ...properties(sub, `${at}.${name}`));
      }
    } else if (isNode(v) || Array.isArray(v)) {
      out.push(...properties(v, `${at}/${k}`));
    }
  }
  return out;
}

const schemas = loadSchemas();
/** Every schema, by name: each rule below applies to all of them, so a new schema cannot ship unannotated. */
const names = schemas.map((s) => s.name);

describe('schema annotations', () => {
  it.each(schemas.map((s) => [s.name, s] as const))('should describe every property of %s', (name, s) => {
    const missing = properties(s.schema)
      .filter(([, n]) => typeof n.description !== 'string' && typeof n.$ref !== 'string')
      .map(([p]) => p);
    expect(missing, `${name}.schema.json: add a "description" to these properties`).toEqual([]);
  });

  it.each(names)('should give every property of %s a markdownDescription', (name) => {
    const s = schemas.find((x) => x.name === name)!;
    const missing = properties(s.schema)
      .filter(([, n]) => typeof n.markdownDescription !== 'string' && typeof n.$ref !== 'string')
      .map(([p]) => p);
    expect(missing, `${name}.schema.json: add a "markdownDescription"`).toEqual([]);
    expect(typeof s.schema.markdownDescription, `${name}: root markdownDescription`).toBe('string');
    expect(Array.isArray(s.schema.examples), `${name}: root examples`).toBe(true);
  });

  it.each(names)('should give every property of %s a default, examples or a const', (name) => {
    const s = schemas.find((x) => x.name === name)!;
    const missing = properties(s.schema)
      .filter(([, n]) => !('default' in n) && !('examples' in n) && !('const' in n) && typeof n.$ref !== 'string')
      .map(([p]) => p);
    expect(missing, `${name}.schema.json: add "default" (the chart's value) or "examples"`).toEqual([]);
  });

  it.each(schemas.filter((s) => Array.isArray(s.schema.examples)).map((s) => [s.name] as const))(
    'should accept its own root examples in %s',
    (name) => {
      const s = schemas.find((x) => x.name === name)!;
      for (const example of s.schema.examples as unknown[]) {
        const r = validators[name]!(example);
        expect(r.issues, `${name}: a root example fails its own schema`).toEqual([]);
      }
    },
  );
});

describe('chart values schemas defaults', () => {
  /** Every property with a value in values.yaml must default to it (what Helm uses when the key is not set). */
  function mismatches(schema: Node, values: unknown, at = ''): string[] {
    const props = schema.properties;
    if (!isNode(props) || !isNode(values)) return [];
    return Object.entries(props).flatMap(([k, sub]) => {
      if (!isNode(sub) || !(k in values)) return [];
      const here = JSON.stringify(sub.default) === JSON.stringify(values[k]) ? [] : [`${at}${k}`];
      return [...here, ...mismatches(sub, values[k], `${at}${k}.`)];
    });
  }
  // argocd-understack's values are a cluster's deploy.yaml: its source schema is deploy.schema.json.
  it.each([
    ['envoy-configs', 'envoy-configs-values'],
    ['nautobot-mtls', 'nautobot-mtls-values'],
    ['nautobot-worker', 'nautobot-worker-values'],
    ['argocd-understack', 'deploy'],
  ])('should default every key of %s to charts/<chart>/values.yaml (%s.schema.json)', (chart, schema) => {
    const file = path.join(repoRoot, 'charts', chart, 'values.yaml');
    if (!existsSync(file)) return; // the published package has no charts beside it
    const s = schemas.find((x) => x.name === schema)!;
    expect(mismatches(s.schema, parse(readFileSync(file, 'utf8'))), 'schema default differs from values.yaml').toEqual(
      [],
    );
  });
});

describe('argocd-understack-values', () => {
  it('should stay a pure alias of deploy.schema.json', () => {
    const s = schemas.find((x) => x.name === 'argocd-understack-values')!.schema;
    expect(s.allOf).toEqual([{ $ref: 'deploy.schema.json' }]);
    const validating = Object.keys(s).filter(
      (k) =>
        !['$schema', '$id', '$comment', 'title', 'description', 'markdownDescription', 'allOf', 'examples'].includes(k),
    );
    expect(validating, 'keywords besides the alias would make it drift from deploy').toEqual([]);
  });

  it('should accept and reject exactly what deploy does', () => {
    const docs = ['valid', 'invalid'].flatMap((kind) =>
      readdirSync(path.join(fixturesDir, kind, 'deploy')).map((f) => path.join(fixturesDir, kind, 'deploy', f)),
    );
    const examples = path.join(repoRoot, 'examples', 'deploy');
    if (existsSync(examples)) {
      for (const c of readdirSync(examples)) {
        if (existsSync(path.join(examples, c, 'deploy.yaml'))) docs.push(path.join(examples, c, 'deploy.yaml'));
      }
    }
    for (const file of docs) {
      const value = parse(readFileSync(file, 'utf8'), { version: '1.1' });
      const a = validators.deploy!(value);
      const b = validators['argocd-understack-values']!(value);
      expect(b.ok, file).toBe(a.ok);
      expect(
        b.issues.map((i) => `${i.dotPath}: ${i.message}`),
        file,
      ).toEqual(a.issues.map((i) => `${i.dotPath}: ${i.message}`));
    }
  });
});
