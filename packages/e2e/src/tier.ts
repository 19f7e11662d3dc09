/**
 * The tier interface. One scenario (src/cases) runs on every tier; a tier provisions a "global" side (PostgreSQL,
 * Redis, the TLS-passthrough gateway) and a "site" side (where the worker runs), from the rendered manifests or their
 * process equivalent, and exposes the hooks the cases need: where the gateway and the servers are, how to run a
 * command on the site, the certificates, logs, and faults.
 *
 * - `process` (src/process): real binaries on this machine, site in its own network namespace. Runs in CI.
 * - `containers` (src/containers): the same servers in containers (testcontainers). Needs Docker.
 * - `kind` (src/kind): two kind clusters with the rendered manifests applied. Needs Docker.
 */

import type { CnpgPlan } from './cnpg.js';
import type { Translation } from './envoy-config.js';
import type { IssuedCert, SecretDir } from './pki.js';

export type TierName = 'process' | 'containers' | 'kind';
export type Component = 'postgres' | 'redis' | 'envoy';

export interface Endpoint {
  host: string;
  port: number;
}

/** How a client on the site side reaches something: the connect address may differ from the TLS name. */
export interface SiteRoute extends Endpoint {
  /** The name the client uses (SNI, certificate check). */
  name: string;
}

export interface Tier {
  readonly name: TierName;
  /** How the site is separated from the global side (`netns`, `loopback`, `docker`, `kind`). */
  readonly isolation: string;
  /** Provisions global and site; idempotent per instance. */
  up(): Promise<void>;
  /** Tears everything down (always safe to call, also after a failed `up`). */
  down(): Promise<void>;

  /** The PKI issued for this run (Secret-shaped folders by name, see pki.ts `pkiNames`). */
  readonly certs: Record<string, SecretDir>;
  readonly issued: Record<string, IssuedCert>;
  /** Secret values the harness owns (secretKeyRef resolution): `<secret>/<key>` -> value. */
  readonly secretValues: Record<string, string>;
  readonly cnpg: CnpgPlan;
  readonly gatewayConfig: Translation;

  /** The gateway as the site sees it, for one FQDN. */
  gateway(fqdn: string): SiteRoute;
  /** A server directly (global side, bypassing the gateway). */
  direct(component: 'postgres' | 'redis'): Endpoint;
  /** argv to run a command on the site. */
  siteArgv(argv: string[]): string[];
  /** Extra environment a site process needs to resolve the gateway names (loopback fallback only). */
  siteEnv(): NodeJS.ProcessEnv;

  /** Superuser SQL on the global database server. */
  sql(query: string, database?: string): Promise<unknown[][]>;
  /** A Redis command as an authenticated TLS client on the global side. */
  redis(command: string[]): Promise<unknown>;
  /** Connections the gateway closed because no filter chain matched (no SNI, or an SNI it does not route). */
  gatewayUnmatched(): Promise<number>;
  /** Connections the gateway's filter chain for `fqdn` has proxied. */
  gatewayConnections(fqdn: string): Promise<number>;

  /** Everything a global server has logged so far in this run (append-only: slice by a previous length). */
  serverLog(component: Component): Promise<string>;

  /**
   * Faults. Stops a server and starts it again; `whileDown` runs between the two (e.g. enqueue jobs while the gateway is
   * down, or restart another server meanwhile). Only the process tier implements `whileDown`; the others refuse it.
   */
  restart(component: Component, whileDown?: () => Promise<void>): Promise<void>;
  /** Cuts the site<->global link for `ms`, then restores it. */
  cutLink(ms: number): Promise<void>;
  /**
   * Serve another server certificate and/or trust another client CA on a global server (e.g. a server certificate
   * from the wrong CA; CNPG without clientCASecret trusting its own CA); no argument restores the originals.
   */
  setServerTls(component: 'postgres' | 'redis', tls?: { server?: SecretDir; clientCa?: string }): Promise<void>;
  /** Replace pg_hba with CNPG's rules alone (`false`) or with the manifest's rules (`true`). */
  setUserHba(enabled: boolean): Promise<void>;

  /** Registers a cleanup that `down()` runs first, last-registered first (e.g. stop a worker the case started). */
  defer(cleanup: () => Promise<void> | void): void;

  /** A scratch folder of this run (removed by `down` unless kept). */
  readonly runDir: string;
  readonly logDir: string;
  /** Versions of every server used (for reports). */
  versions(): Record<string, string>;
  /** Copies logs and rendered inputs to an artifacts folder and returns its path. */
  collectArtifacts(reason: string): string;
}
