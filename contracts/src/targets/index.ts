/** What differs between Target types (postgres, ssh, http, kubernetes): one entry per type that every part reads. */

export * from './agent-kubeconfig.ts';
export * from './credentials.ts';
export * from './ssh-agent-config.ts';
export * from './target-types.ts';
