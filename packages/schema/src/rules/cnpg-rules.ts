/**
 * The global CNPG Cluster: pg_hba must leave no password-only or plaintext path (CNPG appends
 * `host all all all scram-sha-256` after the user's rules), and certificate authentication needs clientCASecret.
 */
import { get, isObj, type K8sObject, str } from '../model.js';
import type { JsonPath } from '../source.js';
import { defineRule, type Rule, type RuleContext } from './api.js';
import { dbUser } from './cert-rules.js';

/** The rule CNPG appends after the user's pg_hba lines. */
export const CNPG_APPENDED_RULE = 'host all all all scram-sha-256';

export interface HbaRule {
  type: string;
  databases: string[];
  users: string[];
  address: string;
  method: string;
  /** Index in spec.postgresql.pg_hba, or -1 for CNPG's appended rule. */
  index: number;
}

export function parseHba(line: string, index: number): HbaRule | undefined {
  const t = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
  if (t.length < 4) return undefined;
  const type = t[0]!;
  if (type === 'local')
    return { type, databases: t[1]!.split(','), users: t[2]!.split(','), address: '', method: t[3]!, index };
  if (t.length < 5) return undefined;
  let methodAt = 4;
  // `address mask` form: 10.0.0.0 255.0.0.0
  if (/^\d+\.\d+\.\d+\.\d+$/.test(t[3]!) && t[4] && /^\d+\.\d+\.\d+\.\d+$/.test(t[4])) methodAt = 5;
  const method = t[methodAt];
  if (!method) return undefined;
  return { type, databases: t[1]!.split(','), users: t[2]!.split(','), address: t[3]!, method, index };
}

interface Probe {
  ssl: boolean;
  v6: boolean;
  user: string;
  db: string;
}

function matches(r: HbaRule, p: Probe): boolean {
  if (r.type === 'local' || r.type === 'hostgssenc') return false;
  if (r.type === 'hostssl' && !p.ssl) return false;
  if (r.type === 'hostnossl' && p.ssl) return false;
  const nameOk = (list: string[], name: string, isDb: boolean) =>
    list.some((x) => x === 'all' || x === name || (isDb && x === 'sameuser' && p.user === p.db));
  if (!nameOk(r.databases, p.db, true) || !nameOk(r.users, p.user, false)) return false;
  const a = r.address;
  if (a === 'all') return true;
  if (a === '0.0.0.0/0') return !p.v6;
  if (a === '::/0' || a === '::0/0') return p.v6;
  return false;
}

const SAFE = (m: string, ssl: boolean) => m === 'reject' || (ssl && m === 'cert');

