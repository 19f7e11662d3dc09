import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateClientCertificate, validators } from './validators.js';

/** Bare module specifiers reachable from a source file through relative imports. */
function externalImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) {
        if (!/^import type|^export type/.test(m[0])) external.add(spec);
        continue;
      }
      if (/^import type|^export type/.test(m[0])) continue;
      const resolved = path.resolve(path.dirname(file), spec);
      const ts = resolved.replace(/\.js$/, '.ts');
      try {
        readFileSync(ts);
        visit(ts);
      } catch {
        visit(resolved);
      }
    }
    for (const m of text.matchAll(/require\("([^"]+)"\)/g)) external.add(m[1]!);
  };
  visit(entry);
  return external;
}

describe('@understack/schema/validators', () => {
  it('should not load yaml or the file system when only the validators are imported', () => {
    const deps = externalImports(path.join(path.dirname(fileURLToPath(import.meta.url)), 'validators.ts'));
    expect([...deps].filter((d) => d === 'yaml' || d === 'node:fs')).toEqual([]);
  });

  it('should be plain ESM (no require, no node:module) when generated, so bundlers can take it', () => {
    const js = readFileSync(
      path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'generated', 'validators.js'),
      'utf8',
    );
    expect(js).not.toMatch(/\brequire\(/);
    expect(js).not.toContain('node:module');
  });

  it('should count minLength in code points when a string has surrogate pairs', () => {
    // secretName minLength 1: one emoji (two UTF-16 units) is one character, an empty string is none.
    const cert = (secretName: string) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'x' },
      spec: { secretName, commonName: 'app', usages: ['client auth'], issuerRef: { name: 'i' } },
    });
    expect(validateClientCertificate(cert('\u{1F512}')).ok).toBe(true);
    expect(validateClientCertificate(cert('')).ok).toBe(false);
  });
});

describe(validateClientCertificate, () => {
  it('should report every problem with its JSON path when a certificate is wrong in several places', () => {
    const r = validateClientCertificate({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'x' },
      spec: { secretName: 'x', usages: ['server auth'], duration: '3y', issuerRef: {} },
    });
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => `${i.dotPath}: ${i.message}`).sort()).toEqual([
      'spec.duration: must match pattern "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"',
      'spec.issuerRef: missing required property "name"',
      'spec.usages: must contain at least 1 valid item(s)',
      'spec: missing required property "commonName"',
    ]);
    expect(Object.keys(validators)).toContain('client-certificate');
  });
});
