/**
 * The Masterminds/semver rules Argo CD uses to pick a chart version (node-semver differs: `0.5` is a valid version
 * here, prereleases are excluded unless a constraint names one, `,` means AND).
 */

/** A parsed version. `dirty` parts were omitted (`1.2` has no patch). */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: string;
  raw: string;
  parts: number;
}

const LOOSE =
  /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** Masterminds `NewVersion` (lenient): `1`, `1.2`, `v1.2.3-rc.1+b` all parse. */
export function parseVersion(s: string): SemVer | undefined {
  const m = LOOSE.exec(s.trim());
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    patch: Number(m[3] ?? 0),
    pre: m[4] ?? '',
    raw: s,
    parts: m[3] !== undefined ? 3 : m[2] !== undefined ? 2 : 1,
  };
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (nx !== ny) {
      return nx ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** Orders versions (prerelease lower than its release). */
export function compareVersions(a: SemVer, b: SemVer): number {
  return (
    Math.sign(a.major - b.major) ||
    Math.sign(a.minor - b.minor) ||
    Math.sign(a.patch - b.patch) ||
    comparePre(a.pre, b.pre)
  );
}

type Check = (v: SemVer) => boolean;
interface Term {
  check: Check;
  hasPre: boolean;
}

const TERM =
  /^(=|!=|>=|=>|<=|=<|>|<|~>?|\^)?\s*(v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

function parseTerm(raw: string): Term {
  const m = TERM.exec(raw.trim());
  if (!m) throw new Error(`improper constraint: ${raw}`);
  const op = m[1] ?? '';
  const ver = m[2]!.replace(/^v/, '');
  const segs = ver.split(/[-+]/)[0]!.split('.');
  const wild = (x: string | undefined) => x === undefined || /^[xX*]$/.test(x);
  const nums = segs.map((x) => (wild(x) ? 0 : Number(x)));
  const base: SemVer = {
    major: nums[0] ?? 0,
    minor: nums[1] ?? 0,
    patch: nums[2] ?? 0,
    pre: /-([0-9A-Za-z.-]+)/.exec(ver.split('+')[0]!)?.[1] ?? '',
    raw,
    parts: segs.length,
  };
  const hasPre = base.pre !== '';
  const wildAt = segs.findIndex((x) => wild(x));
  const dirtyLevel = wildAt >= 0 ? wildAt : Math.min(segs.length, 3); // first omitted/wild part
  const cmp = (v: SemVer) => compareVersions(v, base);
  const upper = (level: number): SemVer =>
    level <= 0
      ? { ...base, major: Infinity, pre: '' }
      : level === 1
        ? { ...base, major: base.major + 1, minor: 0, patch: 0, pre: '' }
        : { ...base, minor: base.minor + 1, patch: 0, pre: '' };
  const below = (v: SemVer, u: SemVer) =>
    compareVersions(v, { ...u, pre: '' }) < 0 && !(v.pre && compareVersions({ ...v, pre: '' }, u) === 0);
  let check: Check;
  switch (op) {
    case '':
    case '=':
      check = dirtyLevel < 3 ? (v) => cmp(v) >= 0 && below(v, upper(dirtyLevel)) : (v) => cmp(v) === 0;
      break;
    case '!=':
      check = dirtyLevel < 3 ? (v) => !(cmp(v) >= 0 && below(v, upper(dirtyLevel))) : (v) => cmp(v) !== 0;
      break;
    case '>':
      check = dirtyLevel < 3 ? (v) => !below(v, upper(dirtyLevel)) : (v) => cmp(v) > 0;
      break;
    case '>=':
    case '=>':
      check = (v) => cmp(v) >= 0;
      break;
    case '<':
      check = (v) => cmp(v) < 0;
      break;
    case '<=':
    case '=<':
      check = dirtyLevel < 3 ? (v) => below(v, upper(dirtyLevel)) : (v) => cmp(v) <= 0;
      break;
    case '~':
    case '~>':
      check = (v) => cmp(v) >= 0 && below(v, upper(segs.length === 1 ? 1 : 2));
      break;
    case '^':
      check = (v) =>
        cmp(v) >= 0 &&
        below(
          v,
          base.major > 0 || segs.length === 1
            ? upper(1)
            : base.minor > 0 || segs.length === 2
              ? upper(2)
              : { ...base, patch: base.patch + 1, pre: '' },
        );
      break;
    default:
      throw new Error(`improper constraint: ${raw}`);
  }
  return { check, hasPre };
}

/** A parsed Masterminds constraint: OR of AND-groups. */
export class Constraint {
  private readonly groups: Term[][];
  constructor(readonly raw: string) {
    this.groups = raw.split('||').map((g) => {
      const terms: Term[] = [];
      const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(g);
      if (hyphen) return [parseTerm(`>=${hyphen[1]}`), parseTerm(`<=${hyphen[2]}`)];
      const tokens = g
        .replace(/(>=|<=|=>|=<|!=|>|<|=|~>|~|\^)\s+/g, '$1')
        .split(/[\s,]+/)
        .filter(Boolean);
      for (const t of tokens) terms.push(parseTerm(t));
      if (terms.length === 0) throw new Error(`improper constraint: ${raw}`);
      return terms;
    });
  }

  /** Masterminds `Check`: prerelease versions only match a group that names a prerelease. */
  check(v: SemVer): boolean {
    return this.groups.some((terms) => (v.pre === '' || terms.some((t) => t.hasPre)) && terms.every((t) => t.check(v)));
  }
}

/** Highest version in `candidates` matching `constraint`, or undefined. */
export function maxSatisfying(candidates: readonly string[], constraint: string): string | undefined {
  const c = new Constraint(constraint);
  let best: SemVer | undefined;
  for (const raw of candidates) {
    const v = parseVersion(raw);
    if (!v || !c.check(v)) continue;
    if (!best || compareVersions(v, best) > 0) best = v;
  }
  return best?.raw;
}
