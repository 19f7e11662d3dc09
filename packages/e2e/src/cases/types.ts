/** A scenario case: data (id, what it proves, the expected outcome) paired with the action that exercises it. */
import type { Tier } from '../tier.js';

export interface Outcome {
  ok: boolean;
  /** The error the client saw (negative cases). */
  error?: string;
  /** Extra facts worth reporting (rows, counters). */
  detail?: unknown;
  /**
   * The case could not run on this machine, and why (e.g. the link cut without network namespaces): reported as
   * skipped with this reason, never as passed.
   */
  skipped?: string;
}

export interface Case {
  id: string;
  group: 'transport' | 'worker' | 'fault' | 'rotation';
  /** What it proves, one sentence. */
  title: string;
  /** Expected: success, or failure with an error matching `error`. */
  expect: { ok: true } | { ok: false; error: RegExp };
  /** Tiers it cannot run on, with the reason. */
  skip?: Partial<Record<Tier['name'], string>>;
  run(tier: Tier): Promise<Outcome>;
}

/** Checks an outcome against a case's expectation; returns a message when it does not match. */
export function mismatch(c: Case, o: Outcome): string | undefined {
  if (c.expect.ok && !o.ok) return `${c.id}: expected success, got: ${o.error}`;
  if (!c.expect.ok && o.ok) return `${c.id}: expected a failure matching ${c.expect.error}, but it succeeded`;
  if (!c.expect.ok && !c.expect.error.test(o.error ?? ''))
    return `${c.id}: expected an error matching ${c.expect.error}, got: ${o.error}`;
  return undefined;
}
