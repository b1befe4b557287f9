import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { verifyJsonl } from '@airlock/contracts/recording';
import { FileIngestStore } from './file-ingest-store.ts';
import { IngestError, type SessionKey } from './ingest-store.ts';
import { chain } from './testing/chain.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-ingest-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const fresh = (): { store: FileIngestStore; key: SessionKey; dir: string } => {
  const dir = join(root, String(n++));
  return {
    store: new FileIngestStore(dir, { fsync: 'never' }),
    key: { namespace: 'agents', pod: 'migrate-7kq2x', sessionId: 'sess-a' },
    dir,
  };
};

test('batches land in <namespace>/<pod>/<session>.jsonl and the file verifies', async () => {
  const { store, key, dir } = fresh();
  const records = chain(key.sessionId, 6);
  assert.equal(await store.append(key, records.slice(0, 2)), 1);
  assert.equal(await store.append(key, records.slice(2)), 5);
  const path = join(dir, 'agents', 'migrate-7kq2x', 'sess-a.jsonl');
  assert.equal(store.pathOf(key), path);
  const result = verifyJsonl(readFileSync(path, 'utf8'), { session: 'sess-a' });
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.count, 6);
});

test('a retried batch is dropped, so the file holds every record once', async () => {
  const { store, key } = fresh();
  const records = chain(key.sessionId, 4);
  await store.append(key, records.slice(0, 3));
  assert.equal(await store.append(key, records.slice(0, 3)), 2);
  assert.equal(await store.append(key, records.slice(1)), 3);
  const result = verifyJsonl(readFileSync(store.pathOf(key), 'utf8'));
  assert.ok(result.ok && result.count === 4, JSON.stringify(result));
});

test('a batch that does not continue the chain is refused and nothing of it is stored', async () => {
  const { store, key } = fresh();
  const records = chain(key.sessionId, 5);
  await store.append(key, records.slice(0, 2));
  await assert.rejects(store.append(key, records.slice(3)), (e: unknown) => e instanceof IngestError && e.code === 'ChainBroken');
  assert.equal(readFileSync(store.pathOf(key), 'utf8').trim().split('\n').length, 2);
});

test('records of another session are refused', async () => {
  const { store, key } = fresh();
  await assert.rejects(store.append(key, chain('sess-b', 1)), (e: unknown) => e instanceof IngestError && e.code === 'WrongSession');
});

test('after a declared loss the batch is stored past the gap, and the verifier shows the gap', async () => {
  const { store, key } = fresh();
  const records = chain(key.sessionId, 6);
  await store.append(key, records.slice(0, 2));
  assert.equal(await store.append(key, records.slice(4), { afterLoss: true }), 5);
  const result = verifyJsonl(readFileSync(store.pathOf(key), 'utf8'));
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.problem, 'removed');
});

test('a new store (an operator restart) continues from the file, cutting off a torn last line', async () => {
  const { store, key, dir } = fresh();
  const records = chain(key.sessionId, 5);
  await store.append(key, records.slice(0, 3));
  appendFileSync(store.pathOf(key), '{"v":1,"sess');
  const restarted = new FileIngestStore(dir, { fsync: 'never' });
  assert.equal(await restarted.append(key, records.slice(0, 3)), 2, 'duplicates after a restart are still dropped');
  assert.equal(await restarted.append(key, records.slice(3)), 4);
  const result = verifyJsonl(readFileSync(store.pathOf(key), 'utf8'));
  assert.ok(result.ok && result.count === 5, JSON.stringify(result));
});

test('close() forgets the session; a late retry still de-duplicates against the file', async () => {
  const { store, key } = fresh();
  const records = chain(key.sessionId, 3);
  await store.append(key, records);
  await store.close(key);
  assert.equal(await store.append(key, records.slice(1)), 2);
});

test('concurrent appends to one session run one at a time', async () => {
  const { store, key } = fresh();
  const records = chain(key.sessionId, 30);
  const results = await Promise.all([0, 10, 20].map((start) => store.append(key, records.slice(0, start + 10))));
  assert.deepEqual(results, [9, 19, 29]);
  const result = verifyJsonl(readFileSync(store.pathOf(key), 'utf8'));
  assert.ok(result.ok && result.count === 30, JSON.stringify(result));
});

test('names that are not safe path segments are refused', async () => {
  const { store } = fresh();
  for (const key of [
    { namespace: 'agents', pod: 'p', sessionId: '..' },
    { namespace: 'agents', pod: 'p', sessionId: 'a/b' },
    { namespace: '../etc', pod: 'p', sessionId: 's' },
    { namespace: 'agents', pod: 'P Q', sessionId: 's' },
  ]) {
    await assert.rejects(
      store.append(key, chain(key.sessionId, 1)),
      (e: unknown) => e instanceof IngestError && e.code === 'InvalidSessionKey',
    );
  }
});
