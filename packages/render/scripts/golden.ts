/**
 * Golden renders: what `understack-render <deploy-repo> --out <dir>` writes for the deploy repositories this project
 * ships, committed under test/golden/<case>/ and checked by test/golden.test.ts (generate-and-diff gate).
 * Regenerate with `pnpm --filter @understack/render generate`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDeployRepo } from '../src/cluster.js';
import { renderFiles } from '../src/output.js';
import { understackRoot } from '../src/tools.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));

/** A golden case: a deploy repository rendered with an UnderStack checkout. */
export interface GoldenCase {
  name: string;
  deploy: string;
  understack: string;
}

/** Every case whose inputs exist (examples/deploy appears once the example deploy repository is committed). */
export function goldenCases(): GoldenCase[] {
  const root = understackRoot();
  const cases: GoldenCase[] = [
    {
      name: 'fixture-deploy',
      deploy: join(PKG, 'test/fixtures/deploy'),
      understack: join(PKG, 'test/fixtures/understack'),
    },
  ];
  if (existsSync(join(root, 'examples/deploy')))
    cases.push({ name: 'examples-deploy', deploy: join(root, 'examples/deploy'), understack: root });
  return cases;
}

/** Golden folder of a case. */
export function goldenDir(name: string): string {
  return join(PKG, 'test/golden', name);
}

export const BANNER =
  '# Golden render (generated)\n\nWritten by `packages/render/scripts/generate-golden.ts`; regenerate with `pnpm --filter @understack/render generate`.\n' +
  'Each file is what `understack-render <deploy-repo> --out <dir>` writes (target mode, Argo CD 3.5 defaults).\n';

/** Renders a case to relative path -> content (including the banner file). Throws when any app fails. */
export async function renderCase(c: GoldenCase): Promise<Map<string, string>> {
  const result = await renderDeployRepo(c.deploy, { understack: c.understack, cacheDir: false });
  if (!result.ok) {
    const errors = result.clusters.flatMap((cl) => [cl.error, ...cl.apps.map((a) => a.error)]).filter(Boolean);
    throw new Error(`golden case ${c.name} failed to render:\n${errors.map((e) => e!.message).join('\n')}`);
  }
  const files = renderFiles(result, 'target');
  files.set('GENERATED.md', BANNER);
  return files;
}

/** Reads a golden folder back (relative path -> content). */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.set(r, readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(dir, '');
  return out;
}

/** Replaces a golden folder with `files`. */
export function writeGolden(name: string, files: Map<string, string>): void {
  const dir = goldenDir(name);
  rmSync(dir, { recursive: true, force: true });
  for (const [rel, content] of files) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
}
