/** The recording format: events, the hash chain that links them, and the verifier. */
export * from './errors.ts';
export * from './events.ts';
export * from './hash-chain.ts';
export * from './verify.ts';
