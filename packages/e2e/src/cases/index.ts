/**
 * The case registry: every case of the scenario, by group, in run order. Each group lives in `src/cases/<group>.ts`
 * and is listed in `caseModules` (loaded lazily, so the CLI's `--list`/`--help` stay fast and a group's heavy imports
 * load only when it runs).
 */
import type { Case } from './types.js';

export type { Case, Outcome } from './types.js';
export { mismatch } from './types.js';

/** One loader per case group, in run order. Worker, fault and rotation groups add their module here. */
export const caseModules: { group: Case['group']; load: () => Promise<Case[]> }[] = [
  { group: 'transport', load: async () => (await import('./transport.js')).transportCases },
  { group: 'worker', load: async () => (await import('./worker.js')).workerCases },
  { group: 'fault', load: async () => (await import('./faults.js')).faultCases },
];

const extra: Case[] = [];

/** Adds cases at run time (tests that build cases from fixtures). */
export function register(...cases: Case[]): void {
  extra.push(...cases);
}

/** Every case, in run order; ids are unique (a duplicate is a programming error, named). */
export async function loadCases(): Promise<Case[]> {
  const all: Case[] = [];
  for (const m of caseModules) all.push(...(await m.load()));
  all.push(...extra);
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.id)) throw new Error(`duplicate case id ${c.id}: every case id must be unique (src/cases/*.ts)`);
    seen.add(c.id);
  }
  return all;
}
