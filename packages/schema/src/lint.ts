import { type CertificateObject, certificatesOf } from './certificates.js';
import { LintError } from './errors.js';
import {
  type K8sObject,
  k8sObjects,
  WORKER_CHART_DEFAULTS,
  type WorkerChartDefaults,
  type WorkerConfig,
  workerConfig,
} from './model.js';
import { type Cluster, loadDeployRepo } from './repo.js';
import type { Finding, ResolvedLintOptions, Rule, RuleContext, Severity } from './rules/api.js';
import { rules as catalogue } from './rules/index.js';
import { formatPath, locate } from './source.js';
import { didYouMean } from './suggest.js';

/** Options of {@link lintDeployRepo}. */
export interface LintOptions {
  /** Lint only this cluster's files (other clusters are still read for cross-cluster checks such as routes). */
  cluster?: string;
  /** PostgreSQL user client certificates must name when the repo's CNPG Cluster does not say (default `app`). */
  dbUser?: string;
  /** Override what the nautobot-worker chart is assumed to do by default. */
  workerChart?: Partial<WorkerChartDefaults>;
  /** Per-rule severity override, or `off`. */
  rules?: Record<string, Severity | 'off'>;
  /** Minimum client certificate lifetime in hours (default 17520 = 2 years). */
  minCertHours?: number;
  /** Minimum renewBefore in hours (default 720 = 30 days). */
  minRenewBeforeHours?: number;
}

/**
 * What {@link lintDeployRepo} found. `errorCount > 0` is what the CLI exits 1 on; warnings alone exit 0 unless
 * `--strict`, because a warning flags a risk that can be deliberate (e.g. a private-CA-only trust bundle on a site
 * with no outbound HTTPS), while an error is a configuration that cannot work or leaks a secret.
 */
export interface LintResult {
  /** Absolute path of the linted repo. */
  root: string;
  /** Names of the clusters linted. */
  clusters: string[];
  /** Errors first, then warnings; each group by file, line, column and rule id. */
  findings: Finding[];
  errorCount: number;
  warningCount: number;
  /** YAML files and documents read. */
  filesChecked: number;
  documentsChecked: number;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1 };

/** Errors before warnings; within each, by file, line, column, rule id (a stable order for output and tests). */
export const bySeverityThenPlace = (a: Finding, b: Finding): number =>
  SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
  cmp(a.file, b.file) ||
  a.line - b.line ||
  a.column - b.column ||
  cmp(a.ruleId, b.ruleId);

/**
 * Lints a deploy repo: loads every cluster (`<cluster>/deploy.yaml` and the YAML beside it) and runs the rule
 * catalogue. Throws {@link LintError} only when the directory cannot be linted at all (missing, not a deploy repo,
 * unknown `cluster`); every problem inside the repo is a finding.
 */
export function lintDeployRepo(dir: string, options: LintOptions = {}): LintResult {
  const repo = loadDeployRepo(dir);
  let clusters: Cluster[] = repo.clusters;
  if (options.cluster !== undefined) {
    clusters = repo.clusters.filter((c) => c.name === options.cluster || c.dir === options.cluster);
    if (!clusters.length) {
      const guess = didYouMean(
        options.cluster,
        repo.clusters.map((c) => c.name),
      );
      throw new LintError(
        'E_UNKNOWN_CLUSTER',
        `unknown cluster "${options.cluster}": ${guess ? `did you mean "${guess}"? ` : ''}clusters in ${dir}: ${repo.clusters.map((c) => c.name).join(', ')}`,
      );
    }
  }
  const resolved: ResolvedLintOptions = {
    dbUser: options.dbUser ?? 'app',
    workerChart: { ...WORKER_CHART_DEFAULTS, ...options.workerChart },
    minCertHours: options.minCertHours ?? 17520,
    minRenewBeforeHours: options.minRenewBeforeHours ?? 720,
  };
  const objectCache = new Map<Cluster, K8sObject[]>();
  const workerCache = new Map<Cluster, WorkerConfig | undefined>();
  const certCache = new Map<Cluster, CertificateObject[]>();
  const findings: Finding[] = [];
  const clusterOf = (file: string) => repo.clusters.find((c) => file.startsWith(`${c.dir}/`))?.name;
  const inScope = (file: string) => options.cluster === undefined || clusters.some((c) => file.startsWith(`${c.dir}/`));
  let current: Rule | undefined;
  let severity: Severity = 'error';
  const ctx: RuleContext = {
    repo,
    clusters,
    options: resolved,
    objects(c) {
      let v = objectCache.get(c);
      if (!v) {
        v = k8sObjects(c);
        objectCache.set(c, v);
      }
      return v;
    },
    worker(c) {
      if (!workerCache.has(c)) workerCache.set(c, workerConfig(repo, c, resolved.workerChart));
      return workerCache.get(c);
    },
    certificates(c) {
      let v = certCache.get(c);
      if (!v) {
        v = certificatesOf(repo, c, this.objects(c));
        certCache.set(c, v);
      }
      return v;
    },
    report(at, message, hint) {
      const rule = current!;
      let f: Finding;
      if ('position' in at) {
        f = {
          ruleId: rule.id,
          severity,
          file: at.file,
          line: at.position.line,
          column: at.position.column,
          path: formatPath(at.path ?? []),
          document: at.document ?? 0,
          message,
        };
      } else {
        const pos = locate(at.source, at.doc, at.path, { key: at.key ?? false });
        f = {
          ruleId: rule.id,
          severity,
          file: at.source.file,
          line: pos.line,
          column: pos.column,
          path: formatPath(at.path),
          document: at.doc,
          message,
        };
      }
      if (hint) f.hint = hint;
      const cluster = clusterOf(f.file);
      if (cluster) f.cluster = cluster;
      if (inScope(f.file)) findings.push(f);
    },
  };
  for (const rule of catalogue) {
    const override = options.rules?.[rule.id];
    if (override === 'off') continue;
    current = rule;
    severity = override ?? rule.severity;
    rule.check(ctx);
  }
  // A specific rule's finding supersedes a generic schema finding at the same place.
  const specific = new Set(
    findings.filter((f) => !f.ruleId.startsWith('schema/')).map((f) => `${f.file}:${f.document}:${f.path}`),
  );
  const kept = findings.filter(
    (f) => f.ruleId !== 'schema/invalid' || !specific.has(`${f.file}:${f.document}:${f.path}`),
  );
  kept.sort(bySeverityThenPlace);
  const sources = [...repo.sources.values()].filter((s) => inScope(s.file));
  return {
    root: repo.root,
    clusters: clusters.map((c) => c.name),
    findings: kept,
    errorCount: kept.filter((f) => f.severity === 'error').length,
    warningCount: kept.filter((f) => f.severity === 'warning').length,
    filesChecked: sources.length,
    documentsChecked: sources.reduce((n, s) => n + s.docs.length, 0),
  };
}
