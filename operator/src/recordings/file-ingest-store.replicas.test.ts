/**
 * Several operator replicas on one recordings directory (a ReadWriteMany volume): a session's
 * batches reach whichever replica the Service picks, and during a failover two of them at once.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { serializeRecord, verifyJsonl } from '@airlock/contracts/recording';
import { FileIngestStore } from './file-ingest-store.ts';
import { IngestError, type SessionKey } from './ingest-store.ts';
import { SessionFileLocks } from './session-file-lock.ts';
import { chain } from './testing/chain.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-replicas-'));
after(() => rmSync(root, { recursive: true, force: true }));

const key: SessionKey = { namespace: 'agents', pod: 'migrate-7kq2x', sessionId: 'sess-a' };
let n = 0;
/** Two stores on one fresh directory, as two operator processes would be. */
const replicas = (options: { lockWaitMs?: number } = {}) => {
  const dir = join(root, String(n++));
  const a = new FileIngestStore(dir, { fsync: 'never' });
  const b = new FileIngestStore(dir, { fsync: 'never', ...options });
  return { a, b, dir, path: a.pathOf(key) };
};
const verified = (path: string) => verifyJsonl(readFileSync(path, 'utf8'), { session: key.sessionId });
const lockFilesIn = (path: string) => readdirSync(dirname(path)).filter((name) => name.includes('.lock'));
const isBusy = (e: unknown) => e instanceof IngestError && e.code === 'Busy';

test('batches of one session alternating between two replicas land in one unbroken chain', async () => {
  const { a, b, path } = replicas();
  const records = chain(key.sessionId, 30);
  for (let i = 0; i < 10; i++) {
    const store = i % 2 === 0 ? a : b;
    assert.equal(await store.append(key, records.slice(i * 3, i * 3 + 3)), i * 3 + 2, `batch ${i}`);
  }
  const result = verified(path);
  assert.ok(result.ok && result.count === 30, JSON.stringify(result));
  assert.deepEqual(lockFilesIn(path), []);
});

test('a replica whose cached head is stale picks up what the other appended', async () => {
  const { a, b, path } = replicas();
  const records = chain(key.sessionId, 20);
  await a.append(key, records.slice(0, 5));
  assert.equal(await b.append(key, records.slice(0, 5)), 4, 'b caches the head at seq 4');
  await a.append(key, records.slice(5, 10));
  assert.equal(await b.append(key, records.slice(5, 10)), 9, 'a retry of what a stored is dropped, not refused');
  assert.equal(await b.append(key, records.slice(10, 15)), 14);
  assert.equal(await a.append(key, records.slice(12, 20)), 19, 'a, stale since seq 9, drops 12..14 and stores the rest');
  const result = verified(path);
  assert.ok(result.ok && result.count === 20, JSON.stringify(result));
});

test('a ChainBroken decided on a cached head is decided again on the head the file holds', async () => {
  const { a, path } = replicas();
  await a.append(key, chain(key.sessionId, 3, undefined, 'SELECT'));
  // Same size, same inode, other records: only the file can tell.
  const other = chain(key.sessionId, 6, undefined, 'UPDATE');
  writeFileSync(path, `${other.slice(0, 3).map(serializeRecord).join('\n')}\n`);
  assert.equal(await a.append(key, other.slice(3)), 5);
  const result = verified(path);
  assert.ok(result.ok && result.count === 6, JSON.stringify(result));
});

test('a batch that breaks the chain is still refused after the re-read', async () => {
  const { a, b, path } = replicas();
  const records = chain(key.sessionId, 10);
  await a.append(key, records.slice(0, 3));
  await b.append(key, records.slice(3, 6));
  await assert.rejects(a.append(key, records.slice(7)), (e: unknown) => e instanceof IngestError && e.code === 'ChainBroken');
  assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 6);
});

