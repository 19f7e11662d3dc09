/** The global Nautobot (web and Celery) must speak mTLS too: pg_hba `cert` and Redis `authClients` apply to every pod. */
import { envEntries, get, isObj, walk } from '../model.js';
import { defineRule, type Rule } from './api.js';
import { parseHba } from './cnpg-rules.js';

/** Sections of the upstream nautobot chart that become pods on the global cluster. */
const SECTIONS = ['nautobot', 'celery'] as const;

export const globalNautobotMtls = defineRule({
  id: 'global/nautobot-mtls',
  severity: 'error',
  title: 'Global Nautobot pods without the mTLS client certificate',
  docs: "The single `hostssl all all all cert` pg_hba rule and Redis `authClients: true` apply to every client, not just site workers: the global Nautobot web pods (`nautobot`) and Celery pods (`celery`) must set NAUTOBOT_DB_SSLMODE=verify-ca and mount a client certificate secret too, or they are rejected as soon as the global database and Redis switch to mTLS. Checked in `<global cluster>/nautobot/values.yaml` when the repo's CNPG Cluster uses certificate authentication.",
  check(ctx) {
    const globals = ctx.clusters.filter((c) => c.isGlobal);
    for (const cluster of globals) {
      const certAuth = ctx
        .objects(cluster)
        .some(
          (o) =>
            o.kind === 'Cluster' &&
            o.apiVersion.startsWith('postgresql.cnpg.io/') &&
            (get(o.obj, ['spec', 'postgresql', 'pg_hba']) as unknown[] | undefined)?.some?.(
              (l) => typeof l === 'string' && parseHba(l, 0)?.method === 'cert',
            ),
        );
      const source = ctx.repo.sources.get(`${cluster.dir}/nautobot/values.yaml`);
      const values = source?.docs[0]?.value;
      if (!certAuth || !source || !isObj(values)) continue;
      for (const section of SECTIONS) {
        const s = values[section];
        if (s !== undefined && !isObj(s)) continue;
        if (isObj(s) && s.enabled === false) continue;
        const env = envEntries(s ?? {});
        const mode = [...env].reverse().find((e) => e.name === 'NAUTOBOT_DB_SSLMODE');
        const at = { source, doc: 0, path: isObj(s) ? [section] : [] };
        if (mode?.valueFrom === undefined && mode?.value !== 'verify-ca' && mode?.value !== 'verify-full') {
          ctx.report(
            mode ? { ...at, path: [section, ...mode.valuePath] } : at,
            mode
              ? `global ${section} pods set NAUTOBOT_DB_SSLMODE=${mode.value ?? ''}: pg_hba (hostssl ... cert) needs verify-ca with a client certificate`
              : `global ${section} pods do not set NAUTOBOT_DB_SSLMODE: without verify-ca they connect without a client certificate and pg_hba (hostssl ... cert) rejects them`,
            `Add NAUTOBOT_DB_SSLMODE=verify-ca to ${section}.extraEnvVars.`,
          );
        }
        const mounted = [...walk(s ?? {})].some(
          ([node]) => isObj(node) && isObj(node.secret) && /mtls|client/i.test(String(node.secret.secretName ?? '')),
        );
        if (!mounted) {
          ctx.report(
            at,
            `global ${section} pods mount no mTLS client certificate secret: PostgreSQL (cert auth) and Redis (authClients: true) reject them`,
            `Add a secret volume of the global client certificate (e.g. nautobot-mtls-client) to ${section}.extraVolumes and mount it at /etc/nautobot/mtls.`,
          );
        }
      }
    }
  },
});

export const globalRules: Rule[] = [globalNautobotMtls];
