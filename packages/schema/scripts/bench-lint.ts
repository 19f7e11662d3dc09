/**
 * Usage: pnpm bench:lint [-- --sites 50] [--json]
 *
 * The package's `bench` script runs codegen first (the validators are a build output), so this works on a fresh clone
 * without a prior build.
 *
 * Generates a synthetic deploy repo (1 global cluster + N sites, each with the full worker overlay) from the valid
 * test fixture, then measures in one run, side by side:
 *   - documents/s of the compiled (Ajv standalone) validators on one core (target >= 20,000 docs/s);
 *   - whole-repo `lintDeployRepo` wall time, cold and warm (target < 2 s).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { lintDeployRepo } from '../src/lint.js';
import { validators } from '../src/validators.js';
import { packageDir } from './lib/codegen.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const sites = flag('--sites', 50);
const asJson = argv.includes('--json');
const valid = path.join(packageDir, 'test', 'fixtures', 'repos', 'valid');

function generate(dir: string): void {
  cpSync(path.join(valid, 'global-1'), path.join(dir, 'global-1'), { recursive: true });
  const clientCert = readFileSync(
    path.join(valid, 'global-1/nautobot/certificate-nautobot-mtls-client-site-a.yaml'),
    'utf8',
  );
  const kust = path.join(dir, 'global-1/nautobot/kustomization.yaml');
  let kustText = readFileSync(kust, 'utf8');
  for (let i = 1; i <= sites; i++) {
    const name = `site-${String(i).padStart(3, '0')}`;
    const target = path.join(dir, name);
    cpSync(path.join(valid, 'site-a'), target, { recursive: true });
    for (const f of ['deploy.yaml', 'nautobot-worker/externalsecret-nautobot-mtls-client.yaml']) {
      const p = path.join(target, f);
      writeFileSync(p, readFileSync(p, 'utf8').replaceAll('site-a', name));
    }
    const certFile = `certificate-nautobot-mtls-client-${name}.yaml`;
    writeFileSync(path.join(dir, 'global-1/nautobot', certFile), clientCert.replaceAll('site-a', name));
    kustText += `  - ${certFile}\n`;
  }
  writeFileSync(kust, kustText);
  // The nautobot-mtls chart issues every site's certificate too: one `sites` entry per site, as a real repo has.
  const mtls = path.join(dir, 'global-1/nautobot-mtls/values.yaml');
  const siteEntries = Array.from({ length: sites }, (_, i) => `  site-${String(i + 1).padStart(3, '0')}: {}\n`).join(
    '',
  );
  writeFileSync(mtls, readFileSync(mtls, 'utf8').replace(/^sites:\n( {2}.*\n)*/m, `sites:\n${siteEntries}`));
}

function main(): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'understack-bench-lint-'));
  try {
    process.stderr.write(`bench:lint: generating 1 global + ${sites} site clusters in ${dir}\n`);
    generate(dir);

    // Validator throughput: every schema-shaped document of the repo, validated in a tight loop on this one core.
    const docs: Array<[string, unknown]> = [];
    const add = (schema: string, rel: string) =>
      docs.push([schema, parse(readFileSync(path.join(dir, rel), 'utf8'), { version: '1.1' })]);
    add('deploy', 'global-1/deploy.yaml');
    for (let i = 1; i <= sites; i++) {
      const n = `site-${String(i).padStart(3, '0')}`;
      add('deploy', `${n}/deploy.yaml`);
      add('mtls-external-secret', `${n}/nautobot-worker/externalsecret-nautobot-mtls-client.yaml`);
      add('worker-kustomization', `${n}/nautobot-worker/kustomization.yaml`);
      add('client-certificate', `global-1/nautobot/certificate-nautobot-mtls-client-${n}.yaml`);
      if (validators['nautobot-worker-values']) add('nautobot-worker-values', `${n}/nautobot-worker/values.yaml`);
    }
    const fns = docs.map(([s, v]) => [validators[s]!, v] as const);
    process.stderr.write(`bench:lint: validating ${docs.length} documents in a loop\n`);
    for (let i = 0; i < 200; i++) for (const [fn, v] of fns) fn(v); // warm-up (JIT)
    let validated = 0;
    let failures = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1500) {
      for (const [fn, v] of fns) {
        if (!fn(v).ok) failures++;
        validated++;
      }
    }
    const docsPerSec = validated / ((performance.now() - t0) / 1000);

    process.stderr.write('bench:lint: linting the whole repo\n');
    const c0 = performance.now();
    const first = lintDeployRepo(dir);
    const coldMs = performance.now() - c0;
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      const w0 = performance.now();
      lintDeployRepo(dir);
      warm.push(performance.now() - w0);
    }
    warm.sort((a, b) => a - b);
    const warmMs = warm[Math.floor(warm.length / 2)]!;

    const result = {
      sites,
      files: first.filesChecked,
      documents: first.documentsChecked,
      findings: first.findings.length,
      validator: { documents: validated, failures, docsPerSec: Math.round(docsPerSec), targetDocsPerSec: 20000 },
      lint: { coldMs: Math.round(coldMs), warmMedianMs: Math.round(warmMs), targetMs: 2000 },
    };
    if (asJson) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
      console.log(
        `understack-lint benchmark: 1 global + ${sites} sites, ${result.files} files, ${result.documents} documents`,
      );
      console.log('measure                         value              target        status');
      console.log(
        `compiled validators             ${`${result.validator.docsPerSec.toLocaleString('en-US')} docs/s`.padEnd(18)} >= 20,000/s   ${ok(docsPerSec >= 20000)}  (${(docsPerSec / 20000).toFixed(1)}x target)`,
      );
      console.log(
        `whole-repo lint (cold)          ${`${result.lint.coldMs} ms`.padEnd(18)} < 2,000 ms     ${ok(coldMs < 2000)}  (${(2000 / coldMs).toFixed(1)}x headroom)`,
      );
      console.log(
        `whole-repo lint (warm median)   ${`${result.lint.warmMedianMs} ms`.padEnd(18)} < 2,000 ms     ${ok(warmMs < 2000)}`,
      );
      console.log(
        `lint findings on the synthetic repo: ${result.findings} (expected 0); validator failures: ${failures}`,
      );
    }
    if (first.findings.length || failures) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
