/**
 * turbo.json must name every file a cached task reads, or turbo replays a stale result. These checks compare it with
 * the files the tasks really read: each package's tsconfig `include` (typecheck) and the files the installer builds
 * the virtualenv from (every test that runs Python).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './tools.js';

const root = repoRoot();
const turbo = JSON.parse(readFileSync(join(root, 'turbo.json'), 'utf8')) as {
  globalDependencies: string[];
  tasks: Record<string, { inputs?: string[]; env?: string[] }>;
};

/** Every workspace member with a tsconfig.json: packages/*, charts/*, scripts. */
function members(): string[] {
  const out = ['scripts'];
  for (const parent of ['packages', 'charts']) {
    for (const d of readdirSync(join(root, parent), { withFileTypes: true })) {
      if (d.isDirectory()) out.push(`${parent}/${d.name}`);
    }
  }
  return out.filter((m) => existsSync(join(root, m, 'tsconfig.json')));
}

/** True when one of the turbo input globs covers `path` (package-relative). */
function covered(path: string, inputs: string[]): boolean {
  return inputs.some((glob) => {
    if (glob === '$TURBO_DEFAULT$') return true;
    if (glob.endsWith('/**')) return path === glob.slice(0, -3) || path.startsWith(glob.slice(0, -2));
    return path === glob;
  });
}

describe('turbo.json typecheck inputs', () => {
  it.each(members())('should cover every file %s/tsconfig.json includes', (member) => {
    const tsconfig = JSON.parse(readFileSync(join(root, member, 'tsconfig.json'), 'utf8')) as { include?: string[] };
    const inputs = turbo.tasks['typecheck']?.inputs ?? ['$TURBO_DEFAULT$'];
    for (const include of tsconfig.include ?? []) {
      // `src/**/*.ts` -> `src/x`; `vitest.config.ts` stays a file name.
      const probe = include.includes('*') ? include.slice(0, include.indexOf('*')) + 'x' : include;
      expect(covered(probe, inputs), `${member}: typecheck inputs miss "${include}"`).toBe(true);
    }
  });

  it('should cover the JSON Schemas the schema package generates types from before it typechecks', () => {
    const scripts = JSON.parse(readFileSync(join(root, 'packages/schema/package.json'), 'utf8')).scripts as Record<
      string,
      string
    >;
    if (/codegen/.test(scripts['typecheck'] ?? '')) {
      expect(covered('schemas/x.schema.json', turbo.tasks['typecheck']?.inputs ?? [])).toBe(true);
    }
  });
});

describe('turbo.json globalDependencies', () => {
  it('should include every file the virtualenv is built from, so Python-backed tests rerun when a pin changes', () => {
    const install = readFileSync(join(root, 'scripts/src/install.ts'), 'utf8');
    for (const file of ['requirements.txt', 'requirements.lock', 'scripts/tools.json']) {
      if (file.startsWith('requirements')) expect(install).toContain(`'${file}'`);
      expect(turbo.globalDependencies).toContain(file);
    }
  });

  it('should make every lint task depend on the root biome.json that `biome check` reads', () => {
    expect(turbo.tasks['lint']?.inputs).toContain('$TURBO_ROOT$/biome.json');
  });
});
