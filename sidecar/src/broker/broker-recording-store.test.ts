import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredRecord } from '@airlock/contracts/recording';
import { splitBySize } from './broker-recording-store.ts';

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
