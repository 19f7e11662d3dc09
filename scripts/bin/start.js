/**
 * Starts one of the package's CLIs: the built `dist/<cli>.js` when it is at least as new as every file in `src/`,
 * otherwise the TypeScript source through tsx (a fresh clone before `pnpm build`, or a `src/` edit not built yet).
 * The built path skips tsx's start-up (about a second), which keeps a second `pnpm tools:install` under two seconds.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestSource() {
  const src = join(pkg, 'src');
  return Math.max(...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs));
}

/** Runs `<cli>.main(process.argv.slice(2))` from dist/ or src/. */
export async function start(cli) {
  const built = join(pkg, 'dist', `${cli}.js`);
  if (!existsSync(join(pkg, 'src')) || (existsSync(built) && statSync(built).mtimeMs >= newestSource())) {
    return (await import(pathToFileURL(built).href)).main(process.argv.slice(2));
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import(pathToFileURL(join(pkg, 'src', `${cli}.ts`)).href)).main(process.argv.slice(2));
}
