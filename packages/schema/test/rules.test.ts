import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDeployRepo } from '../src/lint.js';
import { MAX_FILE_BYTES } from '../src/repo.js';
import { rules } from '../src/rules/index.js';
import { materialize, ruleDir, rulesFixtures, validRepo } from './helpers.js';

/** Case directories of a rule: `fail`, `fail-<variant>`, `pass`, `pass-<variant>`. */
function casesOf(id: string, kind: 'fail' | 'pass'): string[] {
  const dir = path.join(rulesFixtures, ruleDir(id));
  return existsSync(dir) ? readdirSync(dir).filter((d) => d === kind || d.startsWith(`${kind}-`)) : [];
}

function run(id: string, kind: string) {
  const caseDir = path.join(rulesFixtures, ruleDir(id), kind);
  const { dir, cleanup } = materialize(caseDir);
  try {
    if (id === 'repo/file-too-large' && kind.startsWith('fail')) {
      writeFileSync(path.join(dir, 'site-a', 'huge.yaml'), `# GENERATED\n${'x: 1\n'.repeat(MAX_FILE_BYTES / 4)}`);
    }
    return { result: lintDeployRepo(dir), caseDir };
  } finally {
    cleanup();
  }
}

describe(lintDeployRepo, () => {
  it('should report nothing when the repo is the valid fixture', () => {
    const r = lintDeployRepo(validRepo);
    expect(r.findings).toEqual([]);
    expect(r.clusters).toEqual(['global-1', 'site-a']);
  });

  it('should have a failing and a passing fixture for every rule in the catalogue', () => {
    const missing = rules.flatMap((r) =>
      ['fail', 'pass']
        .filter((k) => !existsSync(path.join(rulesFixtures, ruleDir(r.id), k)))
        .map((k) => `${r.id} (${k})`),
    );
    expect(missing).toEqual([]);
    const stale = readdirSync(rulesFixtures).filter((d) => !rules.some((r) => ruleDir(r.id) === d));
    expect(stale).toEqual([]);
  });

  describe.each(rules.map((r) => [r.id, r] as const))('rule %s', (id, rule) => {
    it.each(casesOf(id, 'fail'))('should report the rule when fixture %s is linted', (kind) => {
      const { result, caseDir } = run(id, kind);
      const hits = result.findings.filter((f) => f.ruleId === id);
      expect(hits.length, JSON.stringify(result.findings, null, 2)).toBeGreaterThan(0);
      expect(hits[0]!.severity).toBe(rule.severity);
      const expectFile = path.join(caseDir, '_expect.txt');
      const expected = existsSync(expectFile) ? readFileSync(expectFile, 'utf8').trim() : '';
      if (expected && expected !== 'GENERATED') {
        expect(hits.map((h) => `${h.message} ${h.hint ?? ''}`).join('\n')).toContain(expected);
      }
      for (const h of hits) {
        expect(h.line).toBeGreaterThan(0);
        expect(h.column).toBeGreaterThan(0);
      }
    });

    it.each(casesOf(id, 'pass'))('should not report the rule when fixture %s is linted', (kind) => {
      const { result } = run(id, kind);
      expect(result.findings.filter((f) => f.ruleId === id)).toEqual([]);
    });

    it('should document the rule in one paragraph', () => {
      expect(rule.docs.length).toBeGreaterThan(80);
      expect(rule.docs).not.toContain('\n\n');
      expect(rule.title).toMatch(/^\S.*\S$/);
      expect(rule.title).not.toContain('\n');
    });

    it('should be a frozen catalogue entry with a stable <area>/<name> id and a one-argument check', () => {
      expect(rule.id).toMatch(/^[a-z]+\/[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(rules.filter((r) => r.id === rule.id)).toHaveLength(1);
      expect(['error', 'warning']).toContain(rule.severity);
      expect(typeof rule.check).toBe('function');
      expect(rule.check.length).toBe(1);
      expect(Object.isFrozen(rule)).toBe(true);
    });
  });
});

describe('LintOptions.rules', () => {
  it('should turn a rule off or change its severity when overridden', () => {
    const { dir, cleanup } = materialize(path.join(rulesFixtures, ruleDir('worker/ca-bundle-private-only'), 'fail'));
    try {
      expect(lintDeployRepo(dir).warningCount).toBe(1);
      expect(lintDeployRepo(dir, { rules: { 'worker/ca-bundle-private-only': 'off' } }).findings).toEqual([]);
      const upgraded = lintDeployRepo(dir, { rules: { 'worker/ca-bundle-private-only': 'error' } });
      expect(upgraded.errorCount).toBe(1);
      expect(upgraded.findings[0]!.severity).toBe('error');
    } finally {
      cleanup();
    }
  });
});

describe('lintDeployRepo finding order', () => {
  it('should list errors before warnings when a repo has both', () => {
    const { dir, cleanup } = materialize(path.join(rulesFixtures, ruleDir('worker/ca-bundle-private-only'), 'fail'));
    try {
      // An error in an earlier file than the warning: place alone would put it first anyway, so add one after it too.
      writeFileSync(path.join(dir, 'site-a', 'zz-later.yaml'), 'a: 1\na: 2\n');
      writeFileSync(path.join(dir, 'global-1', 'aa-earlier.yaml'), 'b: 1\nb: 2\n');
      const r = lintDeployRepo(dir);
      const severities = r.findings.map((f) => f.severity);
      expect(severities).toContain('warning');
      expect(severities.filter((s) => s === 'error').length).toBeGreaterThanOrEqual(2);
      expect(severities.indexOf('warning')).toBeGreaterThan(severities.lastIndexOf('error'));
      const files = r.findings.filter((f) => f.severity === 'error').map((f) => f.file);
      expect(files).toEqual([...files].sort());
    } finally {
      cleanup();
    }
  });
});
