/** Unit tables for the small pure pieces: env substitution, comma escaping, versions, globs, redaction, diff. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './diff.js';
import { envsubst, goExpand } from './envsubst.js';
import { globToRegExp } from './glob.js';
import { cleanSetParameter, normalizeKubeVersion } from './helm.js';
import { splitYaml, toYaml } from './manifests.js';
import { resourceFileName } from './output.js';
import { formatCommand, redactArgs } from './redact.js';
import { normalizeChartRepo, normalizeRepoUrl, readGitHead } from './repos.js';
import { maxSatisfying, parseVersion } from './semver.js';

describe(envsubst, () => {
  it.each([
    ['$A-$B', 'x-y'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go os.Expand syntax under test, not a JS template
    ['${A}b', 'xb'],
    ['pa$$wd', 'pa$wd'],
    ['pa$wd', 'pa'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go os.Expand syntax under test, not a JS template
    ['${NOPE}x', 'x'],
    ['end$', 'end$'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go os.Expand syntax under test, not a JS template
    ['${}x', 'x'],
    ['$1x', 'x'],
    ['no vars', 'no vars'],
  ])('should expand %j to %j like os.Expand', (input, out) => {
    expect(envsubst(input, { A: 'x', B: 'y' })).toBe(out);
  });

  it('should leave a lone dollar before a non-name untouched', () => {
    expect(goExpand('a $ b', () => 'X')).toBe('a $ b');
  });
});

describe(cleanSetParameter, () => {
  it.each([
    ['a,b', 'a\\,b'],
    ['{a,b}', '{a,b}'],
    ['a\\,b', 'a\\,b'],
    [',', '\\,'],
    ['plain', 'plain'],
  ])('should turn %j into %j', (v, out) => expect(cleanSetParameter(v)).toBe(out));
});

describe(normalizeKubeVersion, () => {
  it.each([
    ['v1.29.3+k3s1', '1.29.3'],
    ['1.30.1+eks', '1.30.1'],
    ['1.31', '1.31'],
    ['v1.28.0-gke.100', '1.28.0'],
  ])('should normalise %s to %s', (v, out) => expect(normalizeKubeVersion(v)).toBe(out));

  it('should refuse a version without minor', () => expect(() => normalizeKubeVersion('1')).toThrow('could not parse'));
});

describe(maxSatisfying, () => {
  const tags = ['0.5.0', '0.5.1', '0.7.2', '0.8.0-rc1', '1.0.0', '1.2.3'];
  it.each([
    ['>=0.5.0', '1.2.3'],
    ['>0.5.0,<0.7.0', '0.5.1'],
    ['~0.5', '0.5.1'],
    ['^0.5.0', '0.5.1'],
    ['^1.0.0', '1.2.3'],
    ['0.7.x', '0.7.2'],
    ['1.0.0 - 1.2.0', '1.0.0'],
    ['<0.5.0 || >=1.2.0', '1.2.3'],
    ['>=0.8.0-rc0 <0.9.0', '0.8.0-rc1'],
    ['*', '1.2.3'],
  ])('should pick the highest match of %s', (c, out) => expect(maxSatisfying(tags, c)).toBe(out));

  it('should parse lenient versions as Masterminds does', () => {
    expect(parseVersion('0.5')).toMatchObject({ major: 0, minor: 5, patch: 0 });
    expect(parseVersion('v1')).toMatchObject({ major: 1 });
    expect(parseVersion('>=1.0')).toBeUndefined();
  });
});

describe(globToRegExp, () => {
  it.each([
    ['envs/*.yaml', false, 'envs/a.yaml', true],
    ['envs/*.yaml', false, 'envs/x/a.yaml', false],
    ['envs/**/*.yaml', false, 'envs/x/y/a.yaml', true],
    ['envs/**/*.yaml', false, 'envs/a.yaml', true],
    ['*.yaml', true, 'sub/a.yaml', true],
    ['{a,b}.yaml', true, 'b.yaml', true],
    ['[ab].yaml', false, 'c.yaml', false],
  ])('should match %s (cross-slash %s) against %s: %s', (p, cross, s, ok) =>
    expect(globToRegExp(p, cross).test(s)).toBe(ok),
  );
});

describe(redactArgs, () => {
  it('should mask credential flags, secret-looking --set keys and URL passwords', () => {
    expect(
      redactArgs([
        '--password',
        'hunter2',
        '--set',
        'db.password=x',
        '--set',
        'replicas=2',
        '--repo',
        'https://u:p@h/c',
        '--token=abc',
      ]),
    ).toEqual([
      '--password',
      '******',
      '--set',
      'db.password=******',
      '--set',
      'replicas=2',
      '--repo',
      'https://u:******@h/c',
      '--token=******',
    ]);
    expect(formatCommand('helm', ['--set', 'a=b c'])).toBe("helm --set 'a=b c'");
  });
});

describe(normalizeRepoUrl, () => {
  it.each([
    ['https://github.com/Org/Repo.git', 'github.com/org/repo'],
    ['https://github.com/org/repo/', 'github.com/org/repo'],
    ['git@github.com:org/repo.git', 'github.com/org/repo'],
    ['ssh://git@github.com/org/repo', 'github.com/org/repo'],
  ])('should normalise %s', (u, out) => expect(normalizeRepoUrl(u)).toBe(out));

  it('should strip oci:// from chart repositories', () => {
    expect(normalizeChartRepo('oci://registry-1.docker.io/bitnamicharts/')).toBe('registry-1.docker.io/bitnamicharts');
  });
});

describe(toYaml, () => {
  it('should quote strings that YAML 1.1 (Kubernetes) would read as booleans or timestamps when serialising', () => {
    const obj = { args: ['yes', 'no', 'on', 'off', 'y', '2024-01-01', '0755'], b: true };
    const text = toYaml(obj);
    expect(text).toContain('- "yes"');
    expect(text).toContain('b: true');
    // Read back with Kubernetes' YAML 1.1 rules, every value keeps its type.
    expect(splitYaml(text, 'x')[0]).toEqual(obj);
  });
});

describe(splitYaml, () => {
  it('should read YAML 1.1 booleans like go-yaml but keep timestamps as strings', () => {
    const [o] = splitYaml(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {on: yes, t: 2024-01-01}\n',
      't',
    );
    expect(o!['data']).toEqual({ true: true, t: '2024-01-01' });
  });

  it('should point at the line of a syntax error', () => {
    expect(() => splitYaml('a: b\nc: [d\n', 'x.yaml')).toThrow(/x\.yaml at line \d+/);
  });
});

describe(resourceFileName, () => {
  it('should name files by kind, group, namespace and name', () => {
    expect(
      resourceFileName({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'n' } }),
    ).toBe('Deployment.apps_n_w.yaml');
    expect(resourceFileName({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } })).toBe('Namespace_x.yaml');
  });
});

describe(unifiedDiff, () => {
  it('should show removals before additions with context', () => {
    const d = unifiedDiff('a\nb\nc\n', 'a\nB\nc\n', 'base', 'head');
    expect(d).toBe('--- base\n+++ head\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
  });
});

describe(readGitHead, () => {
  it('should read the checked-out commit like git rev-parse HEAD', () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const want = execFileSync('git', ['-C', here, 'rev-parse', 'HEAD']).toString().trim();
    expect(readGitHead(here)).toBe(want);
  });
});
