/**
 * The tiers' inputs come from the example deploy repo and the charts only: a missing or incomplete input is an error
 * naming the file (never a stand-in fixture, never a chart's CI values).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { loadCnpgCluster, loadGatewayObjects } from '../src/manifests.js';
import { root } from '../src/paths.js';
import { workerValuesFile } from '../src/worker/render.js';

describe('e2e inputs', () => {
  const empty = mkdtempSync(join(tmpdir(), 'understack-e2e-inputs-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('should read every input from examples/deploy and charts/ of this repository', async () => {
    expect(loadCnpgCluster().source).toBe('examples/deploy/global-1/nautobot/cnpg-cluster.yaml');
    const gw = await loadGatewayObjects();
    expect(gw.source).toBe(
      'helm template envoy-configs charts/envoy-configs --namespace envoy-gateway-system -f examples/deploy/global-1/envoy-configs/values.yaml',
    );
    expect(gw.value.map((o) => o.kind)).toEqual(expect.arrayContaining(['Gateway', 'TLSRoute']));
    expect(workerValuesFile()).toBe(join(root(), 'examples/deploy/site-iad3/nautobot-worker/values.yaml'));
  });

  it('should refuse a missing example global cluster, naming the folder', () => {
    expect(() => loadCnpgCluster(empty)).toThrow(InputError);
    expect(() => loadCnpgCluster(empty)).toThrow(/examples\/deploy\/global-1\/ is missing[\s\S]*Either: restore/);
  });

  it('should refuse an example global cluster without a CNPG Cluster, naming the folder', () => {
    mkdirSync(join(empty, 'examples/deploy/global-1/nautobot'), { recursive: true });
    writeFileSync(join(empty, 'examples/deploy/global-1/nautobot/values.yaml'), 'foo: bar\n');
    expect(() => loadCnpgCluster(empty)).toThrow(
      /no CloudNativePG Cluster .* in examples\/deploy\/global-1\/ \(read 1 YAML file\(s\)\)[\s\S]*cnpg-cluster\.yaml/,
    );
  });

  it('should refuse missing envoy-configs values, naming the file', async () => {
    cpSync(join(root(), 'charts/envoy-configs'), join(empty, 'charts/envoy-configs'), {
      recursive: true,
      filter: (s) => !s.includes('node_modules'),
    });
    await expect(loadGatewayObjects(empty)).rejects.toThrow(
      /examples\/deploy\/global-1\/envoy-configs\/values\.yaml is missing/,
    );
  });

  it('should refuse a missing envoy-configs chart, naming it', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'understack-e2e-inputs-'));
    try {
      await expect(loadGatewayObjects(bare)).rejects.toThrow(
        /charts\/envoy-configs has no Chart\.yaml or no templates/,
      );
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('should refuse missing worker values, naming the file (no fallback to the chart’s ci values)', () => {
    expect(() => workerValuesFile(empty)).toThrow(InputError);
    expect(() => workerValuesFile(empty)).toThrow(
      /examples\/deploy\/site-iad3\/nautobot-worker\/values\.yaml is missing/,
    );
  });
});
