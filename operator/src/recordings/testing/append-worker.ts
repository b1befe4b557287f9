/**
 * Another operator process for the shared-directory tests: appends batches of one session to a
 * FileIngestStore over the given directory, retrying Busy and ChainBroken (a batch the other
 * process has not stored the predecessor of yet) as a sidecar would, and prints how many refusals
 * it retried as JSON.
 *
 * node append-worker.ts DIRECTORY BATCHES_JSON_FILE (alternate INDEX COUNT | all)
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StoredRecord } from '@airlock/contracts/recording';
import { FileIngestStore } from '../file-ingest-store.ts';
import { IngestError, type SessionKey } from '../ingest-store.ts';

const [directory, batchesFile, mode, index, count] = process.argv.slice(2);
if (!directory || !batchesFile || (mode !== 'all' && mode !== 'alternate')) {
  throw new Error('usage: append-worker.ts DIRECTORY BATCHES_JSON_FILE (alternate INDEX COUNT | all)');
}
const batches = JSON.parse(readFileSync(batchesFile, 'utf8')) as StoredRecord[][];
const first = batches[0]?.[0];
if (!first) throw new Error(`${batchesFile} holds no records`);
const key: SessionKey = { namespace: 'agents', pod: 'migrate-7kq2x', sessionId: first.session };
const store = new FileIngestStore(directory, { fsync: 'never' });
const step = mode === 'all' ? 1 : Number(count);
const refusals = { Busy: 0, ChainBroken: 0 };
const deadline = Date.now() + 20_000;

for (let i = mode === 'all' ? 0 : Number(index); i < batches.length; i += step) {
  for (;;) {
    try {
      await store.append(key, batches[i]!);
      break;
    } catch (error) {
      if (!(error instanceof IngestError && (error.code === 'Busy' || error.code === 'ChainBroken')) || Date.now() > deadline) throw error;
      refusals[error.code]++;
      await sleep(error.code === 'ChainBroken' ? 10 : 1);
    }
  }
}
process.stdout.write(`${JSON.stringify(refusals)}\n`);
