import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from './errors.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { decodeFrontend, decodeStartupPhase } from './frontend-messages.ts';
import { cstr, i16, i32, startupMessage, typed, untyped } from './testing/wire.ts';

const frame = (bytes: Buffer) => {
  const frames = new FrameDecoder().push(bytes);
  assert.equal(frames.length, 1);
  return frames[0]!;
};
const startupFrame = (bytes: Buffer) => new FrameDecoder({ untyped: true }).push(bytes)[0]!;
const refused = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof ProtocolError && e.code === code && (!message || message.test(e.message));

describe('startup phase', () => {
  test('StartupMessage with its parameters', () => {
    const m = decodeStartupPhase(startupFrame(startupMessage({ user: 'agent', database: 'orders', application_name: 'psql' })));
    assert.equal(m.type, 'startup');
    if (m.type !== 'startup') return;
    assert.equal(m.majorVersion, 3);
    assert.equal(m.minorVersion, 0);
    assert.deepEqual(Object.fromEntries(m.parameters), { user: 'agent', database: 'orders', application_name: 'psql' });
  });

  test('protocol 3.2 is read, so the session can negotiate it down', () => {
    const m = decodeStartupPhase(startupFrame(startupMessage({ user: 'a' }, (3 << 16) | 2)));
    assert.equal(m.type === 'startup' && m.minorVersion, 2);
  });

  test('protocol 2 is refused with a message naming the versions', () => {
    assert.throws(
      () => decodeStartupPhase(startupFrame(startupMessage({ user: 'a' }, 2 << 16))),
      refused('UnsupportedProtocolVersion', /unsupported frontend protocol 2\.0: server supports 3\.0/),
    );
  });

  test('SSLRequest, GSSENCRequest and CancelRequest', () => {
    assert.equal(decodeStartupPhase(startupFrame(untyped(i32(80877103)))).type, 'sslRequest');
    assert.equal(decodeStartupPhase(startupFrame(untyped(i32(80877104)))).type, 'gssEncRequest');
    const cancel = decodeStartupPhase(startupFrame(untyped(i32(80877102), i32(4242), i32(-559038737))));
    assert.equal(cancel.type, 'cancelRequest');
    if (cancel.type === 'cancelRequest') {
      assert.equal(cancel.processId, 4242);
      assert.equal(cancel.secretKey.toString('hex'), 'deadbeef');
    }
  });

  test('a StartupMessage without its final NUL is refused', () => {
    const bytes = untyped(i32(196608), cstr('user'), cstr('a'));
    assert.throws(() => decodeStartupPhase(startupFrame(bytes)), refused('MessageTruncated'));
  });
});

