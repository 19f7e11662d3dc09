/** Errors that end a lint run before any rule runs (CLI exit code 2). Findings are not errors: see `Finding`. */
export type LintErrorCode =
  | 'E_NOT_FOUND'
  | 'E_NOT_A_DIRECTORY'
  | 'E_NOT_DEPLOY_REPO'
  | 'E_UNKNOWN_CLUSTER'
  | 'E_IO'
  | 'E_USAGE';

export class LintError extends Error {
  override readonly name = 'LintError';
  constructor(
    readonly code: LintErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
