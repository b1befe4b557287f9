import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHAIN_START, chainRecord, type RecordedEvent, type StoredRecord } from '@airlock/contracts/recording';
import { recordingBatchJson, splitBySize } from './broker-recording-store.ts';

const record = (seq: number, size: number): StoredRecord =>
  ({
    v: 1,
    session: 's',
    seq,
    time: '2026-01-01T00:00:00.000Z',
    prev: '0'.repeat(64),
    hash: '0'.repeat(64),
    event: { type: 'x', pad: 'p'.repeat(size) },
  }) as unknown as StoredRecord;

test('batches are split in order below the size target; an oversized record goes alone', () => {
  const records = [record(0, 100), record(1, 100), record(2, 5000), record(3, 100), record(4, 100)];
  const chunks = splitBySize(records, 1000);
  assert.deepEqual(
    chunks.map((chunk) => chunk.map((r) => r.seq)),
    [[0, 1], [2], [3, 4]],
  );
  assert.deepEqual(splitBySize(records, 1_000_000).length, 1);
  assert.deepEqual(splitBySize([], 10), []);
});

test('the posted batch is the RecordingBatch JSON of the records, composed from their stored lines', () => {
  const first = chainRecord<RecordedEvent>(CHAIN_START, 's', new Date(0), {
    type: 'statement',
    statementIndex: 0,
    flavour: 'simple',
    text: 'SELECT "é"\n',
  });
  const second = chainRecord<RecordedEvent>({ seq: 1, hash: first.hash }, 's', new Date(1), {
    type: 'result',
    statementIndex: 0,
    commandTag: 'SELECT 1',
  } as const);
  // Records that did not come from chainRecord (no stored line kept) are serialized on the spot.
  const foreign = record(2, 10);
  for (const afterLoss of [false, true]) {
    const body = JSON.parse(recordingBatchJson([first, second, foreign], afterLoss).text) as unknown;
    assert.deepEqual(body, { records: [first, second, foreign] as unknown[], ...(afterLoss ? { afterLoss: true } : {}) });
  }
});
