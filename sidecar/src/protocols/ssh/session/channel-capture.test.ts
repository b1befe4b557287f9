/**
 * What a running command's channel leaves in the session's recording, through the real recorder
 * (hash chain, batching writer) into an in-memory or failing sink: the terminal, coalesced output,
 * the session's bound, and the Block waits that keep the agent at most a window ahead of the store.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RecordedEvent, RecordingError, verifyRecords } from '@airlock/contracts/recording';
import { SESSION_ID, steppingClock } from '@airlock/contracts/testing/sample-events';
import type { StoreFailurePolicy } from '../../../core/recording/batching-writer.ts';
import { InMemorySink } from '../../../core/recording/memory-sink.ts';
import { RecordingBudget } from '../../../core/recording/recording-budget.ts';
import { SessionRecorder } from '../../../core/recording/session-recorder.ts';
import { FlakySink } from '../../../core/recording/testing/sinks.ts';
import { NO_SESSION_METRICS } from '../../../core/session/testing/no-metrics.ts';
import { type CaptureOptions, SshRecording } from './ssh-recording.ts';

const made: SessionRecorder[] = [];
afterEach(() => Promise.all(made.splice(0).map((recorder) => recorder.abort('test over'))));

interface Setup {
  readonly sink?: InMemorySink;
  readonly policy?: StoreFailurePolicy;
  readonly maxRecordedBytes?: number;
  readonly capture?: CaptureOptions;
}

/** A session's recording as the SSH proxy has it, with a clock the test moves. */
function session(setup: Setup = {}) {
  const sink = setup.sink ?? new InMemorySink();
  const recorder = new SessionRecorder({
    sessionId: SESSION_ID,
    sink,
    clock: steppingClock(),
    onStoreFailure: setup.policy ?? 'Block',
    maxBatchDelayMs: 2,
    initialRetryDelayMs: 5,
    maxRetryDelayMs: 10,
    blockTimeoutMs: 300,
    flushTimeoutMs: 300,
  });
  made.push(recorder);
  const clock = { ms: 0 };
  const recording = new SshRecording(
    {
      record: recorder,
      metrics: NO_SESSION_METRICS,
      target: { name: 'bastion', namespace: 'agents', labels: {}, spec: { type: 'ssh', localPort: 2222 } },
      limits: { maxRecordedBytes: setup.maxRecordedBytes ?? 1024 * 1024 },
    },
    { now: () => clock.ms, batch: { maxEventBytes: 1024, maxDelayMs: 50 }, ...setup.capture },
  );
  const events = async (): Promise<RecordedEvent[]> => {
    await recorder.flush();
    assert.equal(verifyRecords(sink.records).ok, true);
    return sink.records.map((record) => record.event);
  };
  return { recording, recorder, sink, clock, events };
}

const text = (event: RecordedEvent) =>
  event.type === 'output' ? [event.stream, event.offsetMs, Buffer.from(event.data, 'base64').toString()] : event.type;

describe('a command’s channel in the recording', () => {
  test('the terminal, the output coalesced in the order it passed, resizes, and the result with exit status and byte counts', async () => {
    const { recording, clock, events } = session();
    const capture = recording.capture(0, { term: 'xterm-256color', cols: 100, rows: 30 });
    for (const [ms, stream, bytes] of [
      [0, 'stdout', 'a'],
      [1, 'stdout', 'b'],
      [2, 'stderr', 'E'],
      [3, 'stdout', 'c'],
      [4, 'stdin', 'k'],
    ] as const) {
      clock.ms = ms;
      assert.equal(capture.data(stream, Buffer.from(bytes)), undefined, 'nothing waits below the window');
    }
    clock.ms = 7;
    capture.resized(120, 40);
    clock.ms = 9;
    capture.data('stdout', Buffer.from('d'));
    await capture.ended({ code: 2 });
    assert.equal(capture.ended({ code: 3 }), undefined, 'the result is recorded once');
    const recorded = await events();
    assert.deepEqual(recorded[0], { type: 'terminal', statementIndex: 0, pty: { term: 'xterm-256color', cols: 100, rows: 30 } });
    assert.deepEqual(recorded.slice(1, -1).map(text), [
      ['stdout', 0, 'ab'],
      ['stderr', 2, 'E'],
      ['stdout', 3, 'c'],
      ['stdin', 4, 'k'],
      'terminal.resize',
      ['stdout', 9, 'd'],
    ]);
    assert.deepEqual(recorded[5], { type: 'terminal.resize', statementIndex: 0, offsetMs: 7, cols: 120, rows: 40 });
    assert.deepEqual(recorded.at(-1), {
      type: 'result',
      statementIndex: 0,
      commandTag: 'exit 2',
      exitStatus: 2,
      bytes: { stdin: 1, stdout: 4, stderr: 1 },
      unrecordedBytes: 0,
    });
  });

  test('without a pty the terminal event has none; a signal is a field too', async () => {
    const { recording, events } = session();
    await recording.capture(3, undefined).ended({ signal: 'TERM', coreDumped: true });
    assert.deepEqual(await events(), [
      { type: 'terminal', statementIndex: 3 },
      {
        type: 'result',
        statementIndex: 3,
        commandTag: 'signal TERM',
        signal: 'TERM',
        coreDumped: true,
        bytes: { stdin: 0, stdout: 0, stderr: 0 },
        unrecordedBytes: 0,
      },
    ]);
  });

  test('a batch left open is recorded after the delay, without waiting for more output', async () => {
    const { recording, events } = session({ capture: { now: () => performance.now(), batch: { maxEventBytes: 1024, maxDelayMs: 20 } } });
    const capture = recording.capture(0, undefined);
    capture.data('stdout', Buffer.from('prompt> '));
    await sleep(80);
    assert.deepEqual(
      (await events()).map((event) => event.type),
      ['terminal', 'output'],
    );
    await capture.ended({ code: 0 });
  });
});

