/**
 * Usage: understack-tools <install|check|require NAME...|env|path NAME> [--only a,b] [--no-download] [--json]
 *
 *   install  install every pinned tool (scripts/tools.json) and the Python virtualenv; idempotent
 *   check    report what is installed, without installing; exit 1 when anything is missing or wrong
 *   require  fast preflight for scripts: exit 1 with the fix unless each named tool is installed at its pinned version
 *   env      print `export` lines that put the project's tools first (same as `source scripts/env.sh`)
 *   path     print the absolute path of one tool (helm, helm3, kustomize, kind, or a .venv binary)
 */
import { parseArgs } from 'node:util';
import { runCli, UsageError } from './cli.js';
import { assertInstalled, checkSystemPackages, type InstallResult, installTools } from './install.js';
import { loadPins, requireTool, toolEnv, toolPath } from './tools.js';

const HELP = `Usage: understack-tools <command> [options]

Commands:
  install        install the pinned tools into .tools/ and the Python virtualenv .venv/ (idempotent)
  check          report the installed tools without installing anything
  require <name...>
                 exit 1 (naming tool, wanted and found version, and the fix) unless each tool is in
                 .tools/ at its pinned version; chart scripts run it before calling .tools/bin/helm
  env            print export lines for your shell: eval "$(pnpm -s understack-tools env)"
  path <name>    print the path of a tool (helm, helm3, kustomize, kind, python, envoy, ...)

Options:
  --only <a,b>     only these tools (keys of scripts/tools.json, or python)
  --no-download    skip official downloads; build with go install
  --json           machine-readable results on stdout
  -h, --help       show this help

Exit codes: 0 ok, 1 a tool is missing or could not be installed, 2 usage error.
`;

function printResults(results: InstallResult[], json: boolean): void {
  if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

const OPTIONS = {
  only: { type: 'string' },
  'no-download': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (args: string[]) => parseArgs({ args, allowPositionals: true, options: OPTIONS });

export async function main(argv: string[]): Promise<void> {
  await runCli(async () => {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const [command, ...rest] = parsed.positionals;
    if (parsed.values.help || !command) {
      process.stdout.write(HELP);
      return command ? 0 : parsed.values.help ? 0 : 2;
    }
    const json = parsed.values.json ?? false;
    const only = parsed.values.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (only) {
      const known = [...Object.keys(loadPins().tools), 'python'];
      const unknown = only.filter((o) => !known.includes(o));
      if (unknown.length) throw new UsageError(`unknown tool(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
    }
    switch (command) {
      case 'install': {
        const started = Date.now();
        const results = await installTools({ only, noDownload: parsed.values['no-download'] ?? false });
        const system = only ? [] : await checkSystemPackages();
        for (const s of system) if (s.status === 'failed') process.stderr.write(`! ${s.tool}: ${s.detail}\n`);
        printResults([...results, ...system], json);
        assertInstalled(results);
        process.stderr.write(`tools ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        // Missing Debian packages are warnings here (scripts/setup.sh installs them; `check` fails on them).
        return 0;
      }
      case 'check': {
        const results = [
          ...(await installTools({ only, checkOnly: true })),
          ...(only ? [] : await checkSystemPackages()),
        ];
        printResults(results, json);
        if (!json)
          for (const r of results) if (r.status === 'failed') process.stderr.write(`✗ ${r.tool}: ${r.detail}\n`);
        return results.some((r) => r.status === 'failed') ? 1 : 0;
      }
      case 'require': {
        if (rest.length === 0) throw new UsageError('require needs at least one tool name');
        for (const name of rest) requireTool(name);
        return 0;
      }
      case 'env': {
        const env = toolEnv();
        for (const key of ['PATH', 'HELM_PLUGINS', 'UNDERSTACK_ROOT']) {
          process.stdout.write(`export ${key}=${JSON.stringify(env[key] ?? '')}\n`);
        }
        return 0;
      }
      case 'path': {
        const name = rest[0];
        if (!name) throw new UsageError('path needs a tool name');
        process.stdout.write(toolPath(name) + '\n');
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  });
}

// Run directly (tsx scripts/src/tools-cli.ts ...) as well as through the bin shim.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2));
}
