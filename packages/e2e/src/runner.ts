/**
 * Runs cases on a tier: brings the tier up, runs each case in order, collects artifacts on any failure, and always
 * tears down. The result is a report (also the CLI's `--json`); the runner never decides exit codes.
 */
import { type Case, mismatch } from './cases/index.js';
import { E2eError, TierUnavailable } from './errors.js';
import { step } from './log.js';
import type { Tier } from './tier.js';

export interface CaseResult {
  id: string;
  group: Case['group'];
  title: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  /** Why it failed, or why it was skipped. */
  message?: string;
  /** The client's error for negative cases (what the case asserted). */
  error?: string;
  detail?: unknown;
}

export interface RunReport {
  tier: string;
  isolation?: string;
  /** passed: every case passed; failed: a case failed; skipped: the tier cannot run here; error: the tier failed. */
  status: 'passed' | 'failed' | 'skipped' | 'error';
  message?: string;
  versions: Record<string, string>;
  results: CaseResult[];
  /** Folder holding every process log and the rendered inputs (on failure). */
  artifacts?: string;
  ms: number;
}

/** Cases selected by `--only` values (case ids or group names); unknown names are a usage error listing the valid ones. */
export function selectCases(all: readonly Case[], only: readonly string[]): Case[] {
  if (only.length === 0) return [...all];
  const wanted = only
    .flatMap((o) => o.split(','))
    .map((o) => o.trim())
    .filter(Boolean);
  const groups = new Set(all.map((c) => c.group as string));
  const ids = new Set(all.map((c) => c.id));
  const unknown = wanted.filter((w) => !groups.has(w) && !ids.has(w));
  if (unknown.length > 0)
    throw new E2eError(
      'E2E_USAGE',
      `unknown case ${unknown.map((u) => `"${u}"`).join(', ')}: --only takes a case id or a group\nEither:\n  - a group: ${[...groups].join(', ')}\n  - a case id (understack-e2e --list)`,
    );
  return all.filter((c) => wanted.includes(c.id) || wanted.includes(c.group));
}

export interface RunOptions {
  /** Treat an unavailable tier (no Docker) as an error rather than a skip. */
  requireTier?: boolean;
  /** Called after each case. */
  onResult?: (r: CaseResult) => void;
}

export async function runScenario(tier: Tier, cases: readonly Case[], opts: RunOptions = {}): Promise<RunReport> {
  const t0 = Date.now();
  const report: RunReport = { tier: tier.name, status: 'passed', versions: {}, results: [], ms: 0 };
  const finish = () => {
    report.ms = Date.now() - t0;
    return report;
  };
  try {
    step(`tier ${tier.name}: up`);
    try {
      await tier.up();
    } catch (e) {
      if (e instanceof TierUnavailable) {
        report.status = opts.requireTier ? 'error' : 'skipped';
        report.message = e.message;
        for (const c of cases)
          report.results.push({
            id: c.id,
            group: c.group,
            title: c.title,
            status: 'skipped',
            ms: 0,
            message: e.reason,
          });
        return finish();
      }
      report.status = 'error';
      report.message = `the ${tier.name} tier failed to come up: ${(e as Error).message}`;
      report.artifacts = tier.collectArtifacts(report.message);
      return finish();
    }
    report.isolation = tier.isolation;
    report.versions = tier.versions();
    for (const c of cases) {
      const skip = c.skip?.[tier.name];
      if (skip) {
        report.results.push({ id: c.id, group: c.group, title: c.title, status: 'skipped', ms: 0, message: skip });
        continue;
      }
      step(`case ${c.id}`);
      const s = Date.now();
      let r: CaseResult;
      try {
        const o = await c.run(tier);
        const m = o.skipped === undefined ? mismatch(c, o) : undefined;
        r = {
          id: c.id,
          group: c.group,
          title: c.title,
          status: o.skipped !== undefined ? 'skipped' : m ? 'failed' : 'passed',
          ms: Date.now() - s,
          message: o.skipped ?? m,
          error: o.error,
          detail: o.detail,
        };
      } catch (e) {
        r = {
          id: c.id,
          group: c.group,
          title: c.title,
          status: 'failed',
          ms: Date.now() - s,
          message: `${c.id}: threw: ${(e as Error).stack ?? e}`,
        };
      }
      report.results.push(r);
      opts.onResult?.(r);
    }
    const failed = report.results.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      report.status = 'failed';
      report.message = `${failed.length} of ${report.results.length} case(s) failed: ${failed.map((f) => f.id).join(', ')}`;
      report.artifacts = tier.collectArtifacts(`${report.message}\n\n${failed.map((f) => f.message).join('\n')}`);
    }
    return finish();
  } finally {
    step(`tier ${tier.name}: down`);
    await tier.down();
  }
}
