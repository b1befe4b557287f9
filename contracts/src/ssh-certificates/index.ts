/** OpenSSH keys and user certificates: what the broker signs a login with and the sidecar presents. Pure apart from node:crypto. */

export * from './errors.ts';
export * from './login-certificate.ts';
export * from './ssh-keys.ts';
export * from './ssh-private-key.ts';
export * from './ssh-wire.ts';
export * from './user-certificate.ts';
