/**
 * The records of a session file that can be trusted: those before the first break in the hash
 * chain. What follows a break may have been altered, so readers (a reviewer's context, a replay)
 * use only this prefix and say that the chain broke.
 */
import type { RecordedEvent } from './events.ts';
import type { StoredRecord } from './hash-chain.ts';
import { type VerifyOptions, type VerifyResult, verifyJsonl } from './verify.ts';

export interface VerifiedPrefix {
  readonly verdict: VerifyResult;
  /** The whole file when it verifies, else the records before the break. */
  readonly records: readonly StoredRecord<RecordedEvent>[];
}

/** Verifies a JSONL file's text and parses the records before the first problem. */
export function verifiedPrefix(text: string, options: VerifyOptions = {}): VerifiedPrefix {
  const verdict = verifyJsonl(text, options);
  const lines = text.split('\n').filter((line) => line !== '');
  const usable = verdict.ok ? lines.length : verdict.verified;
  return { verdict, records: lines.slice(0, usable).map((line) => JSON.parse(line) as StoredRecord<RecordedEvent>) };
}
