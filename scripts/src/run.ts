/**
 * Running child processes: one place that redacts credentials from printed command lines and turns a failure into
 * an error that shows the command, the exit code and the tail of stderr.
 */
import { type Options as ExecaOptions, execa } from 'execa';

/** Flags whose next argument is a secret, and `key=value` arguments whose key looks like one. */
const SECRET_FLAGS = new Set(['--password', '--pass', '--token', '--client-secret', '--secret', '--key-password']);
const SECRET_KEY = /(password|passwd|secret|token|apikey|api_key|credential)/i;

/** Returns a copy of `args` safe to print: secret flag values and `k=v` pairs with secret-looking keys masked. */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const prev = i > 0 ? args[i - 1]! : '';
    if (SECRET_FLAGS.has(prev)) {
      out.push('******');
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      const key = arg.slice(0, eq);
      if (SECRET_FLAGS.has(key) || SECRET_KEY.test(key)) {
        out.push(`${key}=******`);
        continue;
      }
    }
    // URLs with user:password@ credentials.
    out.push(arg.replace(/(\w+:\/\/)([^/@\s:]+):([^/@\s]+)@/g, '$1$2:******@'));
  }
  return out;
}

/** A printable, redacted command line. */
export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...redactArgs(args)].map((a) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** A child process that exited non-zero or could not start. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly code = 'E_COMMAND';
  constructor(
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderrTail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `command failed${exitCode === undefined ? '' : ` with exit code ${exitCode}`}: ${command}` +
        (stderrTail ? `\n${stderrTail}` : ''),
      options,
    );
  }
}

/** Result of {@link run}. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Options for {@link run}: execa's, plus whether a non-zero exit is an error (default yes). */
export type RunOptions = Omit<ExecaOptions, 'encoding' | 'lines' | 'buffer'> & { reject?: boolean };

/** Last `lines` lines of `text`, for error messages. */
export function tail(text: string, lines = 20): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Runs `file args`, capturing output. A non-zero exit throws {@link CommandError} unless `reject: false`. */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { reject = true, ...rest } = options;
  const result = await execa(file, args, { ...rest, reject: false, all: false, stripFinalNewline: false });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  const exitCode = result.exitCode ?? (result.failed ? -1 : 0);
  if (reject && (result.failed || exitCode !== 0)) {
    const why = result.failed && result.exitCode === undefined ? String(result.shortMessage ?? '') : stderr;
    throw new CommandError(formatCommand(file, args), result.exitCode, tail(why));
  }
  return { stdout, stderr, exitCode };
}
