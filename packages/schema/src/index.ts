/**
 * @understack/schema: the published JSON Schemas, their TypeScript types, precompiled validators and the deploy-repo
 * linter. Raw schemas: `import schema from '@understack/schema/schemas/deploy.schema.json' with { type: 'json' }`.
 */

export { LintError, type LintErrorCode } from './errors.js';
export { formatJson, formatSarif, formatText, type OutputFormat } from './format.js';
export type * from './generated/types.js';
export { type LintOptions, type LintResult, lintDeployRepo } from './lint.js';
export { WORKER_CHART_DEFAULTS, type WorkerChartDefaults } from './model.js';
export type { Finding, ReportTarget, ResolvedLintOptions, Rule, RuleContext, Severity } from './rules/index.js';
export { defineRule, ruleById, rules } from './rules/index.js';
export { MAX_ALIAS_COUNT, parseYamlSource, type YamlSource } from './source.js';
export * from './validators.js';