function cnpgClusters(ctx: RuleContext): K8sObject[] {
  return ctx.clusters
    .flatMap((c) => ctx.objects(c))
    .filter((o) => o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/'));
}

export const pgHbaOpen = defineRule({
  id: 'cnpg/pg-hba-open',
  severity: 'error',
  title: 'pg_hba leaves password-only or plaintext connections open',
  docs: 'CloudNativePG appends `host all all all scram-sha-256` after the rules in `spec.postgresql.pg_hba`, and pg_hba is first-match. `hostssl all all 0.0.0.0/0 cert` alone therefore still lets *non-TLS* clients (hostssl does not match them) and *IPv6* clients (0.0.0.0/0 does not match them) log in with just a password. Every remote connection must end at `cert` (TLS) or `reject`: e.g. `hostssl all all all cert` followed by `host all all all reject`. Any rule with a password or trust method is reported as well.',
  check(ctx) {
    const user = dbUser(ctx);
    for (const o of cnpgClusters(ctx)) {
      const hba = get(o.obj, ['spec', 'postgresql', 'pg_hba']);
      const lines = Array.isArray(hba) ? hba : [];
      const base: JsonPath = Array.isArray(hba)
        ? ['spec', 'postgresql', 'pg_hba']
        : isObj(get(o.obj, ['spec', 'postgresql']))
          ? ['spec', 'postgresql']
          : ['spec'];
      const rules = lines
        .map((l, i) => (typeof l === 'string' ? parseHba(l, i) : undefined))
        .filter((r): r is HbaRule => !!r);
      for (const r of rules) {
        if (r.type !== 'local' && !['cert', 'reject'].includes(r.method)) {
          ctx.report(
            { source: o.source, doc: o.doc, path: [...base, r.index] },
            `pg_hba rule "${lines[r.index]}" authenticates with ${r.method}: password-only (or no) authentication, no client certificate`,
            'Use the cert method over hostssl, or reject.',
          );
        }
      }
      const all = [...rules, parseHba(CNPG_APPENDED_RULE, -1)!];
      const open: string[] = [];
      for (const ssl of [true, false]) {
        for (const v6 of [false, true]) {
          for (const u of [user, 'any-other-user']) {
            const p: Probe = { ssl, v6, user: u, db: u };
            const hit = all.find((r) => matches(r, p))!;
            if (hit.index === -1 && !SAFE(hit.method, ssl)) {
              open.push(
                `${ssl ? 'TLS' : 'non-TLS'} ${v6 ? 'IPv6' : 'IPv4'}${u === user ? '' : ` (users other than ${user})`}`,
              );
            }
          }
        }
      }
      // A hole for the DB user implies the same hole for everyone else: keep the shorter label.
      const labels = [...new Set(open)].filter(
        (l) => !l.includes(' (users other') || !open.includes(l.replace(/ \(users other.*$/, '')),
      );
      if (labels.length) {
        ctx.report(
          { source: o.source, doc: o.doc, path: base },
          `CNPG Cluster "${o.name}": ${labels.join(', ')} connections fall through to CNPG's appended "${CNPG_APPENDED_RULE}": password-only login stays open`,
          'End pg_hba with rules that catch everything: "hostssl all all all cert" then "host all all all reject".',
        );
      }
    }
  },
});

export const cnpgMtlsSecrets = defineRule({
  id: 'cnpg/mtls-secrets',
  severity: 'error',
  title: 'CNPG certificate auth without clientCASecret / replicationTLSSecret',
  docs: 'PostgreSQL verifies client certificates against `ssl_ca_file`, which CNPG fills from `spec.certificates.clientCASecret` only; `serverCASecret` does not populate it. Without clientCASecret CNPG uses its own generated CA and external client certificates fail with `tlsv1 alert unknown ca`. When clientCASecret is set, CNPG also needs `replicationTLSSecret` (a streaming_replica client certificate), otherwise it wants the CA private key in clientCASecret. Server TLS needs serverTLSSecret and serverCASecret together.',
  check(ctx) {
    for (const o of cnpgClusters(ctx)) {
      const hba = get(o.obj, ['spec', 'postgresql', 'pg_hba']);
      const usesCert =
        Array.isArray(hba) && hba.some((l) => typeof l === 'string' && parseHba(l, 0)?.method === 'cert');
      if (!usesCert) continue;
      const certs = get(o.obj, ['spec', 'certificates']);
      const at = (k?: string): JsonPath => (isObj(certs) ? ['spec', 'certificates', ...(k ? [k] : [])] : ['spec']);
      const has = (k: string) => !!str(get(certs, [k]));
      if (!has('clientCASecret')) {
        ctx.report(
          { source: o.source, doc: o.doc, path: at() },
          `CNPG Cluster "${o.name}" uses pg_hba cert auth but sets no certificates.clientCASecret: PostgreSQL will not trust the mTLS CA ("tlsv1 alert unknown ca")`,
          'Set spec.certificates.clientCASecret to the CA public cert secret (mtls-ca-cert).',
        );
      } else if (!has('replicationTLSSecret')) {
        ctx.report(
          { source: o.source, doc: o.doc, path: at('clientCASecret') },
          `CNPG Cluster "${o.name}" sets clientCASecret without replicationTLSSecret: CNPG then needs the CA private key (ca.key) in the clientCASecret secret`,
          'Issue a streaming_replica client Certificate and set spec.certificates.replicationTLSSecret.',
        );
      }
      if (has('serverTLSSecret') !== has('serverCASecret')) {
        ctx.report(
          { source: o.source, doc: o.doc, path: at() },
          `CNPG Cluster "${o.name}" sets only one of serverTLSSecret and serverCASecret`,
          'Set both: the server certificate secret and the CA that signed it.',
        );
      } else if (!has('serverTLSSecret')) {
        ctx.report(
          { source: o.source, doc: o.doc, path: at() },
          `CNPG Cluster "${o.name}" has no serverTLSSecret: clients with verify-ca cannot verify CNPG's self-generated server certificate against the mTLS CA`,
          'Set spec.certificates.serverTLSSecret and serverCASecret to the cert-manager server certificate and the mTLS CA.',
        );
      }
    }
  },
});

export const cnpgRules: Rule[] = [pgHbaOpen, cnpgMtlsSecrets];
