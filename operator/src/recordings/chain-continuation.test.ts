import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHAIN_START } from '@airlock/contracts/recording';
import { continueChain } from './chain-continuation.ts';
import { IngestError } from './ingest-store.ts';
import { chain, headAfter } from './testing/chain.ts';

const S = 'sess-1';
const all = chain(S, 10);
const refuses = (code: IngestError['code'], fn: () => unknown) =>
  assert.throws(fn, (error: unknown) => error instanceof IngestError && error.code === code);

test('a batch from genesis is stored whole and moves the head to its last record', () => {
  const result = continueChain(CHAIN_START, S, all.slice(0, 4));
  assert.deepEqual(result.toStore, all.slice(0, 4));
  assert.deepEqual(result.head, headAfter(all.slice(0, 4)));
});

test('records the store holds are dropped: a retried batch stores nothing, an overlapping one only the new part', () => {
  const head = headAfter(all.slice(0, 4));
  assert.deepEqual(continueChain(head, S, all.slice(0, 4)).toStore, []);
  assert.deepEqual(continueChain(head, S, all.slice(0, 4)).head, head);
  assert.deepEqual(continueChain(head, S, all.slice(2, 7)).toStore, all.slice(4, 7));
});

test('a batch that skips records is refused unless the sidecar declared a loss', () => {
  const head = headAfter(all.slice(0, 4));
  refuses('ChainBroken', () => continueChain(head, S, all.slice(6, 8)));
  const result = continueChain(head, S, all.slice(6, 8), true);
  assert.deepEqual(result.toStore, all.slice(6, 8));
  assert.deepEqual(result.gap, { from: 4, to: 5 });
});

test('a batch that forks the chain is refused: the stored seq again, with other content', () => {
  const head = headAfter(all.slice(0, 5));
  const fork = chain(S, 2, headAfter(all.slice(0, 4)), 'DROP TABLE');
  refuses('ChainBroken', () => continueChain(head, S, fork));
});

test('the first new record must link to the stored head', () => {
  const head = headAfter(all.slice(0, 4));
  const unlinked = chain(S, 2, { seq: 4, hash: 'e'.repeat(64) });
  refuses('ChainBroken', () => continueChain(head, S, unlinked));
});

test('a batch must be one unbroken run', () => {
  refuses('ChainBroken', () => continueChain(CHAIN_START, S, [all[0], all[2]]));
  refuses('ChainBroken', () => continueChain(CHAIN_START, S, [all[1], all[0]]));
});

test('records of another session, malformed records and records whose hash does not match are refused', () => {
  refuses('WrongSession', () => continueChain(CHAIN_START, S, chain('other', 1)));
  refuses('InvalidRecord', () => continueChain(CHAIN_START, S, [{ ...all[0], seq: -1 }]));
  refuses('InvalidRecord', () => continueChain(CHAIN_START, S, ['not a record']));
  refuses('InvalidRecord', () => continueChain(CHAIN_START, S, [{ ...all[0], v: 2 }]));
  refuses('InvalidRecord', () => continueChain(CHAIN_START, S, [{ ...all[0], time: '2026-01-01' }]));
  refuses('InvalidRecord', () => continueChain(CHAIN_START, S, [{ ...all[0], event: { ...all[0]!.event, text: 'SELECT 2' } }]));
});
