/**
 * Every wait of the e2e suite, in one place. Generous on purpose: the suite runs on 2-core CI machines next to other
 * work, and a timeout here means "something is wrong", never "the machine was busy".
 */
export const timeouts = {
  /** A server (PostgreSQL, Redis, Envoy) accepting connections after spawn. */
  serverReady: 60_000,
  /** A process exiting after SIGTERM before it gets SIGKILL. */
  stop: 20_000,
  /** One client connection attempt (a negative case fails within this). */
  connect: 15_000,
  /** `nautobot-server migrate` on an empty database (cold run only). */
  migrate: 1_200_000,
  /** The Celery worker reporting ready (its readiness file). */
  workerReady: 180_000,
  /** A misconfigured worker logging the error a negative case expects (it retries, so it never exits by itself). */
  workerFail: 120_000,
  /** One job from enqueue to a final JobResult status. */
  job: 180_000,
  /** A worker recovering after a fault (restart, link cut). */
  recover: 180_000,
  /** One exec probe of the worker (readiness/startup command), as the kubelet's timeoutSeconds bounds it. */
  probeExec: 10_000,
  /** Docker's `GET /_ping` (the containers/kind tiers skip without an answer). */
  dockerPing: 3_000,

  /** Polling intervals (not limits). */
  poll: {
    /** `waitFor` conditions (jobs, probes, queue states). */
    condition: 250,
    /** A port to accept connections, and a server log line to appear. */
    fast: 100,
    /** One TCP connect attempt of the port poll. */
    connectAttempt: 1_000,
    /** Kubernetes objects (a CRD being served, a pod becoming ready) on the kind tier. */
    kube: 2_000,
    /** CNPG's instance manager applying a pg_hba change (its reconcile loop) on the kind tier. */
    cnpgReconcile: 5_000,
  },

  /** How long after cutting the site<->global link the cases enqueue (the cut is in effect). */
  linkCutSettle: 2_000,
} as const;

/**
 * vitest's limits, derived from the above so a slow cold CI run fails under the documented timeout, not vitest's: a
 * hook may bring a tier up (servers), migrate cold and start the worker; a test may run a fault case (a recovery plus
 * its jobs) or the 30 s link cut.
 */
export const vitestTimeouts = {
  hookTimeout: 3 * timeouts.serverReady + timeouts.migrate + timeouts.workerReady,
  testTimeout: timeouts.recover + 2 * timeouts.job,
} as const;

export type Timeouts = typeof timeouts;
