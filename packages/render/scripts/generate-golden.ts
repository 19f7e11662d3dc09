/**
 * Usage: pnpm --filter @understack/render generate
 * Regenerates test/golden/<case>/ for every golden case (see scripts/golden.ts); `git diff --exit-code` afterwards is
 * the drift gate, and test/golden.test.ts fails on drift too.
 */
import { goldenCases, renderCase, writeGolden } from './golden.js';

for (const c of goldenCases()) {
  const files = await renderCase(c);
  writeGolden(c.name, files);
  process.stdout.write(`golden ${c.name}: ${files.size} files\n`);
}
