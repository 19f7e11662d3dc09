/**
 * One top-level handler for the repository's CLIs: user errors (a {@link ToolError} or a failed command) exit 1
 * without a stack, usage errors exit 2, anything else is an internal error and prints its stack.
 */
import { CommandError } from './run.js';
import { ToolError } from './tools.js';

/** A command-line mistake: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'E_USAGE';
}

/** Runs `body`, mapping errors to exit codes and messages on stderr. */
export async function runCli(body: () => Promise<number | undefined>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\nRun with --help for usage.\n`);
      process.exitCode = 2;
    } else if (error instanceof ToolError) {
      process.stderr.write(`error [${error.code}]: ${error.message}\n${error.hint ? error.hint + '\n' : ''}`);
      process.exitCode = 1;
    } else if (error instanceof CommandError) {
      process.stderr.write(`error [${error.code}]: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`internal error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 70;
    }
  }
}
