/**
 * @understack/e2e: the end-to-end scenario (a site worker reaching the global PostgreSQL and Redis through the
 * TLS-passthrough gateway with mTLS) and the tiers that run it.
 */
export * from './tier.js';
