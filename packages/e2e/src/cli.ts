/**
 * understack-e2e: runs the end-to-end scenario on a tier. `main(argv)` returns the exit code (the bin shim sets it).
 * Exit codes: 0 every selected case passed; 1 a case failed; 2 usage or environment error (incl. a tier that failed
 * to come up, or Docker required but absent); 3 the tier was skipped (no Docker), nothing ran.
 */
import { parseArgs } from 'node:util';
import { loadCases } from './cases/index.js';
import { dockerRequired } from './docker.js';
import { E2eError } from './errors.js';
import { type RunReport, runScenario, selectCases } from './runner.js';
import { createTier, resolveTier, type TierChoice, tierChoices } from './tiers.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, skipped: 3 } as const;

export const HELP = `Usage: understack-e2e [options]

Proves with real servers that a site's Nautobot worker reaches the global PostgreSQL and Redis through the
TLS-passthrough gateway with mutual TLS, and that everything else is rejected.

Options:
      --tier <tier>        process | containers | kind | auto (default auto: kind where Docker answers, else process)
      --only <case>        run only this case id or group (transport, worker, fault, rotation);
                           repeatable or comma-separated
      --list               list the cases (id, group, title) and exit
      --keep               keep the run folder (configs, certificates, logs) and print its path
      --json               print one JSON report on stdout (progress stays on stderr)
      --require-docker     a missing Docker engine is an error (exit 2), not a skip (also E2E_REQUIRE_DOCKER=1)
  -h, --help               show this help

Exit codes: 0 all selected cases passed; 1 a case failed (the artifacts folder is named); 2 usage or environment
error; 3 the tier was skipped (no Docker), nothing ran.
`;

/** CLI options, one typed object (parsed from argv). */
export interface CliOptions {
  /** Tier to run, or `auto`. */
  tier: TierChoice;
  /** Case ids or groups to run (all when empty). */
  only: string[];
  list: boolean;
  keep: boolean;
  json: boolean;
  requireDocker: boolean;
  help: boolean;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  // `pnpm test:e2e -- --tier process` passes the separator through: a leading `--` is not an argument.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        tier: { type: 'string', default: 'auto' },
        only: { type: 'string', multiple: true, default: [] },
        list: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'require-docker': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new E2eError('E2E_USAGE', `${(e as Error).message}\nEither: see understack-e2e --help`, { cause: e });
  }
  const v = parsed.values as Record<string, unknown>;
  const tier = String(v.tier);
  if (!tierChoices.includes(tier as TierChoice))
    throw new E2eError('E2E_USAGE', `--tier ${tier}: unknown tier\nEither: --tier ${tierChoices.join(' | ')}`);
  return {
    tier: tier as TierChoice,
    only: (v.only as string[]) ?? [],
    list: Boolean(v.list),
    keep: Boolean(v.keep),
    json: Boolean(v.json),
    requireDocker: Boolean(v['require-docker']) || dockerRequired(env),
    help: Boolean(v.help),
  };
}

/** The exit code a report means. */
export function exitCode(report: RunReport): number {
  switch (report.status) {
    case 'passed':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    case 'skipped':
      return EXIT.skipped;
    case 'error':
      return EXIT.usage;
  }
}

function human(report: RunReport): string {
  const lines = [`understack-e2e: tier ${report.tier}${report.isolation ? ` (${report.isolation})` : ''}`];
  for (const [k, v] of Object.entries(report.versions)) lines.push(`  ${k}: ${v}`);
  for (const r of report.results) {
    const mark = r.status === 'passed' ? 'ok  ' : r.status === 'failed' ? 'FAIL' : 'skip';
    lines.push(`${mark} ${r.id} (${r.ms} ms)${r.status === 'passed' ? '' : ` — ${r.message ?? ''}`}`);
  }
  const n = (s: string) => report.results.filter((r) => r.status === s).length;
  lines.push(
    `${report.status}: ${n('passed')} passed, ${n('failed')} failed, ${n('skipped')} skipped in ${(report.ms / 1000).toFixed(1)} s`,
  );
  if (report.message) lines.push(report.message);
  if (report.artifacts) lines.push(`artifacts: ${report.artifacts}`);
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (e) {
    process.stderr.write(`understack-e2e: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  try {
    const cases = selectCases(await loadCases(), opts.only);
    if (opts.list) {
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify(
            cases.map((c) => ({ id: c.id, group: c.group, title: c.title })),
            null,
            2,
          )}\n`,
        );
      else for (const c of cases) process.stdout.write(`${c.id}\t${c.group}\t${c.title}\n`);
      return EXIT.ok;
    }
    const name = await resolveTier(opts.tier);
    const tier = createTier(name, { keep: opts.keep });
    const report = await runScenario(tier, cases, { requireTier: opts.requireDocker });
    if (opts.keep) process.stderr.write(`kept: ${tier.runDir}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(human(report));
    return exitCode(report);
  } catch (e) {
    if (e instanceof E2eError) {
      process.stderr.write(`understack-e2e: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`understack-e2e: internal error: ${(e as Error).stack ?? e}\n`);
    return EXIT.usage;
  }
}

// `tsx src/cli.ts` (the package's test:e2e script) runs it directly; the bin shim imports main from dist/.
if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
