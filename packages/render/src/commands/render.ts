/** `understack-render <deploy-repo>`: renders every cluster of a deploy repository. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OutputCache } from '../cache.js';
import { contextFor, renderDeployRepoWith } from '../cluster.js';
import { formatError, UsageError } from '../errors.js';
import { jsonStream, renderFiles, summarize, writeTree, yamlStream } from '../output.js';
import { Session } from '../session.js';
import { commonHelp, commonOptions, progressReporter, toRenderOptions } from './options.js';

export const renderHelp = () => `Usage: understack-render <deploy-repo> [options]
       understack-render diff <deploy-repo> --base <git-rev> [--head <git-rev>] [options]

Renders exactly what Argo CD would apply for every cluster of a deploy repository, offline: the app-of-apps chart
(charts/argocd-understack) with <cluster>/deploy.yaml and release name = cluster name, then every Application it
emits, source by source (Helm, Kustomize, Directory, multi-source with $ref), with the Helm and Kustomize versions
of the emulated Argo CD release.

      --version                  print the version and the helm/kustomize of each emulated Argo CD release

Output:
      --out <dir>                write <dir>/<cluster>/<app>/<Kind>[.<group>]_[<ns>_]<name>.yaml (the folder is
                                 replaced atomically); the cluster's root render is <dir>/<cluster>/app-of-apps/
      --format yaml|json         output format: the stdout stream, or each file of the --out tree (default yaml)
      --record <file>            write every tool command with its raw (unmasked!) output to <file> as JSON
                                 (used by the benchmark to replay the exact commands)

${commonHelp()}

Exit codes: 0 everything rendered; 1 an application or cluster failed (all others are still rendered and
reported); 2 usage error or unreadable input.
`;

/** Runs the render command; returns the exit code. */
export async function renderCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...commonOptions,
      out: { type: 'string', short: 'o' },
      format: { type: 'string' },
      record: { type: 'string' },
    },
  });
  if (v.help) {
    process.stdout.write(renderHelp());
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      'E_USAGE',
      `expected one <deploy-repo> argument, got ${positionals.length}`,
      'Run `understack-render --help`.',
    );
  const format = v.format ?? 'yaml';
  if (format !== 'yaml' && format !== 'json')
    throw new UsageError('E_USAGE', `--format ${format}: expected yaml or json`);
  const deployRepo = resolve(positionals[0]!);
  const opts = toRenderOptions(v);
  const started = performance.now();
  const progress = progressReporter(v.quiet ?? false);
  const session = new Session({
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.cacheDir ? { cache: new OutputCache(opts.cacheDir) } : {}),
    recordOutputs: v.record !== undefined,
  });
  const ctx = contextFor(deployRepo, { ...opts, session, onProgress: progress.onProgress });
  try {
    const result = await renderDeployRepoWith(ctx, deployRepo, { ...opts, onProgress: progress.onProgress });
    progress.end();
    if (v.verbose)
      for (const c of ctx.session.commands)
        process.stderr.write(`${c.cached ? '[cached] ' : c.offline ? '[offline] ' : ''}${c.display}\n`);
    for (const c of result.clusters) {
      if (c.error) process.stderr.write(`error: ${formatError(c.error)}\n`);
      for (const w of c.warnings) process.stderr.write(`warning: ${c.cluster}: ${w}\n`);
      for (const a of c.apps) {
        if (a.error) process.stderr.write(`error: ${formatError(a.error)}\n`);
        for (const w of a.result?.warnings ?? []) process.stderr.write(`warning: ${c.cluster}/${a.name}: ${w}\n`);
      }
    }
    // --format applies to the tree too: one <resource>.json file per resource instead of .yaml.
    if (v.out) writeTree(v.out, renderFiles(result, opts.mode, ctx.session.cache, format));
    const summary = summarize(result, opts.mode, {
      argocdVersion: ctx.tools.argocdVersion,
      durationMs: performance.now() - started,
      commands: ctx.session.commands,
      cacheHits: ctx.session.cache?.hits ?? 0,
      cacheMisses: ctx.session.cache?.misses ?? 0,
      ...(v.out ? { out: resolve(v.out) } : {}),
    });
    if (v.record) {
      writeFileSync(
        v.record,
        JSON.stringify({ commands: ctx.session.commands, tempFiles: Object.fromEntries(ctx.session.tempFiles) }),
      );
    }
    if (v.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (!v.out)
      process.stdout.write(format === 'json' ? jsonStream(result, opts.mode) : yamlStream(result, opts.mode));
    if (!v.quiet) {
      const t = summary.totals;
      // With --out, stdout carries no data, so the one-line summary goes there (scripts show it); else stderr.
      const stream = v.out && !v.json ? process.stdout : process.stderr;
      stream.write(
        `${t.clusters} cluster(s), ${t.apps} app(s), ${t.resources} resource(s), ${t.failed} failure(s); ` +
          `${summary.tools.ran} tool run(s), ${summary.tools.cached} cached, ${(summary.durationMs / 1000).toFixed(2)}s` +
          `${v.out ? ` -> ${resolve(v.out)}` : ''}\n`,
      );
    }
    return result.ok ? 0 : 1;
  } finally {
    ctx.session.dispose();
  }
}
