import { describe, expect, it } from 'vitest';
import { CNPG_HBA_TAIL, pgHba, planCluster } from '../src/cnpg.js';
import { loadCnpgCluster } from '../src/manifests.js';

describe(planCluster, () => {
  it('should read the example global cluster: certificates, database, owner and pg_hba', () => {
    const { value, source } = loadCnpgCluster();
    const plan = planCluster(value, source);
    expect(plan.database).toBe('app');
    expect(plan.owner).toBe('app');
    expect(Object.values(plan.secrets).every(Boolean)).toBe(true);
    expect(plan.userHba.some((l) => /^hostssl\s+all\s+all\s+\S+\s+cert/.test(l))).toBe(true);
  });

  it('should name the missing certificate field', () => {
    expect(() =>
      planCluster({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', spec: { certificates: {} } }, 'x.yaml'),
    ).toThrow(/x\.yaml: spec\.certificates\.serverTLSSecret is not set/);
  });
});

describe(pgHba, () => {
  const plan = planCluster(
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      spec: {
        certificates: { serverTLSSecret: 'a', serverCASecret: 'b', clientCASecret: 'c', replicationTLSSecret: 'd' },
        postgresql: { pg_hba: ['hostssl all all 0.0.0.0/0 cert', 'host all all 0.0.0.0/0 reject'] },
      },
    },
    'x',
  );

  it("should put CNPG's fixed rules first, the manifest's next and CNPG's default rule last", () => {
    const lines = pgHba(plan)
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines[1]).toBe('hostssl postgres streaming_replica all cert');
    expect(lines.indexOf('hostssl all all 0.0.0.0/0 cert')).toBeLessThan(lines.indexOf(CNPG_HBA_TAIL[0]!));
    expect(lines.at(-1)).toBe('host all all all scram-sha-256');
  });

  it("should leave only CNPG's rules when asked (what the default rule alone lets in)", () => {
    expect(pgHba(plan, { withUserRules: false })).not.toContain('reject');
  });
});
