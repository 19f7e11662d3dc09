import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartSchemas, checkConventions, loadSchemas, repoRoot } from '../scripts/lib/codegen.js';
import { schemaId, schemaNames, validateDeploy, validators } from '../src/validators.js';
import { fixturesDir } from './helpers.js';

const cases = (kind: 'valid' | 'invalid') =>
  readdirSync(path.join(fixturesDir, kind)).flatMap((schema) =>
    readdirSync(path.join(fixturesDir, kind, schema))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [schema, f, path.join(fixturesDir, kind, schema, f)] as const),
  );

describe('schemas', () => {
  it('should follow the conventions (draft-07, absolute versioned $id, title, description) when loaded', () => {
    expect(checkConventions(loadSchemas())).toEqual([]);
  });

  it('should bundle a validator for every schema file', () => {
    expect([...schemaNames]).toEqual(loadSchemas().map((s) => s.name));
    expect(schemaId('deploy')).toBe('https://understack.example/schemas/v1/deploy.schema.json');
  });

  it('should have valid and invalid fixtures for every schema', () => {
    for (const name of loadSchemas().map((s) => s.name)) {
      expect(
        cases('valid').some(([s]) => s === name),
        `valid/${name}`,
      ).toBe(true);
      expect(
        cases('invalid').some(([s]) => s === name),
        `invalid/${name}`,
      ).toBe(true);
    }
  });

  it.each(cases('valid'))('should accept %s fixture %s', (schema, _f, file) => {
    const v = validators[schema];
    expect(v, `no validator for ${schema}`).toBeDefined();
    const r = v!(parse(readFileSync(file, 'utf8'), { version: '1.1' }));
    expect(r.issues).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it.each(cases('invalid'))('should reject %s fixture %s with its expected message', (schema, _f, file) => {
    const text = readFileSync(file, 'utf8');
    const expected = /^# expect: (.*)$/m.exec(text)?.[1];
    expect(expected, 'invalid fixtures start with "# expect: <path>: <message>"').toBeTruthy();
    const r = validators[schema]!(parse(text, { version: '1.1' }));
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => `${i.dotPath}: ${i.message}`).join('\n')).toContain(expected);
  });
});

describe(validateDeploy, () => {
  it('should narrow the value when a deploy.yaml is valid', () => {
    const r = validateDeploy({ site: { enabled: true, nautobot_worker: { enabled: true } } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.site?.nautobot_worker?.enabled).toBe(true);
  });

  it('should list the allowed keys when a key is unknown', () => {
    const r = validateDeploy({ site: { nautobot_wroker: {} } });
    expect(r.ok).toBe(false);
    const issue = r.issues.find((i) => i.unknownKey === 'nautobot_wroker');
    expect(issue?.allowedKeys).toContain('nautobot_worker');
    expect(issue?.path).toEqual(['site', 'nautobot_wroker']);
  });
});

describe('chart values', () => {
  // Each chart's own values.yaml and ci/*.yaml must satisfy the schema this package publishes for it.
  const charts = chartSchemas(loadSchemas()).flatMap(({ chart, s }) => {
    const dir = path.join(repoRoot, 'charts', chart);
    const ci = existsSync(path.join(dir, 'ci')) ? readdirSync(path.join(dir, 'ci')).map((f) => `ci/${f}`) : [];
    return ['values.yaml', ...ci.filter((f) => f.endsWith('.yaml'))].map(
      (f) => [chart, f, s.name, path.join(dir, f)] as const,
    );
  });
  it.each(charts)('should accept charts/%s/%s', (_chart, _file, schema, file) => {
    const r = validators[schema]!(parse(readFileSync(file, 'utf8'), { version: '1.1' }) ?? {});
    expect(r.issues).toEqual([]);
  });
});
