import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSummary, parseJUnit, resolveCharts, runHelmUnittest } from './helm-unittest.js';
import { ToolError } from './tools.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');

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
    expect(summary).toContain('1 passed, 1 failed');
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
