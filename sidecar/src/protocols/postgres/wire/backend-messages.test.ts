import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { dataRowFields, decodeBackend, encode, encodeDataRow } from './backend-messages.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { cstr, i16, i32, typed } from './testing/wire.ts';

const frame = (bytes: Buffer) => new FrameDecoder().push(bytes)[0]!;

describe('backend messages', () => {
  test('ErrorResponse is laid out as the protocol says', () => {
    const bytes = encode.errorResponse({ severity: 'ERROR', code: '42501', message: 'denied by policy p rule r', hint: 'ask' });
    const expected = typed(
      'E',
      Buffer.from('S'),
      cstr('ERROR'),
      Buffer.from('V'),
      cstr('ERROR'),
      Buffer.from('C'),
      cstr('42501'),
      Buffer.from('M'),
      cstr('denied by policy p rule r'),
      Buffer.from('H'),
      cstr('ask'),
      Buffer.from([0]),
    );
    assert.deepEqual(bytes, expected);
    const decoded = decodeBackend(frame(bytes));
    assert.equal(decoded.type, 'errorResponse');
    if (decoded.type === 'errorResponse') assert.equal(decoded.fields.get('C'), '42501');
  });

  test('ReadyForQuery, ParameterStatus, BackendKeyData, AuthenticationOk, CommandComplete', () => {
    assert.deepEqual(encode.readyForQuery('T'), typed('Z', Buffer.from('T')));
    assert.deepEqual(encode.parameterStatus('server_version', '17.2'), typed('S', cstr('server_version'), cstr('17.2')));
    assert.deepEqual(encode.backendKeyData(7, Buffer.from([1, 2, 3, 4])), typed('K', i32(7), Buffer.from([1, 2, 3, 4])));
    assert.deepEqual(encode.authenticationOk(), typed('R', i32(0)));
    assert.deepEqual(encode.commandComplete('SELECT 3'), typed('C', cstr('SELECT 3')));
  });

  test('RowDescription is decoded', () => {
    const bytes = typed('T', i16(1), cstr('email'), i32(16384), i16(2), i32(25), i16(-1), i32(-1), i16(0));
    const m = decodeBackend(frame(bytes));
    assert.equal(m.type, 'rowDescription');
    if (m.type === 'rowDescription')
      assert.deepEqual(m.columns[0], {
        name: 'email',
        tableOid: 16384,
        columnNumber: 2,
        typeOid: 25,
        typeSize: -1,
        typeModifier: -1,
        format: 0,
      });
  });

  test('DataRow fields round-trip with correct length prefixes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }), { maxLength: 20 }), (values) => {
        const bytes = encodeDataRow(values);
        assert.equal(bytes.readInt32BE(1), bytes.length - 1);
        const back = dataRowFields(frame(bytes)).map((v) => (v === null ? null : new Uint8Array(v)));
        assert.deepEqual(
          back,
          values.map((v) => (v === null ? null : new Uint8Array(v))),
        );
      }),
    );
  });

  test('a DataRow whose field overruns the message is refused', () => {
    assert.throws(() => dataRowFields(frame(typed('D', i16(1), i32(10), Buffer.from('abc')))), /DataRow: message ends early/);
  });
});
