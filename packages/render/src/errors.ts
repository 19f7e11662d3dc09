import { redactUrls } from './redact.js';

/**
 * One error hierarchy for the renderer. Every error carries a stable `code` and, where a user can act, a `hint`
 * listing the fixes. The CLI decides the exit status from the class: {@link UsageError} exits 2, every other
 * {@link RenderError} exits 1 without a stack, anything else is an internal error and prints its stack.
 */

/** A rendering failure the user can fix (bad Application, missing file, escaping path, tool failure...). */
export class RenderError extends Error {
  override readonly name: string = 'RenderError';
  constructor(
    /** Stable machine-readable code, e.g. `E_PATH_OUTSIDE_ROOT`. */
    readonly code: string,
    message: string,
    /** How to fix it: printed after the message, usually as an `Either:` list. */
    hint?: string,
    options?: { cause?: unknown },
  ) {
    // Credentials in repository URLs never reach a message, whichever code path built it.
    super(redactUrls(message), options);
    this.hint = hint === undefined ? undefined : redactUrls(hint);
  }
  /** How to fix it: printed after the message, usually as an `Either:` list. */
  readonly hint?: string;
}

/** Wrong command-line usage or unreadable input (exit code 2). */
export class UsageError extends RenderError {
  override readonly name = 'UsageError';
}

/** Wraps `err` with Argo's `failed to generate manifest for source N of M: ...` prefix. */
export function wrapSourceError(err: unknown, index: number, total: number): RenderError {
  const base = asRenderError(err);
  return new RenderError(
    base.code,
    `failed to generate manifest for source ${index + 1} of ${total}: ${base.message}`,
    base.hint,
    { cause: err },
  );
}

/** Returns `err` as a {@link RenderError}, keeping code and hint when it already is one. */
export function asRenderError(err: unknown): RenderError {
  if (err instanceof RenderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RenderError('E_INTERNAL', message, undefined, { cause: err });
}

/** Formats an error for humans: message, then hint. */
export function formatError(err: unknown): string {
  if (err instanceof RenderError) return err.hint ? `${err.message}\n${err.hint}` : err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
