/**
 * Usage: tsx scripts/codegen.ts [--charts] [--check]
 *
 * Generates the TypeScript types (src/generated/), the Ajv standalone validators (generated/) and, with --charts, the
 * charts' values.schema.json from schemas/. --check writes nothing and exits 1 listing the files that would change.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  chartSchemas,
  checkConventions,
  loadSchemas,
  packageDir,
  renderChartSchema,
  renderReadmeRules,
  renderTypes,
  renderValidators,
} from './lib/codegen.js';

function writeOutputs(outputs: Map<string, string>): void {
  for (const [file, content] of outputs) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log('Usage: tsx scripts/codegen.ts [--charts] [--check]');
    return 0;
  }
  const check = argv.includes('--check');
  const schemas = loadSchemas();
  const problems = checkConventions(schemas);
  if (problems.length) {
    for (const p of problems) console.error(`schema convention: ${p}`);
    return 1;
  }
  const outputs = new Map<string, string>();
  const { js, dts } = renderValidators(schemas);
  outputs.set(path.join(packageDir, 'generated', 'validators.js'), js);
  outputs.set(path.join(packageDir, 'generated', 'validators.d.ts'), dts);
  for (const [file, content] of await renderTypes(schemas)) {
    outputs.set(path.join(packageDir, 'src', 'generated', file), content);
  }
  if (argv.includes('--charts')) {
    for (const c of chartSchemas(schemas)) outputs.set(c.file, renderChartSchema(c.s, schemas));
    // The rule catalogue imports the validators: write them first so a clean checkout can generate.
    if (!check)
      writeOutputs(new Map([...outputs].filter(([f]) => f.includes(`${path.sep}generated${path.sep}validators`))));
    const { rules } = await import('../src/rules/index.js');
    const readme = path.join(packageDir, 'README.md');
    outputs.set(readme, renderReadmeRules(readFileSync(readme, 'utf8'), rules));
  }
  const changed: string[] = [];
  for (const [file, content] of outputs) {
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    changed.push(path.relative(process.cwd(), file));
    if (!check) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  if (check && changed.length) {
    console.error(`generated files are stale: ${changed.join(', ')}\nEither: run \`pnpm generate\` and commit.`);
    return 1;
  }
  if (changed.length) console.error(`codegen: wrote ${changed.join(', ')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 2;
  },
);
