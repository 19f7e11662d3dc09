import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const validRepo = path.join(fixturesDir, 'repos', 'valid');
export const rulesFixtures = path.join(fixturesDir, 'rules');

/** Rule id `worker/db-sslmode` <-> fixture directory `worker--db-sslmode`. */
export const ruleDir = (id: string) => id.replace('/', '--');

/**
 * A scratch copy of the valid repo with a rule case applied: files under the case directory overwrite or add files;
 * `_delete.txt` lists paths to delete; `_symlinks.json` maps link paths to targets; `_expect.txt` is not copied.
 */
export function materialize(caseDir: string | undefined, base = validRepo): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'understack-lint-'));
  cpSync(base, dir, { recursive: true });
  if (caseDir) {
    const walk = (rel: string) => {
      for (const e of readdirSync(path.join(caseDir, rel))) {
        const r = rel ? `${rel}/${e}` : e;
        if (!rel && e.startsWith('_')) continue;
        const abs = path.join(caseDir, r);
        if (statSync(abs).isDirectory()) walk(r);
        else {
          cpSync(abs, path.join(dir, r), { recursive: true });
        }
      }
    };
    walk('');
    const del = path.join(caseDir, '_delete.txt');
    if (existsSync(del)) {
      for (const p of readFileSync(del, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        rmSync(path.join(dir, p), { recursive: true, force: true });
      }
    }
    const links = path.join(caseDir, '_symlinks.json');
    if (existsSync(links)) {
      for (const [link, target] of Object.entries(JSON.parse(readFileSync(links, 'utf8')) as Record<string, string>)) {
        symlinkSync(target, path.join(dir, link));
      }
    }
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(root: string, rel: string, content: string | Uint8Array): void {
  writeFileSync(path.join(root, rel), content);
}