describe('frontend messages', () => {
  test('Query', () => {
    assert.deepEqual(pick(decodeFrontend(frame(typed('Q', cstr('SELECT 1; SELECT 2'))))), {
      type: 'query',
      sql: 'SELECT 1; SELECT 2',
      sqlIsUtf8: true,
    });
  });

  test('Query and Parse say whether their text is valid UTF-8, and keep the frame as sent', () => {
    // 0x83 0x5c is one SJIS character; to UTF-8 it is an invalid byte and a backslash.
    const sjis = Buffer.concat([Buffer.from("SELECT E'"), Buffer.from([0x83, 0x5c]), Buffer.from("'")]);
    const query = decodeFrontend(frame(typed('Q', sjis, Buffer.from([0]))));
    assert.equal(query.type === 'query' && query.sqlIsUtf8, false);
    assert.equal(query.type === 'query' && query.sql, "SELECT E'\uFFFD\\'");
    const parse = decodeFrontend(frame(typed('P', cstr('s'), sjis, Buffer.from([0]), i16(0))));
    assert.equal(parse.type === 'parse' && parse.sqlIsUtf8, false);
    // A replacement character that was really sent is valid UTF-8.
    const sent = decodeFrontend(frame(typed('Q', cstr("SELECT '\uFFFD'"))));
    assert.equal(sent.type === 'query' && sent.sqlIsUtf8, true);
  });

  test('Parse with parameter types', () => {
    const m = decodeFrontend(frame(typed('P', cstr('s1'), cstr('SELECT $1::int, $2'), i16(2), i32(23), i32(0))));
    assert.deepEqual(pick(m), {
      type: 'parse',
      statement: 's1',
      sql: 'SELECT $1::int, $2',
      sqlIsUtf8: true,
      parameterTypes: [23, 0],
    });
  });

  test('Bind with text, binary and NULL parameters', () => {
    const m = decodeFrontend(
      frame(
        typed(
          'B',
          cstr('p1'),
          cstr('s1'),
          i16(3),
          i16(0),
          i16(0),
          i16(1),
          i16(3),
          i32(2),
          Buffer.from('42'),
          i32(-1),
          i32(4),
          i32(7),
          i16(1),
          i16(1),
        ),
      ),
    );
    assert.equal(m.type, 'bind');
    if (m.type !== 'bind') return;
    assert.equal(m.portal, 'p1');
    assert.equal(m.statement, 's1');
    assert.deepEqual(m.parameterFormats, [0, 0, 1]);
    assert.deepEqual(
      m.parameters.map((p) => p?.toString('hex') ?? null),
      ['3432', null, '00000007'],
    );
    assert.deepEqual(m.resultFormats, [1]);
  });

  test('Describe, Execute, Close, Sync, Flush, Terminate, CopyData, CopyDone, CopyFail', () => {
    assert.deepEqual(pick(decodeFrontend(frame(typed('D', Buffer.from('S'), cstr('s1'))))), {
      type: 'describe',
      target: 'statement',
      name: 's1',
    });
    assert.deepEqual(pick(decodeFrontend(frame(typed('E', cstr(''), i32(100))))), { type: 'execute', portal: '', maxRows: 100 });
    assert.deepEqual(pick(decodeFrontend(frame(typed('C', Buffer.from('P'), cstr('p1'))))), {
      type: 'close',
      target: 'portal',
      name: 'p1',
    });
    assert.equal(decodeFrontend(frame(typed('S'))).type, 'sync');
    assert.equal(decodeFrontend(frame(typed('H'))).type, 'flush');
    assert.equal(decodeFrontend(frame(typed('X'))).type, 'terminate');
    assert.equal(decodeFrontend(frame(typed('d', Buffer.from('1\tx\n')))).type, 'copyData');
    assert.equal(decodeFrontend(frame(typed('c'))).type, 'copyDone');
    assert.deepEqual(pick(decodeFrontend(frame(typed('f', cstr('agent gave up'))))), { type: 'copyFail', message: 'agent gave up' });
  });

  test('FunctionCall is recognised (the session denies it by default)', () => {
    assert.equal(decodeFrontend(frame(typed('F', i32(1247), i16(0), i16(0), i16(0)))).type, 'functionCall');
  });

  test('malformed messages are refused with what is wrong', () => {
    assert.throws(() => decodeFrontend(frame(typed('Z', cstr('x')))), refused('UnknownMessageType', /unknown frontend message type 0x5a/));
    assert.throws(
      () => decodeFrontend(frame(typed('Q', Buffer.from('SELECT 1')))),
      refused('MessageTruncated', /Query: string without its terminating NUL/),
    );
    assert.throws(
      () => decodeFrontend(frame(typed('S', Buffer.from([1])))),
      refused('MessageMalformed', /Sync: 1 unexpected trailing bytes/),
    );
    assert.throws(
      () => decodeFrontend(frame(typed('D', Buffer.from('X'), cstr('a')))),
      refused('MessageMalformed', /Describe: target "X"/),
    );
    assert.throws(
      () => decodeFrontend(frame(typed('B', cstr(''), cstr(''), i16(1), i16(7), i16(0), i16(0)))),
      refused('MessageMalformed', /format code 7/),
    );
    assert.throws(
      () => decodeFrontend(frame(typed('B', cstr(''), cstr(''), i16(0), i16(1), i32(10), Buffer.from('ab'), i16(0)))),
      refused('MessageTruncated'),
    );
    assert.throws(
      () => decodeFrontend(frame(typed('B', cstr(''), cstr(''), i16(0), i16(1), i32(-2), i16(0)))),
      refused('MessageMalformed', /length -2/),
    );
  });
});

function pick(m: object): Record<string, unknown> {
  const { frame: _frame, ...rest } = m as { frame: unknown };
  return rest;
}
