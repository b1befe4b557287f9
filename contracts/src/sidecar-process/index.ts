/** How the sidecar process is run: the Node.js flags the injected container gets, and its shutdown grace. */
export * from './node-flags.ts';
export * from './shutdown-grace.ts';
