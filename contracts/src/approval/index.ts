/** What an approval binds to and who may give it: the operation digest, durations and the review rules. */
export * from './digest.ts';
export * from './duration.ts';
export * from './review-rules.ts';
