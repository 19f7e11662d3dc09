/**
 * Comparing two renders resource by resource: added, removed and changed files per application, with unified
 * line diffs (LCS-based, 3 lines of context).
 */

/** Differences of one application. */
export interface AppDiff {
  cluster: string;
  app: string;
  added: string[];
  removed: string[];
  changed: string[];
}

/** The whole comparison. */
export interface RenderDiff {
  apps: AppDiff[];
  totals: { added: number; removed: number; changed: number; apps: number };
  /** path -> unified diff text, for changed/added/removed files. */
  patches: Map<string, string>;
}

function split(path: string): { cluster: string; app: string; file: string } {
  const [cluster = '', app = '', ...rest] = path.split('/');
  return { cluster, app, file: rest.join('/') };
}

/** Compares two `renderFiles` maps (`<cluster>/<app>/<file>` -> YAML). */
export function diffRenders(base: Map<string, string>, head: Map<string, string>): RenderDiff {
  const byApp = new Map<string, AppDiff>();
  const patches = new Map<string, string>();
  const entry = (path: string): AppDiff => {
    const { cluster, app } = split(path);
    const key = `${cluster}/${app}`;
    let d = byApp.get(key);
    if (!d) {
      d = { cluster, app, added: [], removed: [], changed: [] };
      byApp.set(key, d);
    }
    return d;
  };
  const paths = [...new Set([...base.keys(), ...head.keys()])].sort();
  for (const p of paths) {
    const a = base.get(p);
    const b = head.get(p);
    if (a === b) continue;
    const file = split(p).file;
    if (a === undefined) entry(p).added.push(file);
    else if (b === undefined) entry(p).removed.push(file);
    else entry(p).changed.push(file);
    patches.set(
      p,
      unifiedDiff(
        a ?? '',
        b ?? '',
        a === undefined ? '/dev/null' : `base/${p}`,
        b === undefined ? '/dev/null' : `head/${p}`,
      ),
    );
  }
  const apps = [...byApp.values()];
  return {
    apps,
    totals: {
      added: apps.reduce((n, d) => n + d.added.length, 0),
      removed: apps.reduce((n, d) => n + d.removed.length, 0),
      changed: apps.reduce((n, d) => n + d.changed.length, 0),
      apps: apps.length,
    },
    patches,
  };
}

/** A unified diff of two texts (3 lines of context). */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string): string {
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b === '' ? [] : b.replace(/\n$/, '').split('\n');
  const ops = lineOps(x, y);
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  const CONTEXT = 3;
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op === ' ') {
      i++;
      continue;
    }
    let start = Math.max(0, i - CONTEXT);
    let end = i;
    // extend the hunk while changes are within 2*CONTEXT of each other
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === ' ') next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + CONTEXT);
    const hunk = ops.slice(start, stop);
    const aStart = hunk[0]!.ai;
    const bStart = hunk[0]!.bi;
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.op}${o.line}`);
    i = stop;
    start = stop;
  }
  return `${out.join('\n')}\n`;
}

interface Op {
  op: ' ' | '-' | '+';
  line: string;
  ai: number;
  bi: number;
}

function lineOps(x: string[], y: string[]): Op[] {
  // Trim the common prefix and suffix, then LCS on the middle (resources are small).
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xm = x.slice(pre, x.length - suf);
  const ym = y.slice(pre, y.length - suf);
  const ops: Op[] = [];
  for (let k = 0; k < pre; k++) ops.push({ op: ' ', line: x[k]!, ai: k, bi: k });
  const n = xm.length;
  const m = ym.length;
  if (n * m > 4_000_000) {
    for (const [k, l] of xm.entries()) ops.push({ op: '-', line: l, ai: pre + k, bi: pre });
    for (const [k, l] of ym.entries()) ops.push({ op: '+', line: l, ai: pre + n, bi: pre + k });
  } else {
    const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        dp[i]![j] = xm[i] === ym[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xm[i] === ym[j]) {
        ops.push({ op: ' ', line: xm[i]!, ai: pre + i, bi: pre + j });
        i++;
        j++;
      } else if (i < n && (j === m || dp[i + 1]![j]! >= dp[i]![j + 1]!)) {
        ops.push({ op: '-', line: xm[i]!, ai: pre + i, bi: pre + j });
        i++;
      } else {
        ops.push({ op: '+', line: ym[j]!, ai: pre + i, bi: pre + j });
        j++;
      }
    }
  }
  for (let k = 0; k < suf; k++) {
    ops.push({ op: ' ', line: x[x.length - suf + k]!, ai: x.length - suf + k, bi: y.length - suf + k });
  }
  return ops;
}
