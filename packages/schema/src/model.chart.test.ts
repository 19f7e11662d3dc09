/** The linter's model of the nautobot-worker chart must match the chart's values.yaml (when the chart is beside us). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../scripts/lib/codegen.js';
import { WORKER_CHART_DEFAULTS } from './model.js';

const valuesFile = path.join(repoRoot, 'charts', 'nautobot-worker', 'values.yaml');

describe('WORKER_CHART_DEFAULTS', () => {
  // The chart lives in this monorepo, not in the published package: the check runs where both exist.
  it.runIf(existsSync(valuesFile))('should equal the defaults in charts/nautobot-worker/values.yaml', () => {
    const values = parse(readFileSync(valuesFile, 'utf8'));
    const d = WORKER_CHART_DEFAULTS;
    expect({
      enabled: values.mtls.enabled,
      secretName: values.mtls.secretName,
      mountPath: values.mtls.mountPath,
      defaultMode: values.mtls.defaultMode,
      dbSslMode: values.mtls.dbSslMode,
      dbSslNegotiation: values.mtls.dbSslNegotiation,
      trustBundleMode: values.mtls.trustBundle.mode,
    }).toEqual({
      enabled: d.mtlsEnabled,
      secretName: d.secretName,
      mountPath: d.mountPath,
      defaultMode: d.defaultMode,
      dbSslMode: d.mtlsEnv.NAUTOBOT_DB_SSLMODE!.default,
      dbSslNegotiation: d.mtlsEnv.NAUTOBOT_DB_SSLNEGOTIATION!.default,
      trustBundleMode: d.trustBundleMode,
    });
  });
});
