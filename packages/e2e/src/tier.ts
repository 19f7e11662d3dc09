/** The tier interface: placeholder until the e2e framework lands. */
export type TierName = 'process' | 'containers' | 'kind';
