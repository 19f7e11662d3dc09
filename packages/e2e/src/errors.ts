/** The e2e error hierarchy: one class per way a run can end badly; the CLI maps them onto exit codes. */

export type E2eErrorCode = 'E2E_USAGE' | 'E2E_TIER_UNAVAILABLE' | 'E2E_TIER_UP' | 'E2E_CASE_FAILED' | 'E2E_INPUT';

export class E2eError extends Error {
  constructor(
    readonly code: E2eErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'E2eError';
  }
}

/** A tier cannot run on this machine (no Docker). A skip unless the caller requires the tier. */
export class TierUnavailable extends E2eError {
  constructor(
    readonly tier: string,
    readonly reason: string,
  ) {
    super(
      'E2E_TIER_UNAVAILABLE',
      `the ${tier} tier cannot run here: ${reason}\nEither:\n  - run it where a Docker engine answers (DOCKER_HOST or /var/run/docker.sock)\n  - use --tier process (real servers as local processes)`,
    );
  }
}

/**
 * An input the tiers are built from (the example deploy repo, a chart) is missing or unusable. Never replaced by a
 * stand-in: the message names the file and how to fix it; a tier failing to come up with it exits 2.
 */
export class InputError extends E2eError {
  constructor(message: string) {
    super('E2E_INPUT', message);
    this.name = 'InputError';
  }
}
