import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { SESSION_ID, sampleEvents, steppingClock } from '@airlock/contracts/testing/sample-events';
import pino from 'pino';
import { RecordingHealth } from './recording-health.ts';
import { recorderSettingsFor } from './recording-settings.ts';
import { SessionRecorder } from './session-recorder.ts';
import { errnoError, FlakySink } from './testing/sinks.ts';

function counter() {
  return {
    value: 0,
    inc(by = 1) {
      this.value += by;
    },
    dec(by = 1) {
      this.value -= by;
    },
  };
}

/** Every recorder a test made; aborted after each test so a failed assertion cannot leave one retrying forever. */
const made: SessionRecorder[] = [];
afterEach(() => Promise.all(made.splice(0).map((rec) => rec.abort('test over'))));

function setup() {
  const metrics = { storeFailures: counter(), lostRecords: counter(), blockedSessions: counter(), failingSessions: counter() };
  const health = new RecordingHealth(metrics);
  const logger = pino({ level: 'silent' });
  const open = (sink: FlakySink, onStoreFailure: 'Block' | 'Continue' = 'Block', id = SESSION_ID) => {
    const rec = new SessionRecorder({
      sessionId: id,
      sink,
      clock: steppingClock(),
      onStoreFailure,
      maxBatchDelayMs: 1,
      initialRetryDelayMs: 5,
      maxRetryDelayMs: 10,
      blockTimeoutMs: 100,
      flushTimeoutMs: 100,
      observer: health.observer(logger),
    });
    made.push(rec);
    return rec;
  };
  return { metrics, health, open };
}

describe('RecordingHealth', () => {
  test('not ready while a write fails, with the reason; ready again once a batch is stored', async () => {
    const { metrics, health, open } = setup();
    const sink = new FlakySink();
    sink.failing = true;
    sink.error = errnoError('ENOSPC', 'no space left on device');
    const rec = open(sink);
    assert.deepEqual(health.readinessReasons(), []);
    rec.record(sampleEvents()[0]!);
    await assert.rejects(rec.opened());
    const reasons = health.readinessReasons();
    assert.match(reasons.join('\n'), /recording store failing for 1 session\(s\): ENOSPC: no space left on device/);
    assert.match(reasons.join('\n'), /recording blocked for 1 session\(s\)/);
    assert.equal(metrics.blockedSessions.value, 1);
    assert.equal(metrics.failingSessions.value, 1);
    assert.ok(metrics.storeFailures.value >= 1);

    sink.failing = false;
    await rec.whenWritable();
    assert.deepEqual(health.readinessReasons(), []);
    assert.equal(metrics.blockedSessions.value, 0);
    assert.equal(metrics.failingSessions.value, 0);
    await rec.close();
    assert.equal(health.liveRecorders, 0);
  });

  test('stays not ready after the failing session gave up, until anyone stores a batch again', async () => {
    const { metrics, health, open } = setup();
    const broken = new FlakySink();
    broken.failing = true;
    const rec = open(broken);
    rec.record(sampleEvents()[0]!);
    await rec.close();
    assert.equal(metrics.lostRecords.value, 1, 'the closed recorder gave up and counted it');
    assert.equal(metrics.blockedSessions.value, 0);
    assert.match(health.readinessReasons().join('\n'), /failed and has not stored a batch since/);

    const next = open(new FlakySink(), 'Block', 'next-session');
    next.record(sampleEvents('next-session')[0]!);
    await next.opened();
    assert.deepEqual(health.readinessReasons(), []);
    await next.close();
  });

  test('Continue: a failed write is counted lost and makes the sidecar not ready, but blocks nothing', async () => {
    const { metrics, health, open } = setup();
    const sink = new FlakySink();
    sink.failing = true;
    const rec = open(sink, 'Continue');
    rec.record(sampleEvents()[0]!);
    await rec.opened();
    assert.equal(metrics.lostRecords.value, 1);
    assert.equal(metrics.blockedSessions.value, 0);
    assert.match(health.readinessReasons().join('\n'), /recording store failing/);
    await rec.close();
  });

  test('drain() waits for open recorders, at most the given time', async () => {
    const { health, open } = setup();
    const rec = open(new FlakySink());
    let drained = false;
    const draining = health.drain(5000).then(() => {
      drained = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(drained, false);
    await rec.close();
    await draining;

    open(new FlakySink(), 'Block', 'never-closed');
    const started = performance.now();
    await health.drain(50);
    assert.ok(performance.now() - started < 500);
  });
});

describe('recorderSettingsFor', () => {
  test('the CRD defaults, and durations as the CRD writes them', () => {
    assert.deepEqual(recorderSettingsFor(undefined), { onStoreFailure: 'Block', blockTimeoutMs: 5000, flushTimeoutMs: 10_000 });
    assert.deepEqual(recorderSettingsFor({ onStoreFailure: 'Continue', blockTimeout: '1m30s', flushTimeout: '250ms' }), {
      onStoreFailure: 'Continue',
      blockTimeoutMs: 90_000,
      flushTimeoutMs: 250,
    });
    assert.throws(
      () => recorderSettingsFor({ blockTimeout: '5 seconds' }),
      (error: unknown) => error instanceof Error && /write it like 500ms/.test(error.message),
    );
  });
});
