import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import type { RecordedEvent } from '@airlock/contracts/recording';
import { RecordingBudget } from '../../../core/recording/recording-budget.ts';
import { ExecRecording } from './exec-recording.ts';
import { base64ChannelFrame, channelFrame, encodeFrame, exitStatusJson, OPCODE, TEST_MASK } from './testing/websocket-encoder.ts';

const V5: IncomingHttpHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-protocol': 'v5.channel.k8s.io' };
const V4: IncomingHttpHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-protocol': 'v4.channel.k8s.io' };
const BASE64: IncomingHttpHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-protocol': 'base64.channel.k8s.io' };
const SPDY: IncomingHttpHeaders = { upgrade: 'SPDY/3.1', connection: 'Upgrade', 'x-stream-protocol-version': 'v4.channel.k8s.io' };

type Step = { readonly at?: number } & ({ readonly agent: Buffer } | { readonly upstream: Buffer });

interface Run {
  readonly events: RecordedEvent[];
  /** Events with output data decoded, for reading. */
  readonly shown: unknown[];
}

/** Feeds the steps through the taps (at their clock times), ends the tunnel with the byte counts it saw. */
function run(
  headers: IncomingHttpHeaders,
  query: string,
  steps: readonly Step[],
  options: { budget?: number; chunked?: (b: Buffer) => Buffer[] } = {},
): Run {
  const events: RecordedEvent[] = [];
  let clock = 1000;
  const recording = new ExecRecording(
    7,
    { query, responseHeaders: headers },
    {
      record: (event) => events.push(event),
      budget: new RecordingBudget(options.budget ?? 1 << 20),
      now: () => clock,
      batch: { maxEventBytes: 32 * 1024, maxDelayMs: 50 },
    },
  );
  let fromAgent = 0;
  let toAgent = 0;
  const chunked = options.chunked ?? ((b: Buffer) => [b]);
  for (const step of steps) {
    if (step.at !== undefined) clock = 1000 + step.at;
    if ('agent' in step) {
      for (const chunk of chunked(step.agent)) {
        fromAgent += chunk.length;
        recording.taps.fromAgent?.(chunk);
      }
    } else {
      for (const chunk of chunked(step.upstream)) {
        toAgent += chunk.length;
        recording.taps.toAgent?.(chunk);
      }
    }
  }
  recording.ended({ bytesFromAgent: fromAgent, bytesToAgent: toAgent });
  return { events, shown: events.map((e) => (e.type === 'output' ? { ...e, data: Buffer.from(e.data, 'base64').toString('latin1') } : e)) };
}

const total = (steps: readonly Step[], side: 'agent' | 'upstream') =>
  steps.reduce(
    (sum, step) => sum + (side === 'agent' ? ('agent' in step ? step.agent.length : 0) : 'upstream' in step ? step.upstream.length : 0),
    0,
  );

const resize = (cols: number, rows: number) => channelFrame(4, JSON.stringify({ Width: cols, Height: rows }), TEST_MASK);
const closeStdin = () => encodeFrame({ opcode: OPCODE.binary, payload: Buffer.from([255, 0]), mask: TEST_MASK });

