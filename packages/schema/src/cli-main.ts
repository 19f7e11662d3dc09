/**
 * understack-lint: lint a deploy repo before pushing it.
 * Exit codes: 0 no errors (warnings allowed unless --strict), 1 findings, 2 usage or I/O error.
 */
import { readFileSync } from 'node:fs';
import { LintError } from './errors.js';
import { formatJson, formatSarif, formatText, type OutputFormat } from './format.js';
import { type LintOptions, lintDeployRepo } from './lint.js';
import { rules } from './rules/index.js';
import { didYouMean } from './suggest.js';

export const USAGE = `Usage: understack-lint <deploy-repo> [options]

Lints a deploy repo (one directory per cluster, each with a deploy.yaml) against the UnderStack schemas and the
mTLS / site-worker rules. Findings: file:line:col  <json.path>  <message>  [rule-id].

Options:
  --cluster <name>        lint only this cluster (others are still read for cross-cluster checks)
  --format <fmt>          text (default), json or sarif
  --json                  same as --format json
  --db-user <name>        PostgreSQL user client certificates must name (default: CNPG initdb owner, else app)
  --strict                exit 1 on warnings too
  --list-rules            print the rule catalogue and exit
  --explain <rule-id>     print one rule's documentation and exit
  -h, --help              show this help
  -v, --version           print the version

Exit codes: 0 clean, 1 findings (errors; warnings too with --strict), 2 usage or I/O error.`;

/** Parsed command line; one typed object mirrors every flag. */
export interface CliOptions {
  repo?: string;
  cluster?: string;
  format: OutputFormat;
  dbUser?: string;
  strict: boolean;
  listRules: boolean;
  explain?: string;
  help: boolean;
  version: boolean;
}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { format: 'text', strict: false, listRules: false, help: false, version: false };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let inline: string | undefined;
    if (a.startsWith('--') && a.includes('=')) {
      inline = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    const take = () => {
      if (inline !== undefined) return inline;
      const v = value(i, a);
      i++;
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '-v':
      case '--version':
        o.version = true;
        break;
      case '--json':
        o.format = 'json';
        break;
      case '--strict':
        o.strict = true;
        break;
      case '--list-rules':
        o.listRules = true;
        break;
      case '--cluster':
        o.cluster = take();
        break;
      case '--explain':
        o.explain = take();
        break;
      case '--db-user':
        o.dbUser = take();
        break;
      case '--format': {
        const f = take();
        if (f !== 'text' && f !== 'json' && f !== 'sarif')
          throw new UsageError(`--format must be text, json or sarif, not "${f}"`);
        o.format = f;
        break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (o.repo !== undefined)
          throw new UsageError(`only one deploy repo can be linted at a time (got "${o.repo}" and "${a}")`);
        o.repo = a;
    }
  }
  return o;
}

export function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
}

export function runCli(argv: string[], io: CliIo): number {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    io.stderr(`understack-lint: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (opts.version) {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }
  if (opts.explain !== undefined) {
    const rule = rules.find((r) => r.id === opts.explain);
    if (!rule) {
      const guess = didYouMean(
        opts.explain,
        rules.map((r) => r.id),
      );
      io.stderr(
        `understack-lint: unknown rule "${opts.explain}"${guess ? `: did you mean "${guess}"?` : ''} (see --list-rules)\n`,
      );
      return 2;
    }
    io.stdout(`${rule.id} (${rule.severity}): ${rule.title}\n\n${rule.docs}\n`);
    return 0;
  }
  if (opts.listRules) {
    if (opts.format === 'json')
      io.stdout(
        `${JSON.stringify(
          rules.map(({ check: _c, ...r }) => r),
          null,
          2,
        )}\n`,
      );
    else io.stdout(rules.map((r) => `${r.id.padEnd(36)} ${r.severity.padEnd(8)} ${r.title}`).join('\n') + '\n');
    return 0;
  }
  if (!opts.repo) {
    io.stderr(`understack-lint: missing <deploy-repo>\n\n${USAGE}\n`);
    return 2;
  }
  const lintOptions: LintOptions = {};
  if (opts.cluster !== undefined) lintOptions.cluster = opts.cluster;
  if (opts.dbUser !== undefined) lintOptions.dbUser = opts.dbUser;
  try {
    const result = lintDeployRepo(opts.repo, lintOptions);
    const out =
      opts.format === 'json'
        ? formatJson(result)
        : opts.format === 'sarif'
          ? formatSarif(result, packageVersion())
          : formatText(result);
    io.stdout(out);
    return result.errorCount > 0 || (opts.strict && result.warningCount > 0) ? 1 : 0;
  } catch (err) {
    if (err instanceof LintError) {
      io.stderr(`understack-lint: ${err.message} [${err.code}]\n`);
      return 2;
    }
    // An internal error: a bug, not bad input. Show the stack so it can be reported.
    io.stderr(`understack-lint: internal error, please report it:\n${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
}
