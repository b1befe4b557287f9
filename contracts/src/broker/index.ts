/** The broker's wire format: what the sidecar and the operator's broker say to each other. */
export * from './protocol.ts';
export * from './served-config.ts';
