/**
 * pnpm bench:render — measures, in one run and side by side, on a deploy repository of N sites + 1 global
 * (`--sites N`, default 50). The default workload (`--workload example`) is examples/deploy with its site cloned N
 * times over this repository's real charts (argocd-understack, nautobot-worker, ...); `--workload fixture` is the
 * small toy repository built from the test fixture charts:
 *   (a) the exact helm/kustomize commands the renderer issues, run sequentially by a plain bash script (with the
 *       caller's environment; (a') repeats it with the renderer's Go runtime settings, for transparency);
 *   (b) the renderer, cold (empty cache);
 *   (c) the renderer, warm (nothing changed), re-rendering into (b)'s --out folder (updated in place, as a user
 *       re-runs the same command); (c') the same into a new folder (every file written);
 *   (d) the renderer after one site's values change (into (b)'s folder).
 * (a) and (b) are interleaved `--rounds` times (default 2) and the best of each is kept, because the machine may be
 * shared. Prints each time, its ratio to (a), the targets (b <= 0.65, c <= 0.05, d <= 0.10) and the renderer's peak RSS,
 * and checks that the renderer's own output tree of (b) holds exactly the objects the plain script's outputs hold
 * (both parsed and sorted; the renderer's tracking annotation removed). Exits 1 when they differ.
 * Every renderer run uses `--mode manifests --reveal-secrets` so its output is comparable with raw tool output.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sortKeys, splitYaml } from '../src/manifests.js';
import { OUT_MARKER } from '../src/output.js';
import { GO_TUNING } from '../src/session.js';
import { TRACKING_ANNOTATION } from '../src/target.js';
import type { K8sObject } from '../src/types.js';
import { buildExampleRepo, buildSyntheticRepo, changeOneSite, siteName } from './synthetic.js';

const BIN = fileURLToPath(new URL('../bin/understack-render.js', import.meta.url));

interface Recorded {
  commands: { bin: string; args: string[]; cwd: string; cached: boolean; offline?: boolean; stdout?: string }[];
  tempFiles: Record<string, string>;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

const TIME = '/usr/bin/time';

/**
 * Runs a command and measures wall time and, through GNU time when installed, the CPU seconds (user + system) of it
 * and all its children: on a shared machine CPU time is the steadier figure.
 */
function timed(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; inherit?: boolean } = {},
): { ms: number; cpuS: number | undefined; value: string } {
  const hasTime = existsSync(TIME);
  const cpuFile = join(tmpdir(), `understack-bench-cpu-${process.pid}`);
  const t = performance.now();
  const value = execFileSync(hasTime ? TIME : file, hasTime ? ['-f', '%U %S', '-o', cpuFile, file, ...args] : args, {
    maxBuffer: 1 << 30,
    ...(opts.env ? { env: opts.env } : {}),
    stdio: ['ignore', opts.inherit ? 'inherit' : 'pipe', 'inherit'],
  });
  const ms = performance.now() - t;
  let cpuS: number | undefined;
  if (hasTime) {
    const [u = 0, sys = 0] = readFileSync(cpuFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    cpuS = u + sys;
    rmSync(cpuFile, { force: true });
  }
  return { ms, cpuS, value: value ? value.toString() : '' };
}

function renderer(
  deploy: string,
  understack: string,
  cache: string,
  out: string,
  record?: string,
): { ms: number; cpuS: number | undefined; rssMb: number; ran: number; cached: number } {
  const args = [
    BIN,
    deploy,
    '--understack',
    understack,
    '--cache-dir',
    cache,
    '--out',
    out,
    '--mode',
    'manifests',
    '--reveal-secrets',
    '--json',
    '--quiet',
    ...(record ? ['--record', record] : []),
  ];
  const { ms, cpuS, value } = timed('node', args);
  const summary = JSON.parse(value) as { ok: boolean; peakRssMb: number; tools: { ran: number; cached: number } };
  if (!summary.ok) throw new Error(`render failed: ${value}`);
  return { ms, cpuS, rssMb: summary.peakRssMb, ran: summary.tools.ran, cached: summary.tools.cached };
}

/** One object as comparable text: keys sorted, the renderer's tracking annotation removed. */
function normalize(obj: K8sObject): string {
  const o = JSON.parse(JSON.stringify(obj)) as K8sObject;
  const ann = o.metadata?.annotations;
  if (ann) {
    delete ann[TRACKING_ANNOTATION];
    if (Object.keys(ann).length === 0) delete o.metadata!.annotations;
  }
  return JSON.stringify(sortKeys(o));
}

/** Every object of the renderer's output tree (one YAML file per resource), normalised and sorted. */
function treeObjects(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (name.endsWith(OUT_MARKER) || !statSync(p).isFile()) continue;
    for (const o of splitYaml(readFileSync(p, 'utf8'), name)) out.push(normalize(o));
  }
  return out.sort();
}

