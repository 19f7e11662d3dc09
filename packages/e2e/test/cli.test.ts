/** The CLI: options, exit codes, case selection, and the Docker tiers' skip-or-fail on a machine without Docker. */
import { describe, expect, it } from 'vitest';
import { loadCases } from '../src/cases/index.js';
import { EXIT, exitCode, HELP, main, parseCli } from '../src/cli.js';
import { probeDocker } from '../src/docker.js';
import type { ProcessTier } from '../src/process/tier.js';
import { type RunReport, selectCases } from '../src/runner.js';
import { createTier } from '../src/tiers.js';
import { migratedSnapshot } from '../src/worker/nautobot.js';

const dockerOk = (await probeDocker()).ok;

describe(parseCli, () => {
  it('should default to --tier auto with every case when no option is given', () => {
    expect(parseCli([], {})).toEqual({
      tier: 'auto',
      only: [],
      list: false,
      keep: false,
      json: false,
      requireDocker: false,
      help: false,
    });
  });

  it('should collect repeated --only values and read E2E_REQUIRE_DOCKER when given', () => {
    const o = parseCli(['--tier', 'process', '--only', 'a', '--only', 'b,c', '--keep', '--json'], {
      E2E_REQUIRE_DOCKER: '1',
    });
    expect(o).toMatchObject({ tier: 'process', only: ['a', 'b,c'], keep: true, json: true, requireDocker: true });
  });

  it('should ignore the leading -- separator that pnpm passes through', () => {
    expect(parseCli(['--', '--tier', 'process'], {}).tier).toBe('process');
  });

  it.each([
    [['--tier', 'docker'], /--tier docker: unknown tier\nEither: --tier process \| containers \| kind \| auto/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--tier'], /argument missing/],
  ])('should refuse %j with a usage error', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrowError(message);
    try {
      parseCli(argv, {});
    } catch (e) {
      expect((e as { code: string }).code).toBe('E2E_USAGE');
    }
  });
});

describe(exitCode, () => {
  it.each([
    ['passed', EXIT.ok],
    ['failed', EXIT.failed],
    ['error', EXIT.usage],
    ['skipped', EXIT.skipped],
  ] as const)('should map a %s report to exit %i', (status, code) => {
    expect(exitCode({ status } as RunReport)).toBe(code);
  });
});

describe(selectCases, () => {
  it('should select by group and by id, in registry order, when --only names them', async () => {
    const all = await loadCases();
    expect(selectCases(all, []).length).toBe(all.length);
    expect(selectCases(all, ['transport']).every((c) => c.group === 'transport')).toBe(true);
    expect(selectCases(all, ['redis-wrong-password,pg-unknown-sni']).map((c) => c.id)).toEqual([
      'pg-unknown-sni',
      'redis-wrong-password',
    ]);
  });

  it('should name the unknown case and the valid groups when --only does not match', async () => {
    expect(() => selectCases([], ['nope'])).toThrowError(/unknown case "nope"/);
    const all = await loadCases();
    expect(() => selectCases(all, ['transport', 'nope'])).toThrowError(/- a group: transport/);
  });
});

describe(main, () => {
  it('should print the help and exit 0 when --help is given', async () => {
    expect(HELP).toMatch(/--tier <tier>/);
    expect(await main(['--help'])).toBe(0);
  });

  it('should exit 2 without running anything when an option is unknown', async () => {
    expect(await main(['--nope'])).toBe(EXIT.usage);
  });

  it.skipIf(dockerOk)('should skip (exit 3) the containers and kind tiers when no Docker engine answers', async () => {
    expect(await main(['--tier', 'containers', '--only', 'pg-unknown-sni', '--json'])).toBe(EXIT.skipped);
    expect(await main(['--tier', 'kind', '--only', 'pg-unknown-sni'])).toBe(EXIT.skipped);
  });

  it.skipIf(dockerOk)('should fail (exit 2) instead of skipping when Docker is required and absent', async () => {
    expect(await main(['--tier', 'containers', '--require-docker', '--only', 'pg-unknown-sni'])).toBe(EXIT.usage);
  });
});

describe(createTier, () => {
  it('should build the process tier on the migrated snapshot when the cache has one, so CLI runs are warm', async () => {
    const t = createTier('process') as ProcessTier;
    const cold = createTier('process', { postgresDataDir: null }) as ProcessTier;
    try {
      expect(t.opts.postgresDataDir).toBe(migratedSnapshot());
      expect(cold.opts.postgresDataDir).toBeUndefined();
    } finally {
      await t.down(); // never up: removes the run folder and the exit hook
      await cold.down();
    }
  });
});
