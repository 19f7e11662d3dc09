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
  /** One job from enqueue to a final JobResult status. */
  job: 180_000,
  /** A worker recovering after a fault (restart, link cut). */
  recover: 180_000,
} as const;

export type Timeouts = typeof timeouts;
