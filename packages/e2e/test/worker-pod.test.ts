/**
 * The mapping of the rendered nautobot-worker Deployment onto a process (real helm render of the chart with the
 * example site's values): command, env sources, mounts, the init container and the file probes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { K8sObject } from '../src/envoy-config.js';
import {
  expand,
  findDeployment,
  mapPod,
  type PodInputs,
  PodMappingError,
  rewritePaths,
  runProbe,
} from '../src/worker/pod.js';
import { renderWorker } from '../src/worker/render.js';

describe(mapPod, () => {
  let objects: K8sObject[];
  let dir: string;
  let inputs: PodInputs;

  beforeAll(async () => {
    objects = (await renderWorker()).objects;
    dir = mkdtempSync(join(tmpdir(), 'understack-e2e-pod-'));
    const mtls = join(dir, 'secret');
    mkdirSync(mtls);
    for (const f of ['tls.crt', 'tls.key', 'ca.crt']) writeFileSync(join(mtls, f), `${f}\n`);
    inputs = {
      secretValues: {
        'nautobot-db': { password: 'db-pw' },
        'nautobot-redis': { password: 'redis-pw' },
        'nautobot-django': { NAUTOBOT_SECRET_KEY: 'sk' },
      },
      secretDirs: { 'nautobot-mtls-client': mtls },
      podName: 'nautobot-worker-default-abc12',
      namespace: 'nautobot',
      root: join(dir, 'pod'),
      executables: { 'nautobot-server': '/venv/bin/nautobot-server' },
    };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should run the venv nautobot-server celery worker on the site queue with the pod name expanded', () => {
    const spec = mapPod(objects, findDeployment(objects), inputs);
    expect(spec.argv.slice(0, 3)).toEqual(['/venv/bin/nautobot-server', 'celery', 'worker']);
    expect(spec.argv).toContain('--queues=site-iad3');
    expect(spec.argv).toContain('--hostname=default-site-iad3@nautobot-worker-default-abc12');
    expect(spec.argv).toContain('--loglevel=INFO');
  });

  it('should resolve secretKeyRef, fieldRef and envFrom cluster-data when mapping env', () => {
    const { env } = mapPod(objects, findDeployment(objects), inputs);
    expect(env.NAUTOBOT_DB_PASSWORD).toBe('db-pw');
    expect(env.NAUTOBOT_REDIS_PASSWORD).toBe('redis-pw');
    expect(env.NAUTOBOT_SECRET_KEY).toBe('sk');
    expect(env.POD_NAME).toBe('nautobot-worker-default-abc12');
    expect(env.POD_NAMESPACE).toBe('nautobot');
    expect(env.UNDERSTACK_SITE).toBe('site-iad3');
    expect(env.UNDERSTACK_PARTITION).toBe('iad3');
    expect(env.NAUTOBOT_DB_HOST).toBe('nautobot-db.understack.example');
    expect(env.NAUTOBOT_DB_SSLMODE).toBe('verify-ca');
  });

  it('should map every mount to a run folder and rewrite paths in env when mapping volumes', () => {
    const spec = mapPod(objects, findDeployment(objects), inputs);
    const mtls = spec.mounts['/etc/nautobot/mtls']!;
    expect(mtls.startsWith(inputs.root)).toBe(true);
    expect(spec.env.NAUTOBOT_DB_SSLCERT).toBe(join(mtls, 'tls.crt'));
    expect(spec.env.NAUTOBOT_REDIS_SSL_CA_CERTS).toBe(join(mtls, 'ca.crt'));
    // The Secret volume keeps the chart's defaultMode 256 (0400).
    expect(statSync(join(mtls, 'tls.key')).mode & 0o777).toBe(0o400);
    // The ConfigMap subPath mount is the chart's nautobot_config.py.
    const config = spec.mounts['/opt/nautobot/nautobot_config.py']!;
    expect(spec.env.NAUTOBOT_CONFIG).toBe(config);
    expect(readFileSync(config, 'utf8')).toContain('SSL certificate file required by');
    expect(spec.env.NAUTOBOT_CELERY_WORKER_READINESS_FILE).toBe(
      join(spec.mounts['/tmp']!, 'nautobot_celery_worker_ready'),
    );
    expect(spec.env.SSL_CERT_FILE).toBe(join(spec.mounts['/etc/nautobot/trust']!, 'ca-bundle.crt'));
    const unmapped = Object.entries(spec.env).filter(
      ([, v]) => !v.startsWith(inputs.root) && /^\/(etc\/nautobot|tmp|opt\/nautobot)\//.test(v),
    );
    expect(unmapped).toEqual([]);
  });

  it('should build the trust bundle when the init container runs for real', async () => {
    const spec = mapPod(objects, findDeployment(objects), inputs);
    expect(spec.initContainers.map((c) => c.name)).toEqual(['trust-bundle']);
    const init = spec.initContainers[0]!;
    const { execFileSync } = await import('node:child_process');
    execFileSync(init.argv[0]!, init.argv.slice(1), { env: { PATH: process.env.PATH, ...init.env } });
    const bundle = readFileSync(join(spec.mounts['/etc/nautobot/trust']!, 'ca-bundle.crt'), 'utf8');
    expect(bundle.endsWith('ca.crt\n')).toBe(true);
  });

  it('should pass the readiness probe only when the readiness file exists, and liveness only when the heartbeat is fresh', () => {
    const spec = mapPod(objects, findDeployment(objects), inputs);
    const ready = join(spec.mounts['/tmp']!, 'nautobot_celery_worker_ready');
    const beat = join(spec.mounts['/tmp']!, 'nautobot_celery_worker_heartbeat');
    expect(runProbe(spec.probes.readiness, spec.env)).toBe(false);
    writeFileSync(ready, '');
    expect(runProbe(spec.probes.readiness, spec.env)).toBe(true);
    expect(runProbe(spec.probes.liveness, spec.env)).toBe(false);
    writeFileSync(beat, '');
    expect(runProbe(spec.probes.liveness, spec.env)).toBe(true);
    expect(existsSync(ready)).toBe(true);
  });

  it.each([
    [
      'a missing secretKeyRef',
      (o: K8sObject[], i: PodInputs) => [o, { ...i, secretValues: {} }],
      /secretKeyRef nautobot-db\/password is not provided/,
    ],
    [
      'a missing Secret volume',
      (o: K8sObject[], i: PodInputs) => [o, { ...i, secretDirs: {} }],
      /Secret nautobot-mtls-client is not provided/,
    ],
    [
      'a hostPath volume',
      (o: K8sObject[], i: PodInputs) => {
        const c = structuredClone(o);
        const d = findDeployment(c) as { spec: { template: { spec: { volumes: object[] } } } };
        d.spec.template.spec.volumes.push({ name: 'host', hostPath: { path: '/var' } });
        return [c, i];
      },
      /volume host: only configMap, secret and emptyDir volumes are mapped/,
    ],
    [
      'a sidecar container',
      (o: K8sObject[], i: PodInputs) => {
        const c = structuredClone(o);
        const d = findDeployment(c) as { spec: { template: { spec: { containers: object[] } } } };
        d.spec.template.spec.containers.push({ name: 'sidecar', command: ['sleep'] });
        return [c, i];
      },
      /2 containers; the process tier runs one/,
    ],
    [
      'an envFrom secretRef the harness does not provide',
      (o: K8sObject[], i: PodInputs) => {
        const c = structuredClone(o);
        const d = findDeployment(c) as { spec: { template: { spec: { containers: { envFrom?: object[] }[] } } } };
        const main = d.spec.template.spec.containers[0]!;
        main.envFrom = [...(main.envFrom ?? []), { secretRef: { name: 'nautobot-extra' } }];
        return [c, i];
      },
      /container \S+ envFrom\[\d+\]: secretRef nautobot-extra is not provided by the harness \(it provides nautobot-db, nautobot-redis, nautobot-django\)/,
    ],
  ] as const)('should refuse with a clear error when the pod has %s', (_what, change, error) => {
    const [o, i] = change(objects, { ...inputs, root: join(dir, `pod-${Math.random()}`) }) as [K8sObject[], PodInputs];
    expect(() => mapPod(o, findDeployment(o), i)).toThrow(PodMappingError);
    expect(() => mapPod(o, findDeployment(o), i)).toThrow(error);
  });
});

describe(expand, () => {
  it('should expand $(VAR), keep unknown ones and unescape $$ when expanding like Kubernetes', () => {
    expect(expand('a=$(X) b=$(Y) c=$$(X)', { X: '1' })).toBe('a=1 b=$(Y) c=$(X)');
  });
});

describe(rewritePaths, () => {
  it('should rewrite the longest mount path first and leave look-alike prefixes alone', () => {
    const m = { '/tmp': '/run/tmp', '/tmp/prom': '/run/prom' };
    expect(rewritePaths('/tmp/prom/x /tmp/a /tmpfoo', m)).toBe('/run/prom/x /run/tmp/a /tmpfoo');
  });
});
