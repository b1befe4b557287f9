import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordingError, verifyRecords } from '@airlock/contracts/recording';
import { SESSION_ID, sampleEvents, steppingClock } from '@airlock/contracts/testing/sample-events';
import { InMemorySink } from './memory-sink.ts';
import { SessionRecorder, type SessionRecorderOptions } from './session-recorder.ts';
import { FlakySink } from './testing/sinks.ts';

const fast = { maxBatchDelayMs: 5, initialRetryDelayMs: 5, maxRetryDelayMs: 20 } as const;

function recorder(sink: InMemorySink, options: Partial<SessionRecorderOptions> = {}) {
  return new SessionRecorder({ sessionId: SESSION_ID, sink, clock: steppingClock(), ...fast, ...options });
}

const isClosed = (error: unknown) => error instanceof RecordingError && error.code === 'RecorderClosed';

describe('SessionRecorder', () => {
  test('records in call order, chains them and stores them on close', async () => {
    const sink = new InMemorySink();
    const rec = recorder(sink);
    const returned = sampleEvents().map((event) => rec.record(event));
    assert.deepEqual(
      returned.map((r) => r.seq),
      [...Array(12).keys()],
    );
    assert.deepEqual(rec.head, { seq: 12, hash: returned[11]!.hash });
    await rec.close();
    assert.ok(sink.closed);
    assert.deepEqual(sink.records, returned);
    assert.ok(verifyRecords(sink.records, { requireClose: true }).ok);
    assert.throws(() => rec.record(sampleEvents()[1]!), isClosed);
  });

  test('batches by size and by time', async () => {
    const sink = new InMemorySink();
    const rec = recorder(sink, { maxBatchRecords: 5, maxBatchDelayMs: 30 });
    const events = sampleEvents();
    for (const event of events.slice(0, 5)) rec.record(event);
    await sleep(1);
    assert.equal(sink.records.length, 5, 'a full batch goes at once');
    rec.record(events[5]!);
    await sleep(5);
    assert.equal(sink.records.length, 5, 'a partial batch waits');
    await sleep(50);
    assert.equal(sink.records.length, 6, 'until its delay passed');
    assert.equal(sink.batches, 2);
    await rec.close();
  });

  test('flush() stores what was recorded without waiting for the batch delay', async () => {
    const sink = new InMemorySink();
    const rec = recorder(sink, { maxBatchDelayMs: 60_000 });
    rec.record(sampleEvents()[0]!);
    await rec.flush();
    assert.equal(sink.records.length, 1);
    await rec.close();
  });

  test('an event JSON cannot hold throws and does not advance the chain', () => {
    const rec = recorder(new InMemorySink());
    const bad = { type: 'result', statementIndex: 0, commandTag: 'SELECT', rows: Number.NaN } as const;
    assert.throws(
      () => rec.record(bad),
      (error: unknown) => error instanceof RecordingError && error.code === 'NotCanonicalizable',
    );
    assert.equal(rec.head.seq, 0);
    return rec.abort();
  });

  describe('onStoreFailure: Block', () => {
    test('holds traffic while the store fails and resumes, in order and without duplicates, when it recovers', async () => {
      const sink = new FlakySink();
      const blockedChanges: boolean[] = [];
      const rec = recorder(sink, { onStoreFailure: 'Block', observer: { blockedChange: (blocked) => blockedChanges.push(blocked) } });
      const events = sampleEvents();
      assert.ok(rec.writable);

      sink.failing = true;
      rec.record(events[0]!);
      rec.record(events[1]!);
      const flushed = rec.flush();
      await sleep(1);
      assert.equal(rec.blocked, true);
      assert.equal(rec.writable, false, 'the proxy must not forward');
      let writableAgain = false;
      const waiting = rec.whenWritable().then(() => {
        writableAgain = true;
      });
      // Events recorded while blocked (an error, say) queue behind the failed batch.
      rec.record(events[2]!);
      await sleep(40);
      assert.ok(sink.attempts >= 2, `retried with backoff (${sink.attempts} attempts)`);
      assert.equal(writableAgain, false);
      assert.equal(sink.records.length, 0);

      sink.failing = false;
      await waiting;
      await flushed;
      assert.equal(rec.blocked, false);
      assert.equal(rec.writable, true);
      assert.deepEqual(blockedChanges, [true, false]);
      for (const event of events.slice(3)) rec.record(event);
      await rec.close();
      assert.equal(rec.lostRecords, 0);
      assert.deepEqual(
        sink.records.map((r) => r.seq),
        [...Array(12).keys()],
      );
      assert.ok(verifyRecords(sink.records, { requireClose: true }).ok);
    });

    test('not writable while more than highWaterMark records wait', async () => {
      const sink = new FlakySink();
      const rec = recorder(sink, { onStoreFailure: 'Block', highWaterMark: 3, maxBatchDelayMs: 60_000 });
      const events = sampleEvents();
      rec.record(events[0]!);
      rec.record(events[1]!);
      assert.equal(rec.writable, true);
      rec.record(events[2]!);
      assert.equal(rec.writable, false);
      assert.equal(rec.blocked, false, 'slow is not failing');
      await rec.whenWritable();
      assert.equal(rec.writable, true);
      await rec.close();
    });

    test('abort() gives up a store that does not recover, and ends the block', async () => {
      const sink = new FlakySink();
      const lost: number[] = [];
      const blockedChanges: boolean[] = [];
      const rec = recorder(sink, {
        onStoreFailure: 'Block',
        observer: { lost: (count) => lost.push(count), blockedChange: (blocked) => blockedChanges.push(blocked) },
      });
      sink.failing = true;
      for (const event of sampleEvents().slice(0, 4)) rec.record(event);
      await sleep(20);
      assert.equal(rec.blocked, true);
      const waiting = rec.whenWritable();
      const closing = rec.close();
      assert.equal(rec.blocked, true);
      await rec.abort('session gone');
      await assert.rejects(closing, isClosed);
      await assert.rejects(waiting, isClosed);
      assert.equal(rec.lostRecords, 4);
      assert.deepEqual(lost, [4]);
      assert.deepEqual(blockedChanges, [true, false]);
      assert.ok(sink.closed);
      const attempts = sink.attempts;
      await sleep(40);
      assert.equal(sink.attempts, attempts, 'no retries after abort');
    });
  });

  describe('onStoreFailure: Continue', () => {
    test('counts lost records and keeps going', async () => {
      const sink = new FlakySink();
      const lost: number[] = [];
      const storeErrors: number[] = [];
      const rec = recorder(sink, {
        onStoreFailure: 'Continue',
        observer: { lost: (count) => lost.push(count), storeError: (_error, size) => storeErrors.push(size) },
      });
      const events = sampleEvents();
      rec.record(events[0]!);
      await rec.flush();
      sink.failing = true;
      rec.record(events[1]!);
      rec.record(events[2]!);
      assert.equal(rec.writable, true, 'Continue never holds traffic');
      await rec.flush();
      assert.equal(rec.blocked, false);
      assert.equal(rec.lostRecords, 2);
      assert.deepEqual(lost, [2]);
      assert.deepEqual(storeErrors, [2]);
      sink.failing = false;
      for (const event of events.slice(3)) rec.record(event);
      await rec.close();
      assert.equal(sink.records.length, 10);
      // The gap is visible to the verifier: that is what a lost record looks like.
      const result = verifyRecords(sink.records);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.problem, 'removed');
      assert.equal(!result.ok && result.seq, 1);
    });

    test('drops records beyond maxBufferedRecords instead of growing', async () => {
      const sink = new FlakySink();
      const rec = recorder(sink, { onStoreFailure: 'Continue', maxBufferedRecords: 3, maxBatchDelayMs: 60_000 });
      for (const event of sampleEvents().slice(0, 5)) rec.record(event);
      assert.equal(rec.lostRecords, 2);
      await rec.close();
      assert.deepEqual(
        sink.records.map((r) => r.seq),
        [0, 1, 2],
      );
    });
  });
});
