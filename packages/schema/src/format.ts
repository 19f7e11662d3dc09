/** Output formats of understack-lint: text (one line per finding), JSON and SARIF 2.1.0. */
import type { LintResult } from './lint.js';
import type { Finding } from './rules/api.js';
import { rules } from './rules/index.js';

export type OutputFormat = 'text' | 'json' | 'sarif';

function line(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}  ${f.path}  ${f.message}  [${f.ruleId}]${f.hint ? `\n    fix: ${f.hint}` : ''}`;
}

/** Errors first, then warnings, each group sorted by place; a summary line last. */
export function formatText(result: LintResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error');
  const warnings = result.findings.filter((f) => f.severity === 'warning');
  const out: string[] = [];
  if (errors.length) out.push(`Errors (${errors.length}):`, ...errors.map(line), '');
  if (warnings.length) out.push(`Warnings (${warnings.length}):`, ...warnings.map(line), '');
  out.push(
    result.findings.length
      ? `${result.errorCount} error(s), ${result.warningCount} warning(s) in ${result.filesChecked} file(s) of ${result.clusters.length} cluster(s)`
      : `No findings: ${result.filesChecked} file(s), ${result.documentsChecked} document(s) in ${result.clusters.length} cluster(s) (${result.clusters.join(', ')})`,
  );
  return `${out.join('\n')}\n`;
}

/** The whole {@link LintResult} as pretty-printed JSON (what `--format json` prints). */
export function formatJson(result: LintResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** SARIF 2.1.0 with the rule catalogue in `tool.driver.rules` (what `--format sarif` prints). */
export function formatSarif(result: LintResult, version: string): string {
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'understack-lint',
            informationUri: 'https://understack.example/schemas/v1/',
            version,
            rules: rules.map((r) => ({
              id: r.id,
              shortDescription: { text: r.title },
              fullDescription: { text: r.docs },
              defaultConfiguration: { level: r.severity === 'error' ? 'error' : 'warning' },
            })),
          },
        },
        originalUriBaseIds: { REPO: { uri: `file://${result.root.endsWith('/') ? result.root : `${result.root}/`}` } },
        results: result.findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: rules.findIndex((r) => r.id === f.ruleId),
          level: f.severity,
          message: { text: `${f.path}: ${f.message}${f.hint ? ` Fix: ${f.hint}` : ''}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file, uriBaseId: 'REPO' },
                region: { startLine: f.line, startColumn: f.column },
              },
              logicalLocations: [{ fullyQualifiedName: f.path, kind: 'member' }],
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
