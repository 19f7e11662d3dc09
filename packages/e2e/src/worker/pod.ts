/**
 * Turns the rendered nautobot-worker Deployment into a process: the main container's command with Kubernetes'
 * `$(VAR)` expansion, its env (`value`, `secretKeyRef` resolved from the harness's secrets, `configMapKeyRef`,
 * `fieldRef`), `envFrom` ConfigMaps, and every volume mount mapped to a folder of the run (ConfigMap files written
 * out, Secret volumes copied with their `defaultMode`, emptyDirs created). Paths in env values, arguments and probe
 * commands are rewritten through the same mount map. Init containers run first, for real (`sh` scripts). Anything
 * it cannot map is refused with the object path, never skipped silently.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { K8sObject } from '../envoy-config.js';
import { timeouts } from '../timeouts.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
interface Mount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean }; prefix?: string }[];
  volumeMounts?: Mount[];
  startupProbe?: { exec?: { command: string[] } };
  readinessProbe?: { exec?: { command: string[] } };
  livenessProbe?: { exec?: { command: string[] } };
}
interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[]; defaultMode?: number };
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
  emptyDir?: object;
}

/** What the harness provides for the pod's references. */
export interface PodInputs {
  /** Secret name -> key -> value (env `secretKeyRef`). */
  secretValues: Record<string, Record<string, string>>;
  /** Secret name -> folder holding one file per key (Secret volumes, e.g. `nautobot-mtls-client`). */
  secretDirs: Record<string, string>;
  podName: string;
  namespace: string;
  /** Where mounts are materialised. */
  root: string;
  /** Executables by name for the container command (e.g. `nautobot-server` -> the venv's). */
  executables: Record<string, string>;
}

export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  /** Pod mount path -> host path. */
  mounts: Record<string, string>;
  /** Probe commands with paths rewritten. */
  probes: { startup?: string[]; readiness?: string[]; liveness?: string[] };
  /** The container image (its tag names the Nautobot version the pod expects). */
  image: string;
  /** Secret volumes: pod secret name -> the host folder the pod reads (rotation rewrites these files). */
  secretVolumes: Record<string, string>;
  initContainers: { name: string; argv: string[]; env: Record<string, string> }[];
}

export class PodMappingError extends Error {}

/** Finds the Deployment of a worker (default: the first Deployment). */
export function findDeployment(objects: K8sObject[], name?: string): K8sObject {
  const deps = objects.filter((o) => o.kind === 'Deployment');
  const d = name ? deps.find((o) => o.metadata?.name === name) : deps[0];
  if (!d)
    throw new PodMappingError(
      `no Deployment${name ? ` named ${name}` : ''} in the rendered worker (found: ${deps.map((o) => o.metadata?.name).join(', ') || 'none'})`,
    );
  return d;
}

function configMap(objects: K8sObject[], name: string, where: string): Record<string, string> {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === name) as
    | (K8sObject & { data?: Record<string, string> })
    | undefined;
  if (!cm) throw new PodMappingError(`${where}: ConfigMap ${name} is not in the rendered output`);
  return cm.data ?? {};
}

/** Kubernetes `$(VAR)` expansion (`$$(VAR)` escapes; unknown variables stay as written). */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string | undefined) => {
    if (m === '$$') return '$';
    return v !== undefined && v in env ? env[v]! : m;
  });
}

/** Rewrites pod paths (mount paths, longest first) inside a string. */
export function rewritePaths(s: string, mounts: Record<string, string>): string {
  const paths = Object.keys(mounts).sort((a, b) => b.length - a.length);
  if (paths.length === 0) return s;
  // One pass over an alternation (longest path first), so a rewritten path is never rewritten again.
  const alt = paths.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const re = new RegExp(`(^|[\\s'"=:])(${alt})(?=$|[/\\s'"])`, 'g');
  return s.replace(re, (_m, pre: string, p: string) => `${pre}${mounts[p]}`);
}

