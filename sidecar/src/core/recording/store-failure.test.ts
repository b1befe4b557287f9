/**
 * The recorder against a failing store: the waits the proxy makes before forwarding are bounded
 * (StoreUnavailable, with the store's error as cause), records decided together are stored in one
 * batch, and closing a recorder whose store does not recover returns within flushTimeoutMs with
 * the loss counted.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordingError } from '@airlock/contracts/recording';
import { SESSION_ID, sampleEvents, steppingClock } from '@airlock/contracts/testing/sample-events';
import { InMemorySink } from './memory-sink.ts';
import { SessionRecorder, type SessionRecorderOptions } from './session-recorder.ts';
import { errnoError, FlakySink, HangingSink } from './testing/sinks.ts';

const fast = { maxBatchDelayMs: 5, initialRetryDelayMs: 5, maxRetryDelayMs: 20, blockTimeoutMs: 150, flushTimeoutMs: 150 } as const;

/** Every recorder a test made; aborted after each test so a failed assertion cannot leave one retrying forever. */
const made: SessionRecorder[] = [];

function recorder(sink: InMemorySink, options: Partial<SessionRecorderOptions> = {}) {
  const rec = new SessionRecorder({ sessionId: SESSION_ID, sink, clock: steppingClock(), ...fast, ...options });
  made.push(rec);
  return rec;
}

afterEach(() => Promise.all(made.splice(0).map((rec) => rec.abort('test over'))));

const storeUnavailable = (code?: string) => (error: unknown) =>
  error instanceof RecordingError &&
  error.code === 'StoreUnavailable' &&
  /Free space in or repair the recording store/.test(error.message) &&
  (code === undefined || (error.cause as NodeJS.ErrnoException | undefined)?.code === code);

async function elapsed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

