/** Ajv error -> issue conversion shared by every compiled validator. */
import type { ErrorObject } from 'ajv';
import { formatPath, pointerToPath } from './json-path.js';

/** One schema violation, with the JSON path of the offending value. */
export interface SchemaIssue {
  /** JSON path segments of the offending value (for unknown keys: of the key itself). */
  path: Array<string | number>;
  /** `spec.target.template.type: must be equal to constant "kubernetes.io/tls"`-style readable path. */
  dotPath: string;
  message: string;
  /** The Ajv keyword that failed (`required`, `additionalProperties`, `enum`, ...). */
  keyword: string;
  /** For `additionalProperties`: the unknown key. */
  unknownKey?: string;
  /** For `additionalProperties`: the keys that are allowed at this place. */
  allowedKeys?: string[];
}

/** Result of a validation: `ok` narrows `value` to the schema's type. */
export type ValidationResult<T> = { ok: true; value: T; issues: [] } | { ok: false; issues: SchemaIssue[] };

/** A compiled Ajv validator: returns validity and leaves the errors on itself. */
export type Compiled = (data: unknown) => boolean;

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return `missing required property "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'additionalProperties':
      return `unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

/** Converts Ajv errors into issues; drops the umbrella `anyOf`/`oneOf`/`if` errors when a more specific one exists. */
export function toIssues(
  errors: ErrorObject[] | null | undefined,
  schemaProperties?: (p: string) => string[],
): SchemaIssue[] {
  if (!errors) return [];
  // Sub-errors of `contains` ("usages[0] must be client auth") describe items that need not match: drop them.
  const relevant = errors.filter((e) => !e.schemaPath.includes('/contains/'));
  const specific = relevant.filter((e) => !['anyOf', 'oneOf', 'if'].includes(e.keyword));
  const list = specific.length ? specific : relevant;
  const seen = new Set<string>();
  const out: SchemaIssue[] = [];
  for (const e of list) {
    const path = pointerToPath(e.instancePath);
    const issue: SchemaIssue = { path, dotPath: formatPath(path), message: describe(e), keyword: e.keyword };
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      issue.unknownKey = key;
      issue.path = [...path, key];
      issue.dotPath = formatPath(issue.path);
      const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
      issue.allowedKeys = props ? Object.keys(props) : (schemaProperties?.(e.schemaPath) ?? []);
    }
    const k = `${issue.dotPath}\0${issue.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(issue);
  }
  return out;
}

export function wrap<T>(fn: Compiled, name = 'validate'): (value: unknown) => ValidationResult<T> {
  const validate = (value: unknown): ValidationResult<T> => {
    if (fn(value)) return { ok: true, value: value as T, issues: [] };
    return { ok: false, issues: toIssues((fn as { errors?: ErrorObject[] | null }).errors) };
  };
  return Object.defineProperty(validate, 'name', { value: name });
}