describe('the session’s recording bound', () => {
  test('past it bytes are counted, not recorded: one output.truncated for the session, the rest in each result', async () => {
    const { recording, events } = session({ maxRecordedBytes: 10 });
    const first = recording.capture(0, undefined);
    first.data('stdout', Buffer.from('abcdef'));
    first.data('stderr', Buffer.from('ghijklmno'));
    await first.ended({ code: 0 });
    const second = recording.capture(1, undefined);
    second.data('stdout', Buffer.from('xyz'));
    await second.ended({ code: 0 });
    const recorded = await events();
    assert.deepEqual(recorded.map(text), [
      'terminal',
      ['stdout', 0, 'abcdef'],
      ['stderr', 0, 'ghij'],
      'output.truncated',
      'result',
      'terminal',
      'result',
    ]);
    assert.deepEqual(recorded[3], { type: 'output.truncated', statementIndex: 0, offsetMs: 0, limitBytes: 10 });
    const results = recorded.filter((event) => event.type === 'result');
    assert.deepEqual(
      results.map((event) => [event.bytes, event.unrecordedBytes]),
      [
        [{ stdin: 0, stdout: 6, stderr: 9 }, 5],
        [{ stdin: 0, stdout: 3, stderr: 0 }, 3],
      ],
    );
  });

  test('the budget gives out exactly the bound and says once when it is reached', () => {
    const budget = new RecordingBudget(5);
    assert.deepEqual(budget.take(3), { recorded: 3, reachedNow: false });
    assert.deepEqual(budget.take(2), { recorded: 2, reachedNow: false });
    assert.deepEqual(budget.take(1), { recorded: 0, reachedNow: true });
    assert.deepEqual(budget.take(4), { recorded: 0, reachedNow: false });
    assert.equal(budget.used, 5);
  });
});

describe('recording Block for output that is already flowing', () => {
  test('the agent is at most maxUnstoredBytes ahead of the store: a checkpoint every quarter, the pipe waits for the one four behind; the exit waits for its result', async () => {
    const sink = new FlakySink();
    const { recording } = session({ sink, capture: { maxUnstoredBytes: 8 } });
    const capture = recording.capture(0, undefined);
    sink.failing = true;
    for (const part of ['12', '34', '56', '78']) {
      assert.equal(capture.data('stdout', Buffer.from(part)), undefined, `${part}: within the window nothing waits`);
    }
    const waiting = capture.data('stdout', Buffer.from('9a'));
    assert.ok(waiting, 'the window is full: the pipe must wait');
    let done = false;
    void waiting.then(() => (done = true));
    await sleep(60);
    assert.equal(done, false, 'nothing more goes to the agent while the store fails');
    sink.failing = false;
    await waiting;
    const stored = sink.records
      .map((record) => record.event)
      .filter((event) => event.type === 'output')
      .map((event) => Buffer.from(event.data, 'base64').toString())
      .join('');
    assert.ok(stored.startsWith('12'), `the bytes of the oldest checkpoint are stored before the agent gets more (stored: ${stored})`);
    const ending = capture.ended({ code: 0 });
    assert.ok(ending, 'the exit status waits for the result to be stored');
    await ending;
    assert.equal(sink.records.at(-1)?.event.type, 'result');
  });

  test('a checkpoint the store never took fails every later chunk at once', async () => {
    const sink = new FlakySink();
    const { recording } = session({ sink, capture: { maxUnstoredBytes: 4 } });
    const capture = recording.capture(0, undefined);
    sink.failing = true;
    const waits = ['a', 'b', 'c', 'd', 'e'].map((part) => capture.data('stdout', Buffer.from(part)));
    const oldest = waits.at(-1);
    assert.ok(oldest, 'the fifth checkpoint waits for the first');
    await assert.rejects(oldest, (error: unknown) => error instanceof RecordingError && error.code === 'StoreUnavailable');
    sink.failing = false;
    await assert.rejects(capture.data('stdout', Buffer.from('f')) ?? Promise.resolve(), (error: unknown) => {
      return error instanceof RecordingError && error.code === 'StoreUnavailable';
    });
  });

  test('a store that does not recover within blockTimeout fails the wait with StoreUnavailable', async () => {
    const sink = new FlakySink();
    const { recording } = session({ sink });
    const capture = recording.capture(0, undefined);
    sink.failing = true;
    capture.data('stdout', Buffer.from('lost?'));
    await assert.rejects(capture.ended({ code: 0 }) ?? Promise.resolve(), (error: unknown) => {
      return error instanceof RecordingError && error.code === 'StoreUnavailable';
    });
  });

  test('Continue: nothing ever waits', async () => {
    const sink = new FlakySink();
    sink.failing = true;
    const { recording } = session({ sink, policy: 'Continue', capture: { maxUnstoredBytes: 2 } });
    const capture = recording.capture(0, undefined);
    assert.equal(capture.data('stdout', Buffer.from('abcdef')), undefined);
    assert.equal(capture.ended({ code: 0 }), undefined);
  });
});