/** Writes a file atomically (rename into place), like the kubelet's symlink swap for Secret/ConfigMap volumes. */
export function writeAtomic(path: string, data: string | Buffer, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function mapPod(objects: K8sObject[], deployment: K8sObject, inputs: PodInputs): ProcessSpec {
  const where = `Deployment ${deployment.metadata?.name}`;
  const pod = (deployment.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
  if (!pod) throw new PodMappingError(`${where}: spec.template.spec is missing`);
  const containers = (pod.containers as Container[] | undefined) ?? [];
  const main = containers[0];
  if (!main) throw new PodMappingError(`${where}: no containers`);
  if (containers.length > 1)
    throw new PodMappingError(
      `${where}: ${containers.length} containers; the process tier runs one (sidecars are not mapped)`,
    );
  const volumes = new Map(((pod.volumes as Volume[] | undefined) ?? []).map((v) => [v.name, v]));
  const inits = (pod.initContainers as Container[] | undefined) ?? [];

  // Materialise every volume once.
  const volumeDirs = new Map<string, string>();
  const secretVolumes: Record<string, string> = {};
  for (const [name, v] of volumes) {
    const dir = join(inputs.root, 'volumes', name);
    mkdirSync(dir, { recursive: true });
    if (v.configMap) {
      const data = configMap(objects, v.configMap.name, `${where} volume ${name}`);
      const items = v.configMap.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
      for (const it of items) {
        if (!(it.key in data))
          throw new PodMappingError(`${where} volume ${name}: ConfigMap ${v.configMap.name} has no key ${it.key}`);
        mkdirSync(dirname(join(dir, it.path)), { recursive: true });
        writeFileSync(join(dir, it.path), data[it.key]!, { mode: v.configMap.defaultMode ?? 0o644 });
      }
    } else if (v.secret) {
      const src = inputs.secretDirs[v.secret.secretName];
      if (!src || !existsSync(src))
        throw new PodMappingError(
          `${where} volume ${name}: Secret ${v.secret.secretName} is not provided by the harness`,
        );
      const mode = v.secret.defaultMode ?? 0o644;
      const items = v.secret.items ?? readdirSync(src).map((k) => ({ key: k, path: k }));
      for (const it of items) copySecretFile(join(src, it.key), join(dir, it.path), mode);
      secretVolumes[v.secret.secretName] = dir;
    } else if (v.emptyDir) {
      // an empty folder is all an emptyDir is
    } else {
      throw new PodMappingError(`${where} volume ${name}: only configMap, secret and emptyDir volumes are mapped`);
    }
    volumeDirs.set(name, dir);
  }

  const mountsOf = (c: Container): Record<string, string> => {
    const m: Record<string, string> = {};
    for (const vm of c.volumeMounts ?? []) {
      const dir = volumeDirs.get(vm.name);
      if (!dir) throw new PodMappingError(`${where} container ${c.name}: volumeMount ${vm.name} has no volume`);
      m[vm.mountPath] = vm.subPath ? join(dir, vm.subPath) : dir;
    }
    return m;
  };

  const envOf = (c: Container, mounts: Record<string, string>): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [i, ef] of (c.envFrom ?? []).entries()) {
      const at = `${where} container ${c.name} envFrom[${i}]`;
      let values: Record<string, string>;
      if (ef.configMapRef) values = configMap(objects, ef.configMapRef.name, at);
      else if (ef.secretRef) {
        const v = inputs.secretValues[ef.secretRef.name];
        if (!v && !ef.secretRef.optional)
          throw new PodMappingError(
            `${at}: secretRef ${ef.secretRef.name} is not provided by the harness (it provides ${Object.keys(inputs.secretValues).join(', ') || 'none'}); a pod would not start without it`,
          );
        values = v ?? {};
      } else throw new PodMappingError(`${at}: neither configMapRef nor secretRef`);
      for (const [k, v] of Object.entries(values)) env[`${ef.prefix ?? ''}${k}`] = v;
    }
    for (const e of c.env ?? []) {
      const at = `${where} container ${c.name} env ${e.name}`;
      let v: string | undefined;
      if (e.value !== undefined) v = expand(e.value, env);
      else if (e.valueFrom?.secretKeyRef) {
        const r = e.valueFrom.secretKeyRef;
        v = inputs.secretValues[r.name]?.[r.key];
        if (v === undefined && !r.optional)
          throw new PodMappingError(`${at}: secretKeyRef ${r.name}/${r.key} is not provided by the harness`);
      } else if (e.valueFrom?.configMapKeyRef) {
        const r = e.valueFrom.configMapKeyRef;
        v = configMap(objects, r.name, at)[r.key];
        if (v === undefined && !r.optional) throw new PodMappingError(`${at}: ConfigMap ${r.name} has no key ${r.key}`);
      } else if (e.valueFrom?.fieldRef) {
        const f = e.valueFrom.fieldRef.fieldPath;
        v = f === 'metadata.name' ? inputs.podName : f === 'metadata.namespace' ? inputs.namespace : undefined;
        if (v === undefined) throw new PodMappingError(`${at}: fieldRef ${f} is not mapped`);
      } else v = '';
      if (v !== undefined) env[e.name] = rewritePaths(v, mounts);
    }
    return env;
  };

  const argvOf = (c: Container, env: Record<string, string>, mounts: Record<string, string>): string[] => {
    const raw = [...(c.command ?? []), ...(c.args ?? [])];
    if (raw.length === 0)
      throw new PodMappingError(`${where} container ${c.name}: no command (the image entrypoint is not known here)`);
    const argv = raw.map((a) => rewritePaths(expand(a, env), mounts));
    const exe = inputs.executables[argv[0]!];
    if (exe) argv[0] = exe;
    return argv;
  };

  const initContainers = inits.map((c) => {
    const mounts = mountsOf(c);
    const env = envOf(c, mounts);
    return { name: c.name, argv: argvOf(c, env, mounts), env };
  });
  const mounts = mountsOf(main);
  const env = envOf(main, mounts);
  const probe = (p?: { exec?: { command: string[] } }) => p?.exec?.command.map((a) => rewritePaths(a, mounts));
  return {
    argv: argvOf(main, env, mounts),
    env,
    mounts,
    probes: {
      startup: probe(main.startupProbe),
      readiness: probe(main.readinessProbe),
      liveness: probe(main.livenessProbe),
    },
    image: main.image ?? '',
    secretVolumes,
    initContainers,
  };
}

function copySecretFile(src: string, dst: string, mode: number): void {
  mkdirSync(dirname(dst), { recursive: true });
  if (existsSync(dst)) chmodSync(dst, 0o600);
  copyFileSync(src, `${dst}.tmp`);
  chmodSync(`${dst}.tmp`, mode);
  renameSync(`${dst}.tmp`, dst);
}

/** Replaces the files of a mounted Secret volume (what the kubelet does when the Secret changes). */
export function updateSecretVolume(dir: string, files: Record<string, string>, mode = 0o400): void {
  for (const [key, src] of Object.entries(files)) copySecretFile(src, join(dir, key), mode);
}

/** Runs a probe command; true when it exits 0. */
export function runProbe(argv: string[] | undefined, env: Record<string, string>): boolean {
  if (!argv) return true;
  try {
    execFileSync(argv[0]!, argv.slice(1), {
      env: { ...process.env, ...env },
      stdio: 'ignore',
      timeout: timeouts.probeExec,
    });
    return true;
  } catch {
    return false;
  }
}
