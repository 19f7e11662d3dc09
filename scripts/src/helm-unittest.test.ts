import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChartResult,
  formatSummary,
  parseJUnit,
  resolveCharts,
  runHelmUnittest,
  totals,
} from './helm-unittest.js';
import { repoRoot, ToolError, toolPath } from './tools.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const cli = join(import.meta.dirname, '..', 'bin', 'understack-helm-unittest.js');
const temps: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe(runHelmUnittest, () => {
  it('should report every test passed when the suites (in nested folders) pass', async () => {
    const result = await runHelmUnittest(join(fixtures, 'chart-ok'));
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ chart: 'chart-ok', suites: 1, tests: 2, failures: [] });
  });

  it('should name the failing test and the assertion message when a suite fails', async () => {
    const result = await runHelmUnittest(join(fixtures, 'chart-failing'));
    expect(result.tests).toBe(2);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({
      suite: 'Fixture ConfigMap - Deliberate failure',
      test: 'should fail because the expected value is wrong',
    });
    expect(result.failures[0]!.message).toContain('goodbye');
    const summary = formatSummary([result]);
    expect(summary).toMatch(/^FAIL\s+chart-failing/m);
    expect(summary).toContain('helm-unittest: 1 passed, 1 failed, 0 skipped');
  });
});

// Each case starts node (and tsx when dist/ is older than src/): generous timeouts for a loaded 2-core machine.
describe('understack-helm-unittest (CLI)', { timeout: 60_000 }, () => {
  it('should exit 1 and print per-chart lines and correct totals when one of two charts has a failing test', () => {
    const r = spawnSync(process.execPath, [cli, join(fixtures, 'chart-ok'), join(fixtures, 'chart-failing')], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^PASS\s+chart-ok\s+1 suites\s+2 tests\s+0 failed/m);
    expect(r.stdout).toMatch(/^FAIL\s+chart-failing\s+1 suites\s+2 tests\s+1 failed/m);
    expect(r.stdout).toContain('✗ chart-failing › Fixture ConfigMap - Deliberate failure › should fail because');
    expect(r.stdout).toMatch(/helm-unittest: 3 passed, 1 failed, 0 skipped\n$/);
  });

  it('should exit 0 when every test passes', () => {
    const r = spawnSync(process.execPath, [cli, join(fixtures, 'chart-ok')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/helm-unittest: 2 passed, 0 failed, 0 skipped\n$/);
  });

  it('should fail a chart without suites, without counting it against the passes of another chart', () => {
    const chart = join(temp('hu-nosuites-'), 'chart-nosuites');
    cpSync(join(fixtures, 'chart-ok'), chart, { recursive: true });
    rmSync(join(chart, 'tests'), { recursive: true });
    const r = spawnSync(process.execPath, [cli, chart, join(fixtures, 'chart-ok')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('✗ chart-nosuites: no test suites found (looked for tests/**/*_test.yaml)');
    expect(r.stdout).toMatch(/helm-unittest: 2 passed, 0 failed, 0 skipped; 1 chart\(s\) could not be tested\n$/);
  });

  it('should exit 2 with usage when given an unknown option', () => {
    const r = spawnSync(process.execPath, [cli, '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Run with --help for usage.');
  });
});

describe('runHelmUnittest without a report', () => {
  it('should show the exit code and output when the plugin crashes before writing its report', async () => {
    // A root whose helm is the real pinned one, but whose helm-unittest binary dies at once.
    const root = temp('hu-noreport-');
    mkdirSync(join(root, 'scripts'));
    cpSync(join(repoRoot(), 'scripts', 'tools.json'), join(root, 'scripts', 'tools.json'));
    mkdirSync(join(root, '.tools', 'bin'), { recursive: true });
    symlinkSync(toolPath('helm'), join(root, '.tools', 'bin', 'helm'));
    const plugin = join(root, '.tools', 'helm-plugins', 'unittest');
    cpSync(join(repoRoot(), '.tools', 'helm-plugins', 'unittest', 'plugin.yaml'), join(plugin, 'plugin.yaml'), {
      recursive: true,
    });
    writeFileSync(join(plugin, 'untt'), '#!/bin/sh\necho "segmentation fault (simulated)" >&2\nexit 139\n');
    chmodSync(join(plugin, 'untt'), 0o755);
    const result = await runHelmUnittest(join(fixtures, 'chart-ok'), { root });
    expect(result.error).toMatch(/^helm unittest wrote no report \(exit \d+\):/);
    expect(result.error).toContain('segmentation fault (simulated)');
    expect(formatSummary([result])).toMatch(/0 passed, 0 failed, 0 skipped; 1 chart\(s\) could not be tested$/);
  });
});

describe(totals, () => {
  const chart = (over: Partial<ChartResult>): ChartResult => ({
    chart: 'c',
    suites: 1,
    tests: 0,
    failures: [],
    skipped: 0,
    ms: 1,
    ...over,
  });
  const failure = { suite: 's', test: 't', message: 'm' };
  it.each([
    ['skips apart from passes', [chart({ tests: 5, skipped: 2 })], { passed: 3, failed: 0, skipped: 2, errors: 0 }],
    [
      'a chart error without subtracting it from passes',
      [chart({ tests: 4 }), chart({ tests: 0, error: 'no report' })],
      { passed: 4, failed: 0, skipped: 0, errors: 1 },
    ],
    [
      'failures, skips and passes over charts',
      [chart({ tests: 3, failures: [failure], skipped: 1 }), chart({ tests: 2, failures: [failure, failure] })],
      { passed: 1, failed: 3, skipped: 1, errors: 0 },
    ],
  ])('should count %s', (_name, results, expected) => {
    expect(totals(results)).toEqual(expected);
  });
});

describe(parseJUnit, () => {
  it('should count tests, failures and skips when given a JUnit report', () => {
    const xml = `<?xml version="1.0"?><testsuites><testsuite name="S" tests="3">
      <testcase name="a"></testcase>
      <testcase name="b"><failure message="boom">detail</failure></testcase>
      <testcase name="c"><skipped/></testcase></testsuite></testsuites>`;
    const parsed = parseJUnit(xml, 'x');
    expect(parsed).toMatchObject({ suites: 1, tests: 3, skipped: 1 });
    expect(parsed.failures).toEqual([{ suite: 'S', test: 'b', message: 'boom\ndetail' }]);
  });
});

describe(resolveCharts, () => {
  it('should refuse a folder without Chart.yaml and list the charts it knows', () => {
    expect(() => resolveCharts([fixtures])).toThrow(ToolError);
    expect(() => resolveCharts([fixtures])).toThrow(/has no Chart.yaml/);
  });
});
