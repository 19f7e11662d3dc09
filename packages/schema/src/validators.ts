/**
 * Precompiled validators. The Ajv standalone code in `generated/validators.js` is produced at build time from
 * `schemas/`, so calling a validator never compiles a schema at runtime.
 */
import * as compiled from '../generated/validators.js';
import { type ValidationResult, wrap } from './validate-core.js';

export * from './generated/validate.js';
export { type SchemaIssue, toIssues, type ValidationResult } from './validate-core.js';

/** Base URL of every schema `$id`; the file name follows, e.g. `${SCHEMA_BASE_URL}deploy.schema.json`. */
export const SCHEMA_BASE_URL = 'https://understack.example/schemas/v1/';

/** Every compiled validator by schema name (file stem), including chart values schemas. */
export const validators: Readonly<Record<string, (value: unknown) => ValidationResult<unknown>>> = Object.freeze(
  Object.fromEntries(
    Object.entries(compiled.validatorsByName).map(([name, fn]) => [name, wrap(fn, `validate:${name}`)]),
  ),
);

/** Names of all bundled schemas (`deploy`, `nautobot-worker-values`, ...). */
export const schemaNames: readonly string[] = Object.freeze(Object.keys(validators).sort());

/** The `$id` of a bundled schema. */
export function schemaId(name: string): string {
  return `${SCHEMA_BASE_URL}${name}.schema.json`;
}
