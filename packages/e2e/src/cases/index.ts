/** The case registry: every case of the scenario, by group, in run order. */
import { transportCases } from './transport.js';
import type { Case } from './types.js';

export type { Case, Outcome } from './types.js';
export { mismatch } from './types.js';

const registry: Case[] = [...transportCases];

/** Adds cases (the worker, fault and rotation groups register here). */
export function register(...cases: Case[]): void {
  for (const c of cases) {
    if (registry.some((r) => r.id === c.id)) throw new Error(`duplicate case id ${c.id}`);
    registry.push(c);
  }
}

export function allCases(): readonly Case[] {
  return registry;
}