describe('ExecRecording', () => {
  test('v5 without a tty (kubectl exec -i pod -- cat): stdin, stdout, exit 0', () => {
    const steps: Step[] = [
      { at: 5, agent: channelFrame(0, 'hello', TEST_MASK) },
      { at: 6, agent: closeStdin() },
      { at: 8, upstream: channelFrame(1, 'hello') },
      { at: 9, upstream: channelFrame(3, exitStatusJson(0)) },
      { at: 9, upstream: encodeFrame({ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8]) }) },
    ];
    const { shown } = run(V5, 'command=cat&stdin=true&stdout=true&stderr=true', steps);
    assert.deepEqual(shown, [
      { type: 'terminal', statementIndex: 7 },
      { type: 'output', statementIndex: 7, offsetMs: 5, stream: 'stdin', data: 'hello' },
      { type: 'output', statementIndex: 7, offsetMs: 8, stream: 'stdout', data: 'hello' },
      {
        type: 'result',
        statementIndex: 7,
        httpStatus: 101,
        requestBytes: total(steps, 'agent'),
        responseBytes: total(steps, 'upstream'),
        commandTag: 'exit 0',
        exitStatus: 0,
        bytes: { stdin: 5, stdout: 5, stderr: 0 },
        unrecordedBytes: 0,
      },
    ]);
  });

  test('split at every offset, in both directions: the same recording as whole chunks', () => {
    const steps: Step[] = [
      { agent: Buffer.concat([channelFrame(0, 'ab', TEST_MASK), channelFrame(0, 'cd', TEST_MASK), closeStdin()]) },
      {
        upstream: Buffer.concat([
          channelFrame(1, 'out'),
          channelFrame(2, 'err'),
          channelFrame(1, 'more'),
          channelFrame(3, exitStatusJson(2)),
        ]),
      },
    ];
    const whole = run(V5, '', steps).shown;
    const length = Math.max(total(steps, 'agent'), total(steps, 'upstream'));
    for (let at = 0; at <= length; at++) {
      const split = run(V5, '', steps, { chunked: (b) => [b.subarray(0, at), b.subarray(at)].filter((c) => c.length > 0) }).shown;
      assert.deepEqual(split, whole, `split at ${at}`);
    }
    assert.deepEqual(
      whole
        .filter((e) => (e as { type: string }).type === 'output')
        .map((e) => [(e as { stream: string }).stream, (e as { data: string }).data]),
      [
        ['stdin', 'abcd'],
        ['stdout', 'out'],
        ['stderr', 'err'],
        ['stdout', 'more'],
      ],
    );
    assert.equal((whole.at(-1) as { commandTag: string }).commandTag, 'exit 2');
  });

  test('v4 with a tty: the first resize sizes the terminal, later ones are terminal.resize; exit 3 from the Failure Status', () => {
    const steps: Step[] = [
      { at: 0, agent: resize(120, 40) },
      { at: 2, upstream: channelFrame(1, '$ ') },
      { at: 300, agent: channelFrame(0, 'exit 3\r', TEST_MASK) },
      { at: 301, upstream: channelFrame(1, 'exit 3\r\n') },
      { at: 400, agent: resize(100, 30) },
      { at: 500, upstream: channelFrame(3, exitStatusJson(3)) },
    ];
    const { shown } = run(V4, 'command=sh&stdin=true&stdout=true&tty=true', steps);
    assert.deepEqual(shown.slice(0, -1), [
      { type: 'terminal', statementIndex: 7, pty: { term: '', cols: 120, rows: 40 } },
      { type: 'output', statementIndex: 7, offsetMs: 2, stream: 'stdout', data: '$ ' },
      { type: 'output', statementIndex: 7, offsetMs: 300, stream: 'stdin', data: 'exit 3\r' },
      { type: 'output', statementIndex: 7, offsetMs: 301, stream: 'stdout', data: 'exit 3\r\n' },
      { type: 'terminal.resize', statementIndex: 7, offsetMs: 400, cols: 100, rows: 30 },
    ]);
    assert.deepEqual(shown.at(-1), {
      type: 'result',
      statementIndex: 7,
      httpStatus: 101,
      requestBytes: total(steps, 'agent'),
      responseBytes: total(steps, 'upstream'),
      commandTag: 'exit 3',
      exitStatus: 3,
      bytes: { stdin: 7, stdout: 10, stderr: 0 },
      unrecordedBytes: 0,
    });
  });

  test('a tty whose output comes before any resize: a pty of unknown size (0x0)', () => {
    const { shown } = run(V5, 'tty=1', [{ upstream: channelFrame(1, 'x') }, { agent: resize(80, 24) }]);
    assert.deepEqual(shown[0], { type: 'terminal', statementIndex: 7, pty: { term: '', cols: 0, rows: 0 } });
    assert.deepEqual(shown[2], { type: 'terminal.resize', statementIndex: 7, offsetMs: 0, cols: 80, rows: 24 });
  });

  test('base64.channel.k8s.io: text frames of a channel digit and base64, binary bytes kept exactly', () => {
    const binary = Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x0a]);
    const steps: Step[] = [
      { agent: base64ChannelFrame(0, 'in', TEST_MASK) },
      { upstream: base64ChannelFrame(1, binary) },
      { upstream: base64ChannelFrame(2, 'warning\n') },
    ];
    const { events } = run(BASE64, '', steps);
    const outputs = events.flatMap((e) => (e.type === 'output' ? [[e.stream, Buffer.from(e.data, 'base64').toString('hex')]] : []));
    assert.deepEqual(outputs, [
      ['stdin', Buffer.from('in').toString('hex')],
      ['stdout', binary.toString('hex')],
      ['stderr', Buffer.from('warning\n').toString('hex')],
    ]);
    // Before v4 the error channel is plain text, and nothing came on it: no exit status is claimed.
    assert.deepEqual(events.at(-1), {
      type: 'result',
      statementIndex: 7,
      httpStatus: 101,
      requestBytes: total(steps, 'agent'),
      responseBytes: total(steps, 'upstream'),
      commandTag: 'closed',
      bytes: { stdin: 2, stdout: 5, stderr: 8 },
      unrecordedBytes: 0,
    });
  });

  test('the session budget: recorded up to the bound, output.truncated once, the rest counted', () => {
    const steps: Step[] = [
      { at: 1, upstream: channelFrame(1, 'hello ') },
      { at: 2, upstream: channelFrame(2, 'world!') },
      { at: 3, upstream: channelFrame(1, 'and more') },
      { at: 4, upstream: channelFrame(3, exitStatusJson(0)) },
    ];
    const { shown } = run(V5, '', steps, { budget: 8 });
    assert.deepEqual(shown, [
      { type: 'terminal', statementIndex: 7 },
      { type: 'output', statementIndex: 7, offsetMs: 1, stream: 'stdout', data: 'hello ' },
      { type: 'output', statementIndex: 7, offsetMs: 2, stream: 'stderr', data: 'wo' },
      { type: 'output.truncated', statementIndex: 7, offsetMs: 2, limitBytes: 8 },
      {
        type: 'result',
        statementIndex: 7,
        httpStatus: 101,
        requestBytes: 0,
        responseBytes: total(steps, 'upstream'),
        commandTag: 'exit 0',
        exitStatus: 0,
        bytes: { stdin: 0, stdout: 14, stderr: 6 },
        unrecordedBytes: 12,
      },
    ]);
  });

  test('exit statuses: Success 0, Failure with an ExitCode cause, a Failure without one and no Status at all say no status', () => {
    const tagOf = (status: string | undefined) => {
      const steps: Step[] = status === undefined ? [] : [{ upstream: channelFrame(3, status) }];
      const result = run(V5, '', steps).events.at(-1);
      assert.equal(result?.type, 'result');
      return result?.type === 'result' ? [result.commandTag, result.exitStatus] : [];
    };
    assert.deepEqual(tagOf(exitStatusJson(0)), ['exit 0', 0]);
    assert.deepEqual(tagOf(exitStatusJson(3)), ['exit 3', 3]);
    assert.deepEqual(tagOf(exitStatusJson(137)), ['exit 137', 137]);
    assert.deepEqual(tagOf(JSON.stringify({ status: 'Failure', message: 'container not found ("nope")', reason: 'InternalError' })), [
      'closed',
      undefined,
    ]);
    assert.deepEqual(tagOf('not json'), ['closed', undefined]);
    assert.deepEqual(tagOf(undefined), ['closed', undefined]);
  });

  test('SPDY/3.1 or an unknown subprotocol: no terminal, no output, a result that counts every byte as unrecorded', () => {
    for (const headers of [SPDY, { ...V5, 'sec-websocket-protocol': 'v9.channel.example' }, { upgrade: 'websocket' }]) {
      const steps: Step[] = [{ agent: channelFrame(0, 'secret input', TEST_MASK) }, { upstream: channelFrame(1, 'output') }];
      const { events } = run(headers, 'tty=true', steps);
      assert.deepEqual(events, [
        {
          type: 'result',
          statementIndex: 7,
          httpStatus: 101,
          requestBytes: total(steps, 'agent'),
          responseBytes: total(steps, 'upstream'),
          commandTag: 'HTTP 101',
          unrecordedBytes: total(steps, 'agent') + total(steps, 'upstream'),
        },
      ]);
    }
  });

  test('a message over the decoding bound is counted on its stream, not recorded; a broken frame stops decoding, its bytes counted', () => {
    const events: RecordedEvent[] = [];
    const recording = new ExecRecording(
      1,
      { query: '', responseHeaders: V5 },
      { record: (e) => events.push(e), budget: new RecordingBudget(1 << 20), maxMessageBytes: 16, now: () => 0 },
    );
    const big = channelFrame(1, 'x'.repeat(100));
    const broken = encodeFrame({ opcode: OPCODE.binary, payload: '\x01y', rsv: 0x40 });
    const after = channelFrame(1, 'z');
    recording.taps.toAgent?.(Buffer.concat([channelFrame(1, 'small'), big, broken, after]));
    recording.ended({ bytesFromAgent: 0, bytesToAgent: 1 });
    const outputs = events.filter((e) => e.type === 'output');
    assert.deepEqual(
      outputs.map((e) => (e.type === 'output' ? Buffer.from(e.data, 'base64').toString() : '')),
      ['small'],
    );
    const result = events.at(-1);
    assert.ok(result?.type === 'result');
    assert.deepEqual(result.bytes, { stdin: 0, stdout: 105, stderr: 0 });
    assert.equal(result.unrecordedBytes, 100 + broken.length + after.length);
  });

  test('nothing passed at all: still a terminal, so the replay knows the command ran', () => {
    const { shown } = run(V5, 'tty=true', []);
    assert.deepEqual(
      shown.map((e) => (e as { type: string }).type),
      ['terminal', 'result'],
    );
  });
});
