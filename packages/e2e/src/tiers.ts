/** Picks and builds a tier by name; `auto` = kind where a Docker engine answers, else process. */
import { ContainersTier } from './containers/tier.js';
import { probeDocker } from './docker.js';
import { KindTier } from './kind/tier.js';
import { step } from './log.js';
import { ProcessTier } from './process/tier.js';
import type { Tier, TierName } from './tier.js';
import { migratedSnapshot } from './worker/nautobot.js';

export type TierChoice = TierName | 'auto';
export const tierChoices: readonly TierChoice[] = ['process', 'containers', 'kind', 'auto'];

export interface CreateTierOptions {
  /** Keep the run folder (configs, certificates, logs) after teardown. */
  keep?: boolean;
  /**
   * process tier: the PostgreSQL data directory to start from. Default: the migrated snapshot for this Nautobot and
   * PostgreSQL (`migratedSnapshot()`), so warm CLI runs of the worker/fault/rotation groups skip `migrate`; `null`
   * starts from initdb.
   */
  postgresDataDir?: string | null;
}

/** The migrated snapshot if the cache has one (reported either way; a cold run migrates and saves it). */
function snapshotForCli(): string | undefined {
  try {
    const snap = migratedSnapshot();
    step(snap ? `migrated snapshot ${snap}` : 'no migrated snapshot yet: a worker case migrates (cold) and saves one');
    return snap;
  } catch (e) {
    step(`no migrated snapshot: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** Resolves `auto` by asking Docker (never throws). */
export async function resolveTier(choice: TierChoice, env: NodeJS.ProcessEnv = process.env): Promise<TierName> {
  if (choice !== 'auto') return choice;
  return (await probeDocker(env)).ok ? 'kind' : 'process';
}

export function createTier(name: TierName, opts: CreateTierOptions = {}): Tier {
  switch (name) {
    case 'process':
      return new ProcessTier({
        keep: opts.keep,
        postgresDataDir: opts.postgresDataDir === null ? undefined : (opts.postgresDataDir ?? snapshotForCli()),
      });
    case 'containers':
      return new ContainersTier({ keep: opts.keep });
    case 'kind':
      return new KindTier({ keep: opts.keep });
  }
}
