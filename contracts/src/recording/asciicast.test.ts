import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SSH_SESSION_ID, sampleSshEvents, steppingClock } from '../testing/sample-events.ts';
import { renderAsciicast, toAsciicast } from './asciicast.ts';
import type { RecordedEvent } from './events.ts';
import { CHAIN_START, type ChainHead, chainRecord, type StoredRecord } from './hash-chain.ts';
import { verifiedPrefix } from './verified-prefix.ts';

const START = Date.parse('2025-06-01T12:00:00.000Z');

function chain(events: readonly RecordedEvent[], clock = steppingClock(START)): StoredRecord<RecordedEvent>[] {
  let head: ChainHead = CHAIN_START;
  return events.map((event) => {
    const record = chainRecord(head, SSH_SESSION_ID, clock(), event);
    head = { seq: record.seq + 1, hash: record.hash };
    return record;
  });
}

const b64 = (bytes: string | Buffer) => (typeof bytes === 'string' ? Buffer.from(bytes) : bytes).toString('base64');

test('an exec without a terminal: stdout and stderr as output in time order, LF shown as the agent’s terminal shows it', () => {
  const cast = toAsciicast(chain(sampleSshEvents()));
  // The terminal event is the sample's fifth record: 4 ms after the session opened.
  assert.deepEqual(cast.header, {
    version: 2,
    width: 80,
    height: 24,
    timestamp: Math.floor((START + 4) / 1000),
    title: "orders-bastion printf 'out\\n'; echo err >&2; exit 2",
  });
  assert.deepEqual(cast.events, [
    [0.003, 'o', 'out\r\n'],
    [0.004, 'o', 'err\r\n'],
  ]);
  assert.deepEqual(cast.commands, [0]);
});

test('on a pty: TERM and size in the header, keystrokes as input, resizes, bytes as the host sent them, characters whole across events', () => {
  const euro = Buffer.from('€\n'); // e2 82 ac 0a
  const cast = toAsciicast(
    chain([
      ...sampleSshEvents().slice(0, 4),
      { type: 'terminal', statementIndex: 0, pty: { term: 'xterm-256color', cols: 132, rows: 43 } },
      { type: 'output', statementIndex: 0, stream: 'stdout', offsetMs: 10, data: b64('$ ') },
      { type: 'output', statementIndex: 0, stream: 'stdin', offsetMs: 500, data: b64('l') },
      { type: 'output', statementIndex: 0, stream: 'stdout', offsetMs: 501, data: b64(euro.subarray(0, 2)) },
      { type: 'terminal.resize', statementIndex: 0, offsetMs: 700, cols: 100, rows: 30 },
      {
        type: 'output',
        statementIndex: 0,
        stream: 'stdout',
        offsetMs: 1250,
        data: b64(Buffer.concat([euro.subarray(2), Buffer.from([0xff])])),
      },
      { type: 'result', statementIndex: 0, commandTag: 'exit 0', exitStatus: 0 },
    ]),
  );
  assert.equal(cast.header.width, 132);
  assert.equal(cast.header.height, 43);
  assert.deepEqual(cast.header.env, { TERM: 'xterm-256color' });
  assert.deepEqual(cast.events, [
    [0.01, 'o', '$ '],
    [0.5, 'i', 'l'],
    [0.7, 'r', '100x30'],
    [1.25, 'o', '€\n\uFFFD'],
  ]);
});

test('without a pty, what the command read (stdin) is not shown; a reached bound is a marker', () => {
  const events = sampleSshEvents();
  const cast = toAsciicast(
    chain([
      ...events.slice(0, 5),
      { type: 'output', statementIndex: 0, stream: 'stdin', offsetMs: 1, data: b64('uploaded') },
      { type: 'output', statementIndex: 0, stream: 'stdout', offsetMs: 2, data: b64('ok') },
      { type: 'output.truncated', statementIndex: 0, offsetMs: 2, limitBytes: 10 },
    ]),
  );
  assert.deepEqual(
    cast.events.map(([, code, data]) => [code, data.slice(0, 40)]),
    [
      ['o', 'ok'],
      ['m', "airlock: the session's recording bound ("],
    ],
  );
});

test('several commands: merged in time from the first one’s start; one of them alone with statementIndex', () => {
  const clock = steppingClock(START);
  const second: RecordedEvent[] = [
    { type: 'statement', statementIndex: 1, text: 'id -un' },
    { type: 'terminal', statementIndex: 1 },
    { type: 'output', statementIndex: 1, stream: 'stdout', offsetMs: 0, data: b64('deploy\n') },
    { type: 'result', statementIndex: 1, commandTag: 'exit 0', exitStatus: 0 },
  ];
  const events = sampleSshEvents();
  // Session open..terminal 0 at START+0..4, then the second command's records at START+5..8, then the rest of the first.
  const records = chain([...events.slice(0, 5), ...second, ...events.slice(5)], clock);
  const cast = toAsciicast(records);
  assert.match(cast.header.title ?? '', /^orders-bastion printf .* \(and 1 more command\)$/);
  assert.deepEqual(cast.commands, [0, 1]);
  // Channel 0 starts at +4 ms, its output 3 and 4 ms later; channel 1 at +6 ms (its terminal record), its output at once.
  assert.deepEqual(cast.events, [
    [0.002, 'o', 'deploy\r\n'],
    [0.003, 'o', 'out\r\n'],
    [0.004, 'o', 'err\r\n'],
  ]);
  const only = toAsciicast(records, { statementIndex: 1 });
  assert.equal(only.header.title, 'orders-bastion id -un');
  assert.deepEqual(only.events, [[0, 'o', 'deploy\r\n']]);
});

test('a session without a running command is an empty cast; rendering is one JSON line per entry', () => {
  const cast = toAsciicast(chain(sampleSshEvents().slice(0, 4)));
  assert.deepEqual(cast.events, []);
  assert.deepEqual(cast.header, { version: 2, width: 80, height: 24, title: 'orders-bastion' });
  const text = renderAsciicast(toAsciicast(chain(sampleSshEvents())));
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.equal(JSON.parse(lines[0]!).version, 2);
  assert.deepEqual(JSON.parse(lines[1]!), [0.003, 'o', 'out\r\n']);
  assert.equal(lines.length, 3);
});

test('only the records before a break in the chain are replayed', () => {
  const lines = chain(sampleSshEvents()).map((record) => JSON.stringify(record));
  // Someone rewrites what stderr showed (record 6).
  lines[6] = lines[6]!.replace(b64('err\n'), b64('all good\n'));
  const { verdict, records } = verifiedPrefix(`${lines.join('\n')}\n`);
  assert.equal(verdict.ok, false);
  assert.equal(records.length, 6);
  assert.deepEqual(toAsciicast(records).events, [[0.003, 'o', 'out\r\n']]);
});
