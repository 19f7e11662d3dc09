/** Picks and builds a tier by name; `auto` = kind where a Docker engine answers, else process. */
import { ContainersTier } from './containers/tier.js';
import { probeDocker } from './docker.js';
import { KindTier } from './kind/tier.js';
import { ProcessTier } from './process/tier.js';
import type { Tier, TierName } from './tier.js';

export type TierChoice = TierName | 'auto';
export const tierChoices: readonly TierChoice[] = ['process', 'containers', 'kind', 'auto'];

export interface CreateTierOptions {
  /** Keep the run folder (configs, certificates, logs) after teardown. */
  keep?: boolean;
}

/** Resolves `auto` by asking Docker (never throws). */
export async function resolveTier(choice: TierChoice, env: NodeJS.ProcessEnv = process.env): Promise<TierName> {
  if (choice !== 'auto') return choice;
  return (await probeDocker(env)).ok ? 'kind' : 'process';
}

export function createTier(name: TierName, opts: CreateTierOptions = {}): Tier {
  switch (name) {
    case 'process':
      return new ProcessTier({ keep: opts.keep });
    case 'containers':
      return new ContainersTier({ keep: opts.keep });
    case 'kind':
      return new KindTier({ keep: opts.keep });
  }
}
