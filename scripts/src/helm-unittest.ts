/**
 * The helm-unittest wrapper: runs `helm unittest` for one chart or every chart under `charts/`, reads the JUnit
 * report it writes, and turns it into a short summary with every failure spelled out.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { run } from './run.js';
import { repoRoot, requireTool, ToolError, toolEnv } from './tools.js';

/** One failed `it:` of a suite. */
export interface UnittestFailure {
  suite: string;
  test: string;
  message: string;
}

/** Result for one chart. */
export interface ChartResult {
  chart: string;
  suites: number;
  tests: number;
  failures: UnittestFailure[];
  skipped: number;
  ms: number;
  /** Set when helm unittest could not run at all (bad suite file, chart that does not render...). */
  error?: string;
}

/** Options of {@link runHelmUnittest}. */
export interface HelmUnittestOptions {
  /** Glob of suite files relative to the chart; default `tests/**\/*_test.yaml` (STYLE.md's layout). */
  files?: string[];
  /** Update snapshots instead of comparing them. */
  updateSnapshots?: boolean;
  root?: string;
}

const DEFAULT_SUITES = ['tests/**/*_test.yaml'];

/** Every chart folder under `charts/` (a folder with a Chart.yaml), sorted. */
export function findCharts(root = repoRoot()): string[] {
  const dir = join(root, 'charts');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'Chart.yaml')))
    .map((d) => join(dir, d.name))
    .sort();
}

type XmlNode = Record<string, unknown>;
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Parses helm-unittest's JUnit report. */
export function parseJUnit(xml: string, chart: string): Omit<ChartResult, 'ms' | 'chart'> & { chart: string } {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', textNodeName: '#text' });
  const doc = parser.parse(xml) as XmlNode;
  const root = (doc['testsuites'] ?? doc) as XmlNode;
  const suites = asArray(root['testsuite'] as XmlNode | XmlNode[]);
  const failures: UnittestFailure[] = [];
  let tests = 0;
  let skipped = 0;
  for (const suite of suites) {
    const suiteName = String(suite['name'] ?? '');
    for (const testcase of asArray(suite['testcase'] as XmlNode | XmlNode[])) {
      tests++;
      if (testcase['skipped'] !== undefined) skipped++;
      const failure = (testcase['failure'] ?? testcase['error']) as XmlNode | string | undefined;
      if (failure !== undefined) {
        const text =
          typeof failure === 'string'
            ? failure
            : [failure['message'], failure['#text']].filter((s) => s !== undefined && s !== '').join('\n');
        failures.push({ suite: suiteName, test: String(testcase['name'] ?? ''), message: String(text).trim() });
      }
    }
  }
  return { chart, suites: suites.length, tests, failures, skipped };
}

/** Runs helm-unittest for one chart folder. */
export async function runHelmUnittest(chartDir: string, options: HelmUnittestOptions = {}): Promise<ChartResult> {
  const root = options.root ?? repoRoot();
  const chart = basename(resolve(chartDir));
  const started = Date.now();
  // Versions checked here, where the tools are used: a stale .tools/ fails with the fix, not with odd test results.
  const helm = requireTool('helm', root);
  requireTool('helm-unittest', root);
  const work = await mkdtemp(join(tmpdir(), 'helm-unittest-'));
  const report = join(work, 'junit.xml');
  const args = ['unittest', '--strict', '-t', 'JUnit', '-o', report];
  for (const glob of options.files ?? DEFAULT_SUITES) args.push('-f', glob);
  if (options.updateSnapshots) args.push('-u');
  args.push(resolve(chartDir));
  try {
    const result = await run(helm, args, { env: toolEnv(process.env, root), reject: false });
    if (!existsSync(report)) {
      const output = (result.stdout + '\n' + result.stderr).trim();
      return {
        chart,
        suites: 0,
        tests: 0,
        failures: [],
        skipped: 0,
        ms: Date.now() - started,
        error: `helm unittest wrote no report (exit ${result.exitCode}):\n${output.split('\n').slice(-30).join('\n')}`,
      };
    }
    const parsed = parseJUnit(await readFile(report, 'utf8'), chart);
    const out: ChartResult = { ...parsed, ms: Date.now() - started };
    if (result.exitCode !== 0 && parsed.failures.length === 0) {
      out.error = `helm unittest exited ${result.exitCode}:\n${(result.stdout + result.stderr).trim().split('\n').slice(-30).join('\n')}`;
    }
    if (parsed.tests === 0 && !out.error) {
      out.error = `no test suites found (looked for ${(options.files ?? DEFAULT_SUITES).join(', ')})`;
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Totals over charts: tests that passed, failed, were skipped, and charts that could not be tested at all. */
export function totals(results: ChartResult[]): { passed: number; failed: number; skipped: number; errors: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results) {
    failed += r.failures.length;
    skipped += r.skipped;
    passed += Math.max(0, r.tests - r.failures.length - r.skipped);
  }
  return { passed, failed, skipped, errors: results.filter((r) => r.error).length };
}

/** A readable summary: one line per chart, then every failure with its suite and message, then the totals. */
export function formatSummary(results: ChartResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const ok = !r.error && r.failures.length === 0;
    lines.push(
      `${ok ? 'PASS' : 'FAIL'}  ${r.chart.padEnd(22)} ${String(r.suites).padStart(3)} suites  ` +
        `${String(r.tests).padStart(4)} tests  ${String(r.failures.length).padStart(3)} failed  ` +
        `${String(r.skipped).padStart(3)} skipped  ${r.ms} ms`,
    );
  }
  for (const r of results) {
    if (r.error) lines.push('', `✗ ${r.chart}: ${r.error}`);
    for (const f of r.failures) {
      lines.push('', `✗ ${r.chart} › ${f.suite} › ${f.test}`, ...f.message.split('\n').map((l) => `    ${l}`));
    }
  }
  const t = totals(results);
  const errors = t.errors ? `; ${t.errors} chart(s) could not be tested` : '';
  lines.push('', `helm-unittest: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${errors}`);
  return lines.join('\n');
}

/** Chart folders named on the command line, or all charts when none is named. */
export function resolveCharts(args: string[], root = repoRoot()): string[] {
  if (args.length === 0) return findCharts(root);
  return args.map((a) => {
    const dir = resolve(a);
    if (!existsSync(join(dir, 'Chart.yaml'))) {
      const byName = join(root, 'charts', a);
      if (existsSync(join(byName, 'Chart.yaml'))) return byName;
      throw new ToolError(
        'E_NOT_A_CHART',
        `not a chart: ${relative(process.cwd(), dir) || '.'} has no Chart.yaml`,
        `Name a folder under charts/ (${findCharts(root)
          .map((c) => basename(c))
          .join(', ')}) or pass no argument to test them all.`,
      );
    }
    return dir;
  });
}
