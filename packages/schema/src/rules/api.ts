import type { CertificateObject } from '../certificates.js';
import type { K8sObject, Loc, WorkerChartDefaults, WorkerConfig } from '../model.js';
import type { Cluster, DeployRepo } from '../repo.js';
import type { JsonPath, Position } from '../source.js';

/** Where a finding points: a JSON path in a parsed document, or a raw file position (load and parse problems). */
export type ReportTarget =
  | (Loc & { key?: boolean })
  | { file: string; position: Position; path?: JsonPath; document?: number };

export type Severity = 'error' | 'warning';

/** One problem found in a deploy repo. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  /** Repository-relative POSIX path. */
  file: string;
  /** 1-based line and column in the YAML source. */
  line: number;
  column: number;
  /** JSON path inside the document, `spec.target.template.data["ca.crt"]`; `(root)` for the whole document. */
  path: string;
  /** 0-based document index in a multi-document file. */
  document: number;
  message: string;
  /** How to fix it. */
  hint?: string;
  /** The cluster the file belongs to, when it belongs to one. */
  cluster?: string;
}

/** Options every rule can read. */
export interface ResolvedLintOptions {
  /** PostgreSQL user the client certificates must name (CNPG's app user). */
  dbUser: string;
  /** Defaults of the nautobot-worker chart (what a site values file may rely on). */
  workerChart: WorkerChartDefaults;
  /** Minimum client certificate lifetime in hours. */
  minCertHours: number;
  /** Minimum renewBefore window in hours. */
  minRenewBeforeHours: number;
}

export interface RuleContext {
  repo: DeployRepo;
  /** Clusters being linted (all, or the one `--cluster` names). Cross-cluster facts still come from `repo`. */
  clusters: Cluster[];
  options: ResolvedLintOptions;
  objects(cluster: Cluster): K8sObject[];
  worker(cluster: Cluster): WorkerConfig | undefined;
  /** cert-manager Certificates of a cluster: manifests, plus those the nautobot-mtls chart renders from its values. */
  certificates(cluster: Cluster): CertificateObject[];
  /** Reports a finding for the running rule; `key: true` points at the mapping key rather than its value. */
  report(at: ReportTarget, message: string, hint?: string): void;
}

/** A lint rule: a named check function plus its catalogue entry. */
export interface Rule {
  /** Stable id, `<area>/<name>`; used in output, SARIF and options. */
  id: string;
  severity: Severity;
  /** One-line summary. */
  title: string;
  /** One paragraph: what it catches, why it matters, how to fix it. */
  docs: string;
  check: (ctx: RuleContext) => void;
}

/** Declares a rule (frozen); use it to add project-specific rules next to the catalogue. */
export function defineRule(rule: Rule): Rule {
  return Object.freeze(rule);
}
