/**
 * The validators module is a build output (generated/validators.js). Regenerate it before the tests so
 * `pnpm --filter @understack/schema test` works on a clean checkout without a prior build, and always tests the
 * current schemas.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSchemas, packageDir, renderValidators } from '../scripts/lib/codegen.js';

export default function setup(): void {
  const { js, dts } = renderValidators(loadSchemas());
  const dir = path.join(packageDir, 'generated');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'validators.js'), js);
  writeFileSync(path.join(dir, 'validators.d.ts'), dts);
}
