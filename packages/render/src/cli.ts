/**
 * The `understack-render` command-line entry: dispatches to `render` (default) or `diff`, and is the one place that
 * decides how the process exits: 0 ok, 1 render failures or differences (with --exit-code), 2 usage or I/O errors.
 * User errors print their message and hint without a stack; internal errors print the stack.
 */
import { readFileSync } from 'node:fs';
import { renderCommand } from './commands/render.js';
import { formatError, RenderError, UsageError } from './errors.js';
import { removeAllSessionDirs, runInterruptCleanups } from './session.js';
import { defaultArgoVersion, supportedArgoVersions, toolsFor } from './tools.js';

function installSignalHandlers(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\ninterrupted: removing temporary files\n`);
      runInterruptCleanups();
      removeAllSessionDirs();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** `understack-render --version`: the package version and the tools of each emulated Argo CD release. */
function versionText(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const lines = [`understack-render ${pkg.version}`];
  for (const v of supportedArgoVersions()) {
    try {
      const t = toolsFor(v);
      lines.push(
        `  Argo CD ${v}${v === defaultArgoVersion() ? ' (default)' : ''}: helm ${t.helm.version}, kustomize ${t.kustomize.version}`,
      );
    } catch (err) {
      lines.push(`  Argo CD ${v}: ${(err as Error).message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI with `argv` (without node and script) and sets the exit code. */
export async function main(argv: string[]): Promise<void> {
  installSignalHandlers();
  try {
    if (argv[0] === '--version' || argv[0] === 'version') {
      process.stdout.write(versionText());
      return;
    }
    const code =
      argv[0] === 'diff'
        ? await (await import('./commands/diff.js')).diffCommand(argv.slice(1))
        : await renderCommand(argv[0] === 'render' ? argv.slice(1) : argv);
    process.exitCode = code;
  } catch (err) {
    const parseError = err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseError) {
      process.stderr.write(
        `error: ${parseError ? (err as Error).message : formatError(err)}\nRun \`understack-render --help\` for usage.\n`,
      );
      process.exitCode = 2;
    } else if (err instanceof RenderError) {
      process.stderr.write(`error: ${formatError(err)}\n`);
      process.exitCode = err.code === 'E_DEPLOY_REPO' || err.code === 'E_YAML' ? 2 : 1;
    } else {
      process.stderr.write(`internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 2;
    }
  }
}
