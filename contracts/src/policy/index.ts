/** The policy language: which policies apply, what a rule matches, and the one decision function. */
export * from './applicable.ts';
export * from './compile-problems.ts';
export * from './decide.ts';
export * from './facet-match.ts';
export * from './forward-destination.ts';
export * from './kubernetes-decide.ts';
export * from './kubernetes-facts.ts';
export * from './kubernetes-match.ts';
export * from './kubernetes-request-facts.ts';
export * from './name-glob.ts';
export * from './operation.ts';
export * from './shell-glob.ts';
export * from './sql-match.ts';
export * from './ssh-match.ts';
export * from './transfer-path.ts';
