/**
 * Isolation and safety against the real tools: credentials never reach a printed error or command line (even when a
 * tool echoes them on stderr), the caller's HELM_* / KUBECONFIG never reach helm, every helm call gets a private
 * Helm home, and the user's checkout is never written.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApplication } from '../src/application.js';
import { formatError } from '../src/errors.js';
import { Session } from '../src/session.js';
import { app, CLUSTER, cleanupTemps, fixtureRepo, REPO_URL, renderError, writeFile } from './helpers.js';

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
