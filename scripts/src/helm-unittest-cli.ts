/**
 * Usage: understack-helm-unittest [chart...] [--update-snapshots] [--json]
 *
 * Runs helm-unittest (suites under tests/**\/*_test.yaml) for the named charts — folders, or names under charts/ —
 * or for every chart when none is named, and prints a summary. Exit 0 when every test passes, 1 otherwise,
 * 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { runCli, UsageError } from './cli.js';
import { type ChartResult, formatSummary, resolveCharts, runHelmUnittest } from './helm-unittest.js';

const HELP = `Usage: understack-helm-unittest [chart...] [options]

Runs helm-unittest for each chart (a folder with Chart.yaml, or a name under charts/);
all charts under charts/ when none is given. Suites: tests/**/*_test.yaml.

Options:
  -u, --update-snapshots  update snapshot files instead of comparing
      --json              print the results as JSON on stdout
  -h, --help              show this help

Exit codes: 0 all passed, 1 a test failed or a chart could not be tested, 2 usage error.
`;

const OPTIONS = {
  'update-snapshots': { type: 'boolean', short: 'u' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (args: string[]) => parseArgs({ args, allowPositionals: true, options: OPTIONS });

export async function main(argv: string[]): Promise<void> {
  await runCli(async () => {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const charts = resolveCharts(parsed.positionals);
    if (charts.length === 0) throw new UsageError('no charts found under charts/');
    const results: ChartResult[] = [];
    for (const chart of charts) {
      process.stderr.write(`helm unittest ${chart}\n`);
      results.push(await runHelmUnittest(chart, { updateSnapshots: parsed.values['update-snapshots'] ?? false }));
    }
    if (parsed.values.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    else process.stdout.write(formatSummary(results) + '\n');
    return results.every((r) => !r.error && r.failures.length === 0) ? 0 : 1;
  });
}
