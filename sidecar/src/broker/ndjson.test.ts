import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerError } from './errors.ts';
import { NdjsonLineReader } from './ndjson.ts';

const LINES = [{ type: 'config', config: { a: 'ünïcode ✓', n: [1, 2, 3] } }, { type: 'heartbeat' }, { type: 'pending', approvals: '0/1' }];
// Built by hand, not by the reader: JSON lines, one empty line, CRLF on one.
const WIRE = Buffer.from(`${JSON.stringify(LINES[0])}\n\n${JSON.stringify(LINES[1])}\r\n${JSON.stringify(LINES[2])}\n`, 'utf8');

test('every split point, even inside a multi-byte character, gives the same lines', () => {
  for (let at = 0; at <= WIRE.length; at++) {
    const reader = new NdjsonLineReader();
    const lines = [...reader.push(WIRE.subarray(0, at)), ...reader.push(WIRE.subarray(at))];
    assert.deepEqual(lines, LINES, `split at ${at}`);
    assert.equal(reader.pendingBytes, 0);
  }
});

test('byte by byte', () => {
  const reader = new NdjsonLineReader();
  const lines: unknown[] = [];
  for (let i = 0; i < WIRE.length; i++) lines.push(...reader.push(WIRE.subarray(i, i + 1)));
  assert.deepEqual(lines, LINES);
});

test('a chunk reused after push does not corrupt the pending part', () => {
  const reader = new NdjsonLineReader();
  const chunk = Buffer.from('{"type":"hea');
  assert.deepEqual(reader.push(chunk), []);
  chunk.fill(0x20);
  assert.deepEqual(reader.push(Buffer.from('rtbeat"}\n')), [{ type: 'heartbeat' }]);
});

test('an unfinished line is reported; a line over the limit and a line that is not JSON are refused', () => {
  const reader = new NdjsonLineReader(16);
  reader.push(Buffer.from('{"a":1'));
  assert.equal(reader.pendingBytes, 6);
  assert.throws(
    () => reader.push(Buffer.from('1111111111111')),
    (e: unknown) => e instanceof BrokerError && e.code === 'BadResponse',
  );
  assert.throws(
    () => new NdjsonLineReader().push(Buffer.from('nope\n')),
    (e: unknown) => e instanceof BrokerError && e.code === 'BadResponse',
  );
});
