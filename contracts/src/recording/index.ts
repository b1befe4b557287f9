/** The recording format: events, the hash chain that links them, the verifier, and the asciicast export of SSH sessions. */
export * from './asciicast.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './hash-chain.ts';
export * from './verified-prefix.ts';
export * from './verify.ts';
