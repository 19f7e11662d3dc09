/**
 * The example deploy repo (examples/deploy, owned by the examples author) must lint clean: it is what the README's
 * main command renders and lints, and what new sites are copied from.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../scripts/lib/codegen.js';
import { formatText } from '../src/format.js';
import { lintDeployRepo } from '../src/lint.js';

const examples = path.join(repoRoot, 'examples', 'deploy');

describe('examples/deploy', () => {
  // examples/deploy lives outside this package; a consumer of the packed package has none.
  it.runIf(existsSync(examples))('should lint clean (no errors, no warnings)', () => {
    const r = lintDeployRepo(examples);
    expect(r.findings, formatText(r)).toEqual([]);
    expect(r.clusters.length).toBeGreaterThanOrEqual(2);
  });
});
