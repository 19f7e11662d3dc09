/** Repository files that have one right content: the license, and the README's claims about the scripts. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSTEM_PACKAGES } from './install.js';
import { repoRoot } from './tools.js';

const root = repoRoot();
const read = (f: string) => readFileSync(join(root, f), 'utf8');

describe('LICENSE', () => {
  it('should be the canonical Apache License 2.0 text (apache.org LICENSE-2.0.txt, byte for byte)', () => {
    const sha = createHash('sha256')
      .update(readFileSync(join(root, 'LICENSE')))
      .digest('hex');
    expect(sha).toBe('cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30');
    expect(read('package.json')).toContain('"license": "Apache-2.0"');
  });
});

describe('README.md', () => {
  it('should name every Debian package setup.sh installs and the installer checks', () => {
    const readme = read('README.md');
    const setup = read('scripts/setup.sh');
    const installed = [...setup.matchAll(/need\+=\(([^)]+)\)/g)].flatMap((m) => m[1]!.split(/\s+/));
    for (const pkg of new Set([...installed, ...SYSTEM_PACKAGES.map((p) => p.pkg)])) {
      expect(readme, pkg).toContain(`\`${pkg}\``);
    }
  });

  it('should state the Go version the pinned tools need to build', () => {
    const pins = JSON.parse(read('scripts/tools.json')) as { tools: Record<string, { go?: { minGo?: string } }> };
    const newest = Object.values(pins.tools)
      .map((t) => t.go?.minGo ?? '0')
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .pop();
    expect(read('README.md')).toContain(`Go >= ${newest}`);
  });
});