/** Counts of entries only in `a` and only in `b` (multisets of sorted strings). */
function multisetDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const count = new Map<string, number>();
  for (const x of a) count.set(x, (count.get(x) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const x of b) {
    const n = count.get(x) ?? 0;
    if (n > 0) count.set(x, n - 1);
    else onlyB.push(x);
  }
  const onlyA = [...count].flatMap(([x, n]) => Array<string>(n).fill(x));
  return { onlyA, onlyB };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      sites: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '2' },
      keep: { type: 'boolean' },
      workload: { type: 'string', default: 'example' },
    },
  });
  const sites = Number(values.sites);
  const workload = values.workload === 'fixture' ? 'fixture' : 'example';
  // The machine may be shared: (a) and (b) are interleaved `rounds` times and the best of each is kept.
  const rounds = Math.max(1, Number(values.rounds));
  const root = mkdtempSync(join(tmpdir(), 'understack-bench-'));
  try {
    const { understack, deploy } =
      workload === 'fixture' ? buildSyntheticRepo(root, sites) : buildExampleRepo(root, sites);
    const cache = join(root, 'cache');
    const record = join(root, 'record.json');

    // (b) cold, recording the exact commands and their outputs
    let b = renderer(deploy, understack, cache, join(root, 'out-b'), record);
    const rec = JSON.parse(readFileSync(record, 'utf8')) as Recorded;
    const ran = rec.commands.filter((c) => !c.cached && !c.offline);

    // (a) the same commands, sequentially, by a plain script (temp inputs recreated first, not timed)
    const replay = join(root, 'replay');
    mkdirSync(replay, { recursive: true });
    for (const [p, content] of Object.entries(rec.tempFiles)) {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, content);
    }
    const home = join(replay, 'helm-home');
    const lines = [
      '#!/bin/bash',
      'set -e',
      `export HELM_CONFIG_HOME=${home}/config HELM_CACHE_HOME=${home}/cache HELM_DATA_HOME=${home}/data`,
    ];
    for (const [i, c] of ran.entries()) {
      lines.push(
        `(cd ${shellQuote(c.cwd)} && ${[c.bin, ...c.args].map(shellQuote).join(' ')}) > ${replay}/out-${i}.yaml`,
      );
    }
    writeFileSync(join(replay, 'run.sh'), `${lines.join('\n')}\n`);
    // (a) runs with the caller's environment, as a person would; (a') is the same script with the Go runtime
    // settings the renderer gives its tools (GO_TUNING), printed so the two effects can be told apart.
    const plainEnv = { ...process.env };
    for (const k of Object.keys(GO_TUNING)) delete plainEnv[k];
    const script = (env: NodeJS.ProcessEnv) => timed('bash', [join(replay, 'run.sh')], { env, inherit: true });
    let a = script(plainEnv);
    let aTuned = script({ ...plainEnv, ...GO_TUNING });
    for (let r = 1; r < rounds; r++) {
      const b2 = renderer(deploy, understack, join(root, `cache-${r}`), join(root, `out-b${r}`));
      if (b2.ms < b.ms) b = b2;
      const a2 = script(plainEnv);
      if (a2.ms < a.ms) a = a2;
      const a3 = script({ ...plainEnv, ...GO_TUNING });
      if (a3.ms < aTuned.ms) aTuned = a3;
    }
    // (b) == (a): the renderer's own output tree against the objects in the plain script's outputs.
    const aObjs = ran
      .flatMap((_, i) => splitYaml(readFileSync(join(replay, `out-${i}.yaml`), 'utf8'), `out-${i}.yaml`))
      .map(normalize)
      .sort();
    const bObjs = treeObjects(join(root, 'out-b'));
    const { onlyA, onlyB } = multisetDiff(aObjs, bObjs);
    const same = onlyA.length === 0 && onlyB.length === 0;

    // (c) warm: nothing changed, re-rendered into the same --out folder as (b) (updated in place, as a user re-runs
    // the same command; best of the rounds too). (c') the same into a new folder each time (every file written).
    let c = renderer(deploy, understack, cache, join(root, 'out-b'));
    let cFresh = renderer(deploy, understack, cache, join(root, 'out-c'));
    for (let r = 1; r < rounds; r++) {
      const c2 = renderer(deploy, understack, cache, join(root, 'out-b'));
      if (c2.ms < c.ms) c = c2;
      const c3 = renderer(deploy, understack, cache, join(root, `out-c${r}`));
      if (c3.ms < cFresh.ms) cFresh = c3;
    }
    // (d) one site's values change
    changeOneSite(deploy, siteName(Math.ceil(sites / 2)), workload);
    const d = renderer(deploy, understack, cache, join(root, 'out-b'));

    const ratio = (ms: number) => ms / a.ms;
    const cpu = (x: { cpuS: number | undefined }) =>
      x.cpuS === undefined ? '' : `  cpu ${x.cpuS.toFixed(1).padStart(5)} s (${(x.cpuS / a.cpuS!).toFixed(2)} x)`;
    const row = (name: string, ms: number, target: string, extra = '') =>
      `${name.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${ratio(ms).toFixed(3).padStart(6)} x (a)  ${target.padEnd(8)}${extra}`;
    const verdict = (ms: number, max: number) => (ratio(ms) <= max ? 'ok' : 'MISSED');
    console.log(
      `\nbench:render: ${workload} workload, ${sites} sites + 1 global = ${sites + 1} clusters, ${ran.length} tool commands, ${availableParallelism()} cores, best of ${rounds} for (a) and (b)`,
    );
    console.log(
      `load average (1/5/15 min) at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(row('(a) plain sequential script', a.ms, '', cpu(a)));
    console.log(
      row(
        "(a') same script, renderer's Go env",
        aTuned.ms,
        '',
        `${cpu(aTuned)}  ${Object.entries(GO_TUNING)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      ),
    );
    console.log(
      row(
        '(b) renderer cold',
        b.ms,
        `<= 0.65 ${verdict(b.ms, 0.65)}`,
        `${cpu(b)}  ran ${b.ran}, peak RSS ${b.rssMb} MiB`,
      ),
    );
    console.log(
      row(
        '(c) renderer warm, no change',
        c.ms,
        `<= 0.05 ${verdict(c.ms, 0.05)}`,
        `${cpu(c)}  ran ${c.ran}, cached ${c.cached}, peak RSS ${c.rssMb} MiB`,
      ),
    );
    console.log(
      row(
        "(c') warm, into a new --out folder",
        cFresh.ms,
        `<= 0.05 ${verdict(cFresh.ms, 0.05)}`,
        `${cpu(cFresh)}  ran ${cFresh.ran}, cached ${cFresh.cached}, peak RSS ${cFresh.rssMb} MiB`,
      ),
    );
    console.log(
      row(
        '(d) renderer, one site changed',
        d.ms,
        `<= 0.10 ${verdict(d.ms, 0.1)}`,
        `${cpu(d)}  ran ${d.ran}, cached ${d.cached}, peak RSS ${d.rssMb} MiB`,
      ),
    );
    console.log(
      `(b) renderer output == (a) script outputs, as sorted objects: ${same ? 'yes' : 'NO'} (${bObjs.length} objects in (b), ${aObjs.length} in (a))`,
    );
    if (!same) {
      // Show where the first differing pair starts to differ.
      for (const [x, y] of onlyA.slice(0, 3).map((x, i) => [x, onlyB[i] ?? ''] as const)) {
        let at = 0;
        while (at < x.length && x[at] === y[at]) at++;
        console.log(`  only in (a): …${x.slice(Math.max(0, at - 150), at + 150)}`);
        console.log(`  only in (b): …${y.slice(Math.max(0, at - 150), at + 150)}`);
      }
      process.exitCode = 1;
    }
  } finally {
    if (values.keep) console.log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

main();
