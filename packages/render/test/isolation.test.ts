/**
 * Isolation and safety against the real tools: credentials never reach a printed error or command line (even when a
 * tool echoes them on stderr), the caller's HELM_* / KUBECONFIG never reach helm, every helm call gets a private
 * Helm home, and the user's checkout is never written.
 */

import { readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApplication } from '../src/application.js';
import { formatError } from '../src/errors.js';
import { kustomizeBuild } from '../src/kustomize.js';
import { Session } from '../src/session.js';
import { pinnedToolPath } from '../src/tools.js';
import {
  app,
  CLUSTER,
  chartMirror,
  cleanupTemps,
  find,
  fixtureRepo,
  REPO_URL,
  render,
  renderError,
  writeFile,
} from './helpers.js';

const SECRET = 'hunter2-s3cret';
let server: Server;
let port: number;

beforeAll(async () => {
  // A loopback chart repository that always fails, so helm reports the URL it was given.
  server = createServer((_req, res) => {
    res.statusCode = 500;
    res.end('boom');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  cleanupTemps();
  await new Promise((ok) => server.close(ok));
});

describe(Session, () => {
  it("should clear the caller's HELM_*, KUBECONFIG and KUSTOMIZE_* and give each helm call a private, removed Helm home", async () => {
    const saved = { ...process.env };
    const theirs = join(fixtureRepo('user-helm'), 'home');
    Object.assign(process.env, {
      HELM_CONFIG_HOME: theirs,
      HELM_CACHE_HOME: theirs,
      HELM_DATA_HOME: theirs,
      HELM_NAMESPACE: 'evil',
      HELM_DEBUG: 'true',
      HELM_REPOSITORY_CONFIG: join(theirs, 'repositories.yaml'),
      KUBECONFIG: join(theirs, 'kubeconfig'),
      KUSTOMIZE_PLUGIN_HOME: theirs,
    });
    let session: Session | undefined;
    try {
      session = new Session({ concurrency: 1 });
      const helm = pinnedToolPath('helm');
      const env = Object.fromEntries(
        (await session.run({ bin: helm, args: ['env'], cwd: session.tmp, helmHome: true })).stdout
          .trim()
          .split('\n')
          .map((l) => {
            const i = l.indexOf('=');
            return [l.slice(0, i), JSON.parse(l.slice(i + 1)) as string];
          }),
      );
      expect(env['HELM_NAMESPACE']).toBe('default');
      expect(env['HELM_DEBUG']).toBe('false');
      for (const k of ['HELM_CONFIG_HOME', 'HELM_CACHE_HOME', 'HELM_DATA_HOME', 'HELM_REPOSITORY_CONFIG']) {
        expect(env[k], k).toMatch(new RegExp(`^${session.tmp}/helm-home-\\d+/`));
      }
      // The private home is gone once the call returns.
      expect(readdirSync(session.tmp).filter((n) => n.startsWith('helm-home-'))).toEqual([]);
      const shell = await session.run({
        bin: 'sh',
        args: ['-c', 'echo "kubeconfig=$KUBECONFIG. plugins=$KUSTOMIZE_PLUGIN_HOME."'],
        cwd: session.tmp,
      });
      expect(shell.stdout.trim()).toBe('kubeconfig=. plugins=.');
    } finally {
      session?.dispose();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('should redact user:password from the command line and helm stderr when a chart pull fails', async () => {
    const repoURL = `http://admin:${SECRET}@127.0.0.1:${port}/charts`;
    const session = new Session({ concurrency: 1 });
    try {
      const err = await renderApplication(app({ source: { repoURL, chart: 'foo', targetRevision: '1.2.3' } }), {
        ...CLUSTER,
        allowNetwork: true,
        session,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'the pull from a failing repository must fail').toBeDefined();
      const printed = formatError(err);
      expect(printed).toContain(`admin:******@127.0.0.1:${port}`);
      expect(printed).toContain('failed exit status');
      expect(printed).not.toContain(SECRET);
      for (const c of session.commands) expect(c.display).not.toContain(SECRET);
    } finally {
      session.dispose();
    }
  });

  it('should redact a secret --set value that the tool echoes on stderr when helm template fails', async () => {
    const R = fixtureRepo('echo');
    writeFile(join(R, 'leaky', 'Chart.yaml'), 'apiVersion: v2\nname: leaky\nversion: 0.1.0\n');
    writeFile(
      join(R, 'leaky', 'templates', 'fail.yaml'),
      '{{ fail (printf "cannot log in with %s" .Values.db.password) }}\n',
    );
    const { message, hint } = await renderError(
      app({
        source: {
          repoURL: REPO_URL,
          path: 'leaky',
          targetRevision: 'HEAD',
          helm: { parameters: [{ name: 'db.password', value: SECRET }] },
        },
      }),
      { repos: { [REPO_URL]: R } },
    );
    expect(message).toContain('cannot log in with ******');
    expect(message).toContain('db.password=******');
    expect(`${message}\n${hint}`).not.toContain(SECRET);
  });
});

/** Every file under `dir` with its content: a snapshot to prove a checkout was not written. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe(kustomizeBuild, () => {
  const CHARTS = 'https://charts.example.com/stable';
  const helmKustomization =
    'helmCharts:\n  - name: foo\n    repo: https://charts.example.com/stable\n    version: 1.2.0\n    releaseName: kh\n';

  it('should inflate a mapped helmCharts chart on a private copy and leave the checkout unchanged when --enable-helm is set', async () => {
    const R = fixtureRepo('kust-helm');
    writeFile(join(R, 'kh', 'kustomization.yaml'), helmKustomization);
    const before = snapshot(R);
    const { result, commands } = await render(app({ source: { repoURL: REPO_URL, path: 'kh' } }), {
      repos: { [REPO_URL]: R },
      chartRepos: { [CHARTS]: chartMirror(['1.1.0', '1.2.0']) },
      kustomizeBuildOptions: '--enable-helm',
    });
    const cm = find(result.manifests, 'ConfigMap', 'kh-foo');
    expect(cm?.['data']).toMatchObject({ chartVersion: '1.2.0' });
    const build = commands.find((c) => c.args[0] === 'build')!;
    expect(build.args[1]!.startsWith(R)).toBe(false);
    expect(snapshot(R)).toEqual(before);
  });

  it('should refuse an unmapped helmCharts chart offline, naming chart, version and flag, and never run kustomize', async () => {
    const R = fixtureRepo('kust-helm-offline');
    writeFile(join(R, 'kh', 'kustomization.yaml'), helmKustomization);
    const before = snapshot(R);
    const { message, hint, commands } = await renderError(app({ source: { repoURL: REPO_URL, path: 'kh' } }), {
      repos: { [REPO_URL]: R },
      kustomizeBuildOptions: '--enable-helm',
    });
    expect(message).toContain(
      'kustomize helmCharts in kh/kustomization.yaml: chart foo version 1.2.0 from https://charts.example.com/stable is not available offline',
    );
    expect(hint).toContain(`--chart-repo ${CHARTS}=<dir>`);
    expect(hint).toContain('--allow-network');
    expect(commands.filter((c) => c.args[0] === 'build')).toEqual([]);
    expect(snapshot(R)).toEqual(before);
  });

  it('should refuse a remote kustomize base offline and name the fix', async () => {
    const R = fixtureRepo('kust-remote');
    writeFile(
      join(R, 'kr', 'kustomization.yaml'),
      'resources:\n  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0\n',
    );
    const { message, hint } = await renderError(app({ source: { repoURL: REPO_URL, path: 'kr' } }), {
      repos: { [REPO_URL]: R },
    });
    expect(message).toContain(
      'kustomize build kr needs the network: it references https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0',
    );
    expect(hint).toContain('--allow-network');
  });

  it('should refuse an out-of-bounds symlink in a kustomize base outside the app folder', async () => {
    const R = fixtureRepo('kust-oob');
    symlinkSync('/etc/hostname', join(R, 'kust', 'base', 'leak.yaml'));
    const { message, hint } = await renderError(app({ source: { repoURL: REPO_URL, path: 'kust/overlay' } }), {
      repos: { [REPO_URL]: R },
      kustomizeBuildOptions: '--load-restrictor LoadRestrictionsNone',
    });
    expect(message).toContain('repository contains out-of-bounds symlinks. file: kust/base/leak.yaml');
    expect(hint).toContain('Either:');
  });

  it('should run spec.kustomize edits and a plain build without writing the checkout', async () => {
    const R = fixtureRepo('kust-edits');
    const before = snapshot(R);
    const { result, commands } = await render(
      app({
        source: {
          repoURL: REPO_URL,
          path: 'kust/overlay',
          kustomize: { namePrefix: 'p-', commonLabels: { team: 'x' } },
        },
      }),
      { repos: { [REPO_URL]: R }, kustomizeBuildOptions: '--load-restrictor LoadRestrictionsNone' },
    );
    expect(result.manifests.length).toBeGreaterThan(0);
    expect(result.manifests.every((o) => o.metadata?.name?.startsWith('p-'))).toBe(true);
    expect(commands.filter((c) => c.args[0] === 'edit').every((c) => !c.cwd.startsWith(R))).toBe(true);
    const plain = await render(app({ source: { repoURL: REPO_URL, path: 'kust/overlay' } }), {
      repos: { [REPO_URL]: R },
      kustomizeBuildOptions: '--load-restrictor LoadRestrictionsNone',
    });
    // A plain build records the command Argo runs on the checkout (its copy is identical).
    expect(plain.commands[0]!.args.slice(0, 2)).toEqual(['build', join(R, 'kust/overlay')]);
    expect(snapshot(R)).toEqual(before);
  });
});
