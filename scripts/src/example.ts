/**
 * Usage: pnpm example [deploy-repo] [--out dir]
 *
 * The README's main job: renders every cluster of a deploy repo (default: examples/deploy) exactly as Argo CD
 * would, with `understack-render`, writes the manifests under `.out/example/`, lints the repo with
 * `understack-lint`, and prints a short summary. Exit 0 when both succeed, 1 otherwise.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli, UsageError } from './cli.js';
import { run } from './run.js';
import { repoRoot, ToolError, toolEnv } from './tools.js';

const HELP = `Usage: pnpm example [deploy-repo] [--out dir]

Renders every cluster of the deploy repo (default examples/deploy) as Argo CD would and lints it.
  --out <dir>   where rendered manifests go (default .out/example)
  -h, --help    show this help
Exit codes: 0 rendered and lint-clean, 1 render errors or lint findings, 2 usage error.
`;

interface Step {
  name: string;
  ok: boolean;
  summary: string;
  ms: number;
}

function bin(root: string, pkg: string, name: string): string {
  const path = join(root, 'packages', pkg, 'bin', `${name}.js`);
  const dist = join(root, 'packages', pkg, 'dist');
  if (!existsSync(path) || !existsSync(dist)) {
    throw new ToolError(
      'E_NOT_BUILT',
      `${name} is not built (${relative(root, dist)} is missing)`,
      'Run `pnpm build`.',
    );
  }
  return path;
}

async function step(name: string, file: string, args: string[], root: string): Promise<Step> {
  const started = Date.now();
  process.stderr.write(`\n==> ${name}: ${[relative(root, file), ...args].join(' ')}\n`);
  const result = await run(process.execPath, [file, ...args], {
    env: toolEnv(process.env, root),
    reject: false,
    stdout: ['pipe', 'inherit'],
    stderr: 'inherit',
  });
  const lastLine =
    result.stdout
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .pop() ?? '';
  return { name, ok: result.exitCode === 0, summary: lastLine, ms: Date.now() - started };
}

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
    const root = repoRoot();
    const repo = resolve(parsed.positionals[0] ?? join(root, 'examples', 'deploy'));
    if (!existsSync(repo)) throw new UsageError(`deploy repo not found: ${repo}`);
    const out = resolve(parsed.values.out ?? join(root, '.out', 'example'));
    const steps = [
      await step('render', bin(root, 'render', 'understack-render'), [repo, '--out', out], root),
      await step('lint', bin(root, 'schema', 'understack-lint'), [repo], root),
    ];
    process.stdout.write('\nSummary\n');
    for (const s of steps) {
      process.stdout.write(`  ${s.ok ? '✓' : '✗'} ${s.name.padEnd(7)} ${(s.ms / 1000).toFixed(1)} s  ${s.summary}\n`);
    }
    process.stdout.write(`  manifests: ${relative(process.cwd(), out) || '.'}\n`);
    return steps.every((s) => s.ok) ? 0 : 1;
  });
}

const parse = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2));
}
