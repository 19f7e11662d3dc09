/**
 * Schema validation of every file the system defines a shape for, with unknown keys reported separately (and with a
 * "did you mean" suggestion) because a misspelt key is silently ignored by Helm: the component just never deploys.
 */
import { get, isObj, str, WORKER_DIR } from '../model.js';
import type { Cluster } from '../repo.js';
import type { JsonPath, YamlSource } from '../source.js';
import { didYouMean } from '../suggest.js';
import { type SchemaIssue, validators } from '../validators.js';
import { defineRule, type Rule, type RuleContext } from './api.js';

export interface SchemaTarget {
  schema: string;
  source: YamlSource;
  doc: number;
  value: unknown;
}

/** Is this Certificate an mTLS *client* certificate (the shape `client-certificate.schema.json` describes)? */
export function isClientCertificate(obj: Record<string, unknown>): boolean {
  const spec = isObj(obj.spec) ? obj.spec : {};
  // CNPG's streaming replication certificate (CN streaming_replica) is a client certificate of another contract.
  if (spec.commonName === 'streaming_replica') return false;
  const usages = Array.isArray(spec.usages) ? spec.usages : [];
  if (usages.includes('client auth') && !usages.includes('server auth')) return true;
  const name = `${str((obj.metadata as Record<string, unknown> | undefined)?.name) ?? ''} ${str(spec.secretName) ?? ''}`;
  return /mtls-client|client-cert/i.test(name);
}

/** The secret name an ExternalSecret produces. */
export function externalSecretTarget(obj: Record<string, unknown>): string {
  return str(get(obj, ['spec', 'target', 'name'])) ?? str(get(obj, ['metadata', 'name'])) ?? '';
}

/** Every (schema, document) pair to validate in one cluster. */
export function schemaTargets(ctx: RuleContext, cluster: Cluster): SchemaTarget[] {
  const out: SchemaTarget[] = [];
  const add = (schema: string, source: YamlSource | undefined, doc = 0) => {
    if (!source || !validators[schema]) return;
    const d = source.docs[doc];
    // An empty document is valid input to Helm (no values); null is not a schema violation.
    if (!d || d.value === undefined || d.value === null || source.problems.length) return;
    out.push({ schema, source, doc, value: d.value });
  };
  const file = (rel: string) => ctx.repo.sources.get(`${cluster.dir}/${rel}`);
  add('deploy', cluster.deploy);
  if (cluster.isSite) {
    add('nautobot-worker-values', file(`${WORKER_DIR}/values.yaml`));
    add('worker-kustomization', file(`${WORKER_DIR}/kustomization.yaml`));
  }
  add('envoy-configs-values', file('envoy-configs/values.yaml'));
  add('nautobot-mtls-values', file('nautobot-mtls/values.yaml'));
  const secretName = ctx.worker(cluster)?.secretName ?? ctx.options.workerChart.secretName;
  for (const o of ctx.objects(cluster)) {
    if (o.kind === 'ExternalSecret' && cluster.isSite && externalSecretTarget(o.obj) === secretName) {
      add('mtls-external-secret', o.source, o.doc);
    }
    if (o.kind === 'Certificate' && o.apiVersion.startsWith('cert-manager.io/') && isClientCertificate(o.obj)) {
      add('client-certificate', o.source, o.doc);
    }
  }
  return out;
}

/** Validation results per parsed source (sources are new on every lint run): schema/invalid and schema/unknown-key share one validation. */
const issueCache = new WeakMap<YamlSource, Map<string, SchemaIssue[]>>();

function issuesFor(t: SchemaTarget): SchemaIssue[] {
  let bySource = issueCache.get(t.source);
  if (!bySource) {
    bySource = new Map();
    issueCache.set(t.source, bySource);
  }
  const key = `${t.schema}#${t.doc}`;
  let issues = bySource.get(key);
  if (!issues) {
    const r = validators[t.schema]!(t.value);
    issues = r.ok ? [] : r.issues;
    bySource.set(key, issues);
  }
  return issues;
}

export const schemaInvalid = defineRule({
  id: 'schema/invalid',
  severity: 'error',
  title: 'Value does not match its JSON Schema',
  docs: "Each file the system defines a shape for is validated against its published schema: a cluster's deploy.yaml (`deploy`), the site worker values (`nautobot-worker-values`), the worker overlay kustomization (`worker-kustomization`), envoy-configs and nautobot-mtls values, the site mTLS ExternalSecret (`mtls-external-secret`) and mTLS client Certificates (`client-certificate`). A wrong type or a missing required field fails at render or sync time, far from the line that caused it; the linter reports it at that line. Where a more specific rule reports the same place, only the specific finding is kept.",
  check(ctx) {
    for (const cluster of ctx.clusters) {
      for (const t of schemaTargets(ctx, cluster)) {
        for (const issue of issuesFor(t)) {
          if (issue.keyword === 'additionalProperties') continue;
          ctx.report(
            { source: t.source, doc: t.doc, path: issue.path },
            `${issue.message} (schema ${t.schema})`,
            `The allowed shape: schemas/${t.schema}.schema.json in @understack/schema (https://understack.example/schemas/v1/${t.schema}.schema.json).`,
          );
        }
      }
    }
  },
});

export const schemaUnknownKey = defineRule({
  id: 'schema/unknown-key',
  severity: 'error',
  title: 'Unknown key (probably a typo)',
  docs: 'Helm and the argocd-understack chart ignore keys they do not know, so `site.nautobot_wroker.enabled: true` deploys nothing and reports nothing. Every schema that knows its complete key set rejects extra keys; the linter reports each unknown key at the key itself and suggests the closest known key (`nautobot_wroker` -> `nautobot_worker`).',
  check(ctx) {
    for (const cluster of ctx.clusters) {
      for (const t of schemaTargets(ctx, cluster)) {
        for (const issue of issuesFor(t)) {
          if (issue.keyword !== 'additionalProperties' || !issue.unknownKey) continue;
          const guess = didYouMean(issue.unknownKey, issue.allowedKeys ?? []);
          const parent = issue.path.slice(0, -1) as JsonPath;
          ctx.report(
            { source: t.source, doc: t.doc, path: issue.path, key: true },
            guess
              ? `unknown key "${issue.unknownKey}": did you mean "${guess}"?`
              : `unknown key "${issue.unknownKey}" (schema ${t.schema})`,
            guess
              ? `Rename it to "${guess}".`
              : `Allowed keys${parent.length ? ' here' : ''}: ${(issue.allowedKeys ?? []).slice(0, 12).join(', ')}${(issue.allowedKeys?.length ?? 0) > 12 ? ', ...' : ''}.`,
          );
        }
      }
    }
  },
});

export const schemaRules: Rule[] = [schemaInvalid, schemaUnknownKey];