describe('recording store failures', () => {
  describe('Block', () => {
    test('opened() waits for the session-open record to be stored', async () => {
      const sink = new InMemorySink();
      const rec = recorder(sink, { maxBatchDelayMs: 60_000 });
      rec.record(sampleEvents()[0]!);
      await rec.opened();
      assert.equal(sink.records.length, 1, 'stored before opened() resolved, without waiting for the batch delay');
      await rec.close();
    });

    test('opened() rejects with StoreUnavailable (cause ENOSPC) within blockTimeoutMs when the store is full', async () => {
      const sink = new FlakySink();
      sink.failing = true;
      sink.error = errnoError('ENOSPC', 'no space left on device');
      const rec = recorder(sink);
      rec.record(sampleEvents()[0]!);
      const took = await elapsed(() => assert.rejects(rec.opened(), storeUnavailable('ENOSPC')));
      assert.ok(took >= 140 && took < 400, `rejected after ${took} ms, the deadline is 150 ms`);
      assert.ok(sink.attempts >= 2, 'retried meanwhile');
      assert.equal(rec.blocked, true);
      await rec.close();
    });

    test('beforeForward(): nothing to wait for once stored, one batch for everything decided since', async () => {
      const sink = new InMemorySink();
      const rec = recorder(sink, { maxBatchDelayMs: 60_000 });
      const events = sampleEvents();
      rec.record(events[0]!);
      await rec.opened();
      assert.equal(rec.beforeForward(), undefined);
      // Three pipelined statements' records, then one wait before their bytes go upstream.
      for (const event of events.slice(1, 10)) rec.record(event);
      const batchesBefore = sink.batches;
      await rec.beforeForward();
      assert.equal(sink.batches - batchesBefore, 1, 'group commit: one append (one sync) for all of them');
      assert.equal(sink.records.length, 10);
      assert.equal(rec.beforeForward(), undefined);
      await rec.close();
    });

    test('beforeForward() rejects within the deadline while the store fails, and waits are fine again once it recovers', async () => {
      const sink = new FlakySink();
      const rec = recorder(sink);
      const events = sampleEvents();
      rec.record(events[0]!);
      await rec.opened();
      sink.failing = true;
      sink.error = errnoError('EROFS', 'read-only file system');
      rec.record(events[1]!);
      const waiting = rec.beforeForward();
      assert.ok(waiting, 'a record is not stored yet');
      await assert.rejects(waiting, storeUnavailable('EROFS'));
      await assert.rejects(rec.whenWritable(), storeUnavailable('EROFS'), 'whenWritable() is bounded too');
      sink.failing = false;
      await rec.whenWritable();
      assert.equal(rec.beforeForward(), undefined, 'the retry stored it');
      assert.equal(rec.storeError, undefined);
      await rec.close();
      assert.equal(rec.lostRecords, 0);
      assert.equal(sink.records.length, 2);
    });

    test('a store that never answers is StoreUnavailable after the deadline too', async () => {
      const rec = recorder(new HangingSink());
      rec.record(sampleEvents()[0]!);
      await assert.rejects(
        rec.opened(),
        (error: unknown) => storeUnavailable()(error) && /did not answer within 150 ms/.test((error as Error).message),
      );
      const took = await elapsed(() => rec.close());
      assert.ok(took < 400, `close() returned after ${took} ms though the sink never settles`);
      assert.equal(rec.lostRecords, 1);
    });
  });

  describe('Continue', () => {
    test('opened() and beforeForward() never hold traffic; the records are counted lost', async () => {
      const sink = new FlakySink();
      sink.failing = true;
      const lost: number[] = [];
      const rec = recorder(sink, { onStoreFailure: 'Continue', observer: { lost: (count) => lost.push(count) } });
      const events = sampleEvents();
      rec.record(events[0]!);
      const took = await elapsed(() => rec.opened());
      assert.ok(took < 100, `opened() took ${took} ms: a failed append is given up at once`);
      rec.record(events[1]!);
      assert.equal(rec.beforeForward(), undefined);
      await rec.close();
      assert.equal(rec.lostRecords, 2);
      assert.deepEqual(lost, [1, 1]);
    });
  });

  describe('closing a recorder whose store does not recover', () => {
    test('Block: close() returns within flushTimeoutMs, counts the loss and stops retrying', async () => {
      const sink = new FlakySink();
      const lost: number[] = [];
      let closed = 0;
      const rec = recorder(sink, { observer: { lost: (count) => lost.push(count), closed: () => closed++ } });
      sink.failing = true;
      for (const event of sampleEvents()) rec.record(event);
      const took = await elapsed(() => rec.close());
      assert.ok(took >= 140 && took < 400, `close() took ${took} ms, flushTimeoutMs is 150`);
      assert.equal(rec.lostRecords, 12);
      assert.equal(
        lost.reduce((a, b) => a + b, 0),
        12,
      );
      assert.equal(closed, 1);
      assert.equal(rec.blocked, false, 'a closed recorder holds nothing');
      const attempts = sink.attempts;
      await sleep(60);
      assert.equal(sink.attempts, attempts, 'no retries after giving up');
    });

    test('Block: a store that recovers within flushTimeoutMs gets everything', async () => {
      const sink = new FlakySink();
      const rec = recorder(sink, { flushTimeoutMs: 2000 });
      sink.failing = true;
      for (const event of sampleEvents()) rec.record(event);
      const closing = rec.close();
      await sleep(30);
      sink.failing = false;
      await closing;
      assert.equal(rec.lostRecords, 0);
      assert.equal(sink.records.length, 12);
    });

    test('abort() does not wait longer than flushTimeoutMs for an append that never settles', async () => {
      const rec = recorder(new HangingSink());
      for (const event of sampleEvents().slice(0, 3)) rec.record(event);
      await sleep(20);
      const took = await elapsed(() => rec.abort('shutdown'));
      assert.ok(took < 400, `abort() took ${took} ms`);
      assert.equal(rec.lostRecords, 3);
    });
  });
});
