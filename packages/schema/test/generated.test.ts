/**
 * Drift gate for committed generated files: the TypeScript types (src/generated/) and the charts' values.schema.json
 * must equal what `pnpm generate` produces from schemas/. Fix a failure with `pnpm generate` and commit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aliasTarget,
  bundle,
  chartSchemas,
  createAjv,
  loadSchemas,
  packageDir,
  renderChartSchema,
  renderReadmeRules,
  renderTypes,
  repoRoot,
} from '../scripts/lib/codegen.js';

const schemas = loadSchemas();
const FIX = 'stale generated file. Either: run `pnpm generate` and commit the result.';

describe(renderTypes, () => {
  it('should match the committed TypeScript types when regenerated', async () => {
    const files = await renderTypes(schemas);
    const dir = path.join(packageDir, 'src', 'generated');
    expect(readdirSync(dir).sort(), FIX).toEqual([...files.keys()].sort());
    for (const [name, content] of files)
      expect(readFileSync(path.join(dir, name), 'utf8'), `${name}: ${FIX}`).toBe(content);
  });
});

describe(aliasTarget, () => {
  it('should name the target when the schema only aliases a sibling schema', () => {
    expect(aliasTarget({ $id: 'x', title: 't', allOf: [{ $ref: 'deploy.schema.json' }] })).toBe('deploy');
    expect(aliasTarget({ allOf: [{ $ref: './deploy.schema.json' }], examples: [{}] })).toBe('deploy');
  });

  it.each([
    ['a validating keyword beside the alias', { allOf: [{ $ref: 'deploy.schema.json' }], type: 'object' }],
    ['two allOf entries', { allOf: [{ $ref: 'deploy.schema.json' }, { $ref: 'a.schema.json' }] }],
    ['a $ref into a definition', { allOf: [{ $ref: 'deploy.schema.json#/definitions/x' }] }],
    ['no allOf', { type: 'object' }],
  ])('should not treat it as an alias when it has %s', (_why, schema) => {
    expect(aliasTarget(schema)).toBeUndefined();
  });

  it('should give an alias schema a type alias, not a copy of its target', async () => {
    const files = await renderTypes(schemas);
    expect(files.get('argocd-understack-values.ts')).toContain('export type ArgocdUnderstackValues = Deploy;');
    expect(files.get('argocd-understack-values.ts')).not.toContain('interface');
  });
});

describe(renderChartSchema, () => {
  const charts = chartSchemas(schemas);

  it.each(charts.map((c) => [c.chart, c] as const))('should match charts/%s/values.schema.json', (_chart, c) => {
    expect(existsSync(c.file), `${c.file} is missing: ${FIX}`).toBe(true);
    expect(readFileSync(c.file, 'utf8'), `${c.file}: ${FIX}`).toBe(renderChartSchema(c.s, schemas));
  });

  it('should have a source schema here for every chart that ships a values.schema.json', () => {
    const chartsDir = path.join(repoRoot, 'charts');
    const shipped = existsSync(chartsDir)
      ? readdirSync(chartsDir).filter((c) => existsSync(path.join(chartsDir, c, 'values.schema.json')))
      : [];
    const orphans = shipped.filter((c) => !charts.some((s) => s.chart === c));
    expect(
      orphans,
      'charts/<chart>/values.schema.json is generated: write packages/schema/schemas/<chart>-values.schema.json instead',
    ).toEqual([]);
  });

  it('should produce self-contained draft-07 schemas that Ajv compiles without network access', () => {
    for (const c of charts) {
      const out = JSON.parse(renderChartSchema(c.s, schemas));
      expect(out.$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect(out.$comment).toContain('pnpm generate');
      expect(JSON.stringify(out)).not.toMatch(/"\$ref":"(?!#)/);
      createAjv().compile(out);
    }
  });
});

describe(bundle, () => {
  it('should inline a sibling schema into definitions and rewrite the $ref', () => {
    const a = {
      name: 'a',
      file: 'a',
      schema: {
        $id: 'https://understack.example/schemas/v1/a.schema.json',
        properties: { b: { $ref: 'b.schema.json#/definitions/x' } },
      },
    };
    const b = {
      name: 'b',
      file: 'b',
      schema: {
        $id: 'https://understack.example/schemas/v1/b.schema.json',
        definitions: { x: { $ref: '#/definitions/y' }, y: { type: 'string' } },
      },
    };
    const out = bundle(a.schema, a, [a, b]) as {
      properties: { b: { $ref: string } };
      definitions: Record<string, { definitions: { x: { $ref: string } } }>;
    };
    expect(out.properties.b.$ref).toBe('#/definitions/b/definitions/x');
    expect(out.definitions.b!.definitions.x.$ref).toBe('#/definitions/b/definitions/y');
  });
});

describe(renderReadmeRules, () => {
  it('should match the rule table committed in README.md', async () => {
    const { rules } = await import('../src/rules/index.js');
    const readme = readFileSync(path.join(packageDir, 'README.md'), 'utf8');
    expect(readme, `README.md rule table: ${FIX}`).toBe(renderReadmeRules(readme, rules));
  });
});
