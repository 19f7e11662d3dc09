/** `understack-render diff <deploy-repo> --base <rev> [--head <rev>]`: what a change would do, per resource. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OutputCache } from '../cache.js';
import { contextFor, type DeployRepoResult, discoverClusters, renderDeployRepoWith } from '../cluster.js';
import { diffRenders } from '../diff.js';
import { formatError, RenderError, UsageError } from '../errors.js';
import { pathSegment, renderFiles } from '../output.js';
import { onInterrupt, Session } from '../session.js';
import { understackRoot } from '../tools.js';
import { commonHelp, commonOptions, progressReporter, toRenderOptions } from './options.js';

export const diffHelp = () => `Usage: understack-render diff <deploy-repo> --base <git-rev> [--head <git-rev>] [options]

Renders the deploy repository at two revisions (git worktrees; without --head the working tree is the head) and
prints, per application, the resources added, removed and changed, with a unified diff of each changed resource,
then a summary. When the deploy repository lives inside this UnderStack repository, the charts are taken from the
same revision as the deploy repository, so chart changes show up too. The offline answer to argocd-diff-preview.

      --base <rev>               the revision to compare against (required)
      --head <rev>               the revision to compare (default: the working tree)
      --exit-code                exit 1 when there are differences (for CI)
      --stat                     only the per-application summary, no patches

${commonHelp()}

Exit codes: 0 no differences (or differences without --exit-code); 1 differences with --exit-code, or a render
failed on either side; 2 usage error or a git failure.
`;

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', ['-C', cwd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim();
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new UsageError(
      'E_GIT',
      `git ${args.join(' ')} failed: ${stderr}`,
      'Check that the deploy repository is a Git checkout and the revision exists (`git log --oneline`).',
      { cause: err },
    );
  }
}

/** Runs the diff command; returns the exit code. */
export async function diffCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...commonOptions,
      base: { type: 'string' },
      head: { type: 'string' },
      'exit-code': { type: 'boolean' },
      stat: { type: 'boolean' },
    },
  });
  if (v.help) {
    process.stdout.write(diffHelp());
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      'E_USAGE',
      `expected one <deploy-repo> argument, got ${positionals.length}`,
      'Run `understack-render diff --help`.',
    );
  if (!v.base)
    throw new UsageError(
      'E_USAGE',
      'diff needs --base <git-rev>',
      'Example: understack-render diff examples/deploy --base origin/main',
    );
  const opts = toRenderOptions(v);
  const deployRepo = resolve(positionals[0]!);
  const top = git(deployRepo, ['rev-parse', '--show-toplevel']);
  const rel = relative(top, realpathSync(deployRepo));
  const sameRepo = !opts.understack && realpathSync(understackRoot()) === realpathSync(top);
  const tmp = mkdtempSync(join(tmpdir(), 'understack-render-diff-'));
  const worktrees: string[] = [];
  const cleanup = () => {
    for (const w of worktrees.splice(0)) {
      try {
        execFileSync('git', ['-C', top, 'worktree', 'remove', '--force', w], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
    try {
      execFileSync('git', ['-C', top, 'worktree', 'prune'], { stdio: 'ignore' });
    } catch {
      // best effort
    }
  };
  onInterrupt(cleanup);
  const session = new Session({
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.cacheDir ? { cache: new OutputCache(opts.cacheDir) } : {}),
  });
  try {
    const checkout = (rev: string, name: string): string => {
      const dir = join(tmp, name);
      git(top, ['worktree', 'add', '--detach', '--quiet', dir, rev]);
      worktrees.push(dir);
      return dir;
    };
    const baseRoot = checkout(v.base, 'base');
    const headRoot = v.head ? checkout(v.head, 'head') : top;
    const progress = progressReporter(v.quiet ?? false);
    // A deploy folder or cluster that exists on one side only renders as nothing on the other, so the diff shows it
    // as wholly added (or removed) instead of failing; a --cluster that exists on neither side is a usage error.
    const have = (root: string): string[] => {
      const dir = join(root, rel);
      return existsSync(dir) ? discoverClusters(dir) : [];
    };
    const [baseHave, headHave] = [have(baseRoot), have(headRoot)];
    const asked = opts.clusters ?? [];
    const unknown = asked.filter((c) => !baseHave.includes(c) && !headHave.includes(c));
    if (unknown.length > 0) {
      throw new UsageError(
        'E_CLUSTER',
        `cluster ${unknown.join(', ')} not found in ${rel || '.'} on either revision`,
        `Either: pick one of ${[...new Set([...baseHave, ...headHave])].sort().join(', ') || '(none)'}, or drop --cluster.`,
      );
    }
    const side = async (root: string, clusters: string[], label: string): Promise<DeployRepoResult> => {
      const dir = join(root, rel);
      const wanted = asked.length > 0 ? asked.filter((c) => clusters.includes(c)) : clusters;
      if (wanted.length === 0) {
        if (!existsSync(dir)) process.stderr.write(`note: ${rel || '.'} does not exist on ${label}\n`);
        return { deployRepo: dir, clusters: [], ok: true };
      }
      const sideOpts = {
        ...opts,
        clusters: wanted,
        session,
        onProgress: progress.onProgress,
        ...(sameRepo ? { understack: root } : {}),
      };
      return renderDeployRepoWith(contextFor(dir, sideOpts), dir, sideOpts);
    };
    const [base, head] = [await side(baseRoot, baseHave, 'base'), await side(headRoot, headHave, 'head')];
    progress.end();
    let failed = false;
    // An app (or cluster) that failed on either side is not compared: its resources would otherwise show as
    // removed or added. It is listed as failed instead.
    const notCompared = new Map<string, { cluster: string; app: string; side: string[] }>();
    const skip = (cluster: string, app: string, side: string) => {
      const key = `${pathSegment(cluster)}/${app === '*' ? '' : `${pathSegment(app)}/`}`;
      const e = notCompared.get(key) ?? { cluster, app, side: [] };
      e.side.push(side);
      notCompared.set(key, e);
    };
    for (const [label, r] of [
      ['base', base],
      ['head', head],
    ] as const) {
      for (const c of r.clusters) {
        if (c.error) {
          failed = true;
          skip(c.cluster, '*', label);
          process.stderr.write(`error (${label}): ${formatError(c.error)}\n`);
        }
        for (const a of c.apps) {
          if (a.error) {
            failed = true;
            skip(c.cluster, a.name, label);
            process.stderr.write(`error (${label}): ${formatError(a.error)}\n`);
          }
        }
      }
    }
    const compared = (files: Map<string, string>) =>
      new Map([...files].filter(([p]) => ![...notCompared.keys()].some((k) => p.startsWith(k))));
    const d = diffRenders(compared(renderFiles(base, opts.mode)), compared(renderFiles(head, opts.mode)));
    const failedApps = [...notCompared.values()].map((f) => ({ cluster: f.cluster, app: f.app, failedOn: f.side }));
    if (v.json) {
      process.stdout.write(
        `${JSON.stringify({ base: v.base, head: v.head ?? 'working tree', ok: !failed, totals: d.totals, apps: d.apps, failed: failedApps }, null, 2)}\n`,
      );
    } else {
      for (const a of d.apps) {
        process.stdout.write(
          `=== ${a.cluster}/${a.app}: ${a.added.length} added, ${a.removed.length} removed, ${a.changed.length} changed\n`,
        );
        if (v.stat) continue;
        for (const [p, patch] of d.patches) if (p.startsWith(`${a.cluster}/${a.app}/`)) process.stdout.write(patch);
      }
      for (const f of failedApps) {
        process.stdout.write(
          `=== ${f.cluster}/${f.app === '*' ? '(cluster)' : f.app}: not compared, failed to render on ${f.failedOn.join(' and ')}\n`,
        );
      }
      const t = d.totals;
      process.stdout.write(
        t.apps === 0
          ? 'No differences.\n'
          : `Summary: ${t.added} added, ${t.removed} removed, ${t.changed} changed in ${t.apps} application(s).\n`,
      );
    }
    if (failed) return 1;
    return v['exit-code'] && d.totals.apps > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof RenderError) throw err;
    throw err;
  } finally {
    session.dispose();
    cleanup();
  }
}
