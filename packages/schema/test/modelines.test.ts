/**
 * Editors: every `# yaml-language-server: $schema=...` line we commit or document must resolve, or the editor silently
 * validates nothing. Relative modelines must name an existing schema file; the README's CDN and node_modules forms must
 * name this package's version and an existing schema.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageDir, repoRoot, schemasDir } from '../scripts/lib/codegen.js';

const MODELINE = /yaml-language-server:\s*\$schema=(\S+)/g;

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    if (e === 'node_modules' || e.startsWith('.')) return [];
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(e) ? [p] : [];
  });
}

describe('yaml-language-server modelines', () => {
  const files = [
    ...yamlFiles(path.join(repoRoot, 'examples')),
    ...yamlFiles(path.join(packageDir, 'test', 'fixtures')),
  ];
  const lines = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(MODELINE)].map((m) => [f, m[1]!] as const));

  it('should find the modelines of the example deploy repo', () => {
    expect(lines.length).toBeGreaterThan(0);
  });

  it.each(lines.map(([f, target]) => [path.relative(repoRoot, f), target]))(
    'should resolve the modeline of %s (%s) to a schema file',
    (rel, target) => {
      expect(target).not.toMatch(/^https?:/); // committed modelines point at files; the README documents the CDN form
      const resolved = path.resolve(path.dirname(path.join(repoRoot, rel)), target);
      expect(existsSync(resolved), `${rel}: ${target} resolves to ${resolved}, which does not exist`).toBe(true);
      expect(path.dirname(resolved)).toBe(schemasDir);
    },
  );

  it('should document modelines that name this version and existing schemas', () => {
    const readme = readFileSync(path.join(packageDir, 'README.md'), 'utf8');
    const version = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
    const documented = [...readme.matchAll(/@understack\/schema(@[^/\s]+)?\/schemas\/([\w-]+\.schema\.json)/g)];
    expect(documented.length).toBeGreaterThan(0);
    for (const [whole, at, file] of documented) {
      if (at) expect(at, `${whole}: the CDN modeline must pin the package version`).toBe(`@${version}`);
      expect(existsSync(path.join(schemasDir, file!)), `${whole}: no such schema`).toBe(true);
    }
  });
});
