import type { Rule } from './api.js';
import { certRules } from './cert-rules.js';
import { cnpgRules } from './cnpg-rules.js';
import { globalRules } from './global-rules.js';
import { kustomizeRules } from './kustomize-rules.js';
import { mtlsRules } from './mtls-rules.js';
import { routeRules } from './route-rules.js';
import { schemaRules } from './schema-rules.js';
import { sourceRules } from './source-rules.js';
import { workerRules } from './worker-rules.js';

export type { Finding, ReportTarget, ResolvedLintOptions, Rule, RuleContext, Severity } from './api.js';
export { defineRule } from './api.js';

/** The rule catalogue, in reporting order. */
export const rules: readonly Rule[] = Object.freeze([
  ...sourceRules,
  ...schemaRules,
  ...mtlsRules,
  ...workerRules,
  ...certRules,
  ...routeRules,
  ...kustomizeRules,
  ...cnpgRules,
  ...globalRules,
]);

/** The catalogue entry with this id, if any. */
export function ruleById(id: string): Rule | undefined {
  return rules.find((r) => r.id === id);
}