test('concurrent appends of one session from two replicas are each stored or refused Busy, never forked or interleaved', async (t) => {
  const { a, b, path } = replicas({ lockWaitMs: 0 });
  const records = chain(key.sessionId, 200);
  let busy = 0;
  for (let k = 0; k < 20; k++) {
    const end = k * 10 + 10;
    // A sidecar's retry after a failover: the same batch to both, the retry with more records.
    const sent = [a.append(key, records.slice(k * 10, end)), b.append(key, records.slice(Math.max(0, k * 10 - 5), end))];
    for (const outcome of await Promise.allSettled(sent)) {
      if (outcome.status === 'fulfilled') assert.equal(outcome.value, end - 1);
      else {
        assert.ok(isBusy(outcome.reason), String(outcome.reason));
        busy++;
      }
    }
  }
  const result = verified(path);
  assert.ok(result.ok && result.count === 200, JSON.stringify(result));
  assert.deepEqual(lockFilesIn(path), []);
  // Which one finds the other holding the lock is up to timing; that every round came out whole is the point.
  t.diagnostic(`${busy} of 20 rounds refused one replica Busy`);
});

test('concurrent appends from two replicas that wait for each other all succeed', async () => {
  const { a, b, path } = replicas();
  const records = chain(key.sessionId, 100);
  for (let k = 0; k < 10; k++) {
    const batch = records.slice(k * 10, k * 10 + 10);
    assert.deepEqual(await Promise.all([a.append(key, batch), b.append(key, batch), a.append(key, batch)]), [
      k * 10 + 9,
      k * 10 + 9,
      k * 10 + 9,
    ]);
  }
  const result = verified(path);
  assert.ok(result.ok && result.count === 100, JSON.stringify(result));
});

test('a replica that died mid-append: its lock is taken over and its torn line cut off', async () => {
  const { a, b, path } = replicas();
  const records = chain(key.sessionId, 6);
  await a.append(key, records.slice(0, 3));
  // What a crashed replica on this host leaves: half a line, and its lock.
  appendFileSync(path, JSON.stringify(records[3]).slice(0, 40));
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(`${path}.lock`, JSON.stringify({ host: hostname(), pid: dead, start: 1 }));
  assert.equal(await b.append(key, records.slice(2)), 5);
  const result = verified(path);
  assert.ok(result.ok && result.count === 6, JSON.stringify(result));
  assert.deepEqual(lockFilesIn(path), []);
});

test('a lock a live replica holds makes append answer Busy after lockWaitMs, with nothing written', async () => {
  const dir = join(root, String(n++));
  const store = new FileIngestStore(dir, { fsync: 'never', lockWaitMs: 30 });
  const path = store.pathOf(key);
  mkdirSync(dirname(path), { recursive: true });
  const held = await new SessionFileLocks({ owner: { host: 'other-replica', pid: 1, start: 1 }, waitMs: 0, leaseMs: 15_000 }).acquire(
    `${path}.lock`,
  );
  await assert.rejects(store.append(key, chain(key.sessionId, 2)), isBusy);
  assert.equal(existsSync(path), false);
  await held.release();
  assert.equal(await store.append(key, chain(key.sessionId, 2)), 1);
});

const WORKER = join(import.meta.dirname, 'testing', 'append-worker.ts');
const run = promisify(execFile);

test('two operator processes appending one session alternately and all at once', { timeout: 60_000 }, async () => {
  const records = chain(key.sessionId, 120);
  const batches = Array.from({ length: 40 }, (_, i) => records.slice(i * 3, i * 3 + 3));
  const batchesFile = join(root, `batches-${n}.json`);
  writeFileSync(batchesFile, JSON.stringify(batches));
  for (const mode of ['alternate', 'all'] as const) {
    const dir = join(root, String(n++));
    const workers = [0, 1].map((i) =>
      run(process.execPath, [WORKER, dir, batchesFile, mode, ...(mode === 'alternate' ? [String(i), '2'] : [])]),
    );
    const outputs = await Promise.all(workers);
    const path = new FileIngestStore(dir).pathOf(key);
    const result = verified(path);
    assert.ok(result.ok && result.count === 120, `${mode}: ${JSON.stringify(result)} ${outputs.map((o) => o.stdout).join(' ')}`);
    assert.deepEqual(lockFilesIn(path), []);
  }
});
