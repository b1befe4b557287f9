import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeFrame, OPCODE, TEST_MASK } from './testing/websocket-encoder.ts';
import { WebSocketFrameReader, type WebSocketMessage } from './websocket-frames.ts';

/** Messages as plain values: payloads as hex, so deepEqual compares bytes. */
function shown(messages: readonly WebSocketMessage[]): unknown[] {
  return messages.map((m) =>
    m.type === 'oversized'
      ? { type: m.type, opcode: m.opcode, size: m.size, head: m.head.toString('hex') }
      : { type: m.type, opcode: m.opcode, payload: m.payload.toString('hex') },
  );
}

function readAll(chunks: readonly Buffer[], maxMessageBytes = 1 << 20): { messages: unknown[]; reader: WebSocketFrameReader } {
  const reader = new WebSocketFrameReader({ maxMessageBytes });
  const messages = chunks.flatMap((chunk) => reader.push(chunk));
  return { messages: shown(messages), reader };
}

/** Every split in two, and byte by byte: the same messages as the whole. */
function assertEverySplit(bytes: Buffer, expected: unknown[], maxMessageBytes?: number): void {
  assert.deepEqual(readAll([bytes], maxMessageBytes).messages, expected, 'whole');
  for (let at = 0; at <= bytes.length; at++) {
    assert.deepEqual(readAll([bytes.subarray(0, at), bytes.subarray(at)], maxMessageBytes).messages, expected, `split at ${at}`);
  }
  const bytewise = [...bytes].map((b) => Buffer.from([b]));
  assert.deepEqual(readAll(bytewise, maxMessageBytes).messages, expected, 'byte by byte');
}

const hex = (text: string | Buffer) => (typeof text === 'string' ? Buffer.from(text) : text).toString('hex');
const data = (opcode: 'text' | 'binary', payload: string | Buffer) => ({ type: 'data', opcode, payload: hex(payload) });
const control = (opcode: 'close' | 'ping' | 'pong', payload: string | Buffer) => ({ type: 'control', opcode, payload: hex(payload) });

describe('WebSocketFrameReader', () => {
  test('unmasked and masked frames, 7-bit lengths, split at every offset', () => {
    const bytes = Buffer.concat([
      encodeFrame({ opcode: OPCODE.binary, payload: '\x01hello' }),
      encodeFrame({ opcode: OPCODE.binary, payload: '\x00typed', mask: TEST_MASK }),
      encodeFrame({ opcode: OPCODE.text, payload: '', mask: TEST_MASK }),
      encodeFrame({ opcode: OPCODE.text, payload: '1aGk=' }),
    ]);
    assertEverySplit(bytes, [data('binary', '\x01hello'), data('binary', '\x00typed'), data('text', ''), data('text', '1aGk=')]);
  });

  test('16-bit and 64-bit lengths (also for short payloads), masked or not, split at every offset', () => {
    const medium = Buffer.alloc(300, 0x61);
    medium[0] = 1;
    const bytes = Buffer.concat([
      encodeFrame({ opcode: OPCODE.binary, payload: medium }),
      encodeFrame({ opcode: OPCODE.binary, payload: medium, mask: TEST_MASK }),
      encodeFrame({ opcode: OPCODE.binary, payload: '\x02err', lengthBits: 64 }),
      encodeFrame({ opcode: OPCODE.binary, payload: '\x00in', lengthBits: 64, mask: TEST_MASK }),
      encodeFrame({ opcode: OPCODE.binary, payload: '\x01x', lengthBits: 16, mask: TEST_MASK }),
    ]);
    assertEverySplit(bytes, [
      data('binary', medium),
      data('binary', medium),
      data('binary', '\x02err'),
      data('binary', '\x00in'),
      data('binary', '\x01x'),
    ]);
  });

  test('a 64-bit length of a real 70,000-byte message, masked, split around the header and inside the payload', () => {
    const big = Buffer.alloc(70_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const bytes = encodeFrame({ opcode: OPCODE.binary, payload: big, mask: TEST_MASK });
    assert.equal(bytes[1], 0x80 | 127);
    for (const at of [0, 1, 2, 5, 9, 10, 13, 14, 15, 1000, 65_536, bytes.length - 1, bytes.length]) {
      assert.deepEqual(readAll([bytes.subarray(0, at), bytes.subarray(at)]).messages, [data('binary', big)], `split at ${at}`);
    }
    const inParts = [];
    for (let at = 0; at < bytes.length; at += 997) inParts.push(bytes.subarray(at, at + 997));
    assert.deepEqual(readAll(inParts).messages, [data('binary', big)]);
  });

  test('fragments are joined; ping, pong and close between them come out as they pass', () => {
    const bytes = Buffer.concat([
      encodeFrame({ opcode: OPCODE.binary, payload: '\x01he', fin: false, mask: TEST_MASK }),
      encodeFrame({ opcode: OPCODE.ping, payload: 'p1', mask: TEST_MASK }),
      encodeFrame({ opcode: OPCODE.continuation, payload: 'll', fin: false, mask: Buffer.from([1, 2, 3, 4]) }),
      encodeFrame({ opcode: OPCODE.pong, payload: '' }),
      encodeFrame({ opcode: OPCODE.continuation, payload: 'o', fin: true }),
      encodeFrame({ opcode: OPCODE.text, payload: 'ab', fin: false }),
      encodeFrame({ opcode: OPCODE.continuation, payload: '', fin: false }),
      encodeFrame({ opcode: OPCODE.continuation, payload: 'c', fin: true }),
      encodeFrame({ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]) }),
    ]);
    assertEverySplit(bytes, [
      control('ping', 'p1'),
      control('pong', ''),
      data('binary', '\x01hello'),
      data('text', 'abc'),
      control('close', Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65])),
    ]);
  });

  test('a message over the bound is skipped: its size and first bytes, nothing held; the next one reads normally', () => {
    const big = Buffer.alloc(5000, 0x7a);
    big[0] = 1;
    const bytes = Buffer.concat([
      encodeFrame({ opcode: OPCODE.binary, payload: big, mask: TEST_MASK }),
      // Over the bound only with its second fragment: the first one's bytes are dropped then.
      encodeFrame({ opcode: OPCODE.binary, payload: '\x02abcdefgh', fin: false }),
      encodeFrame({ opcode: OPCODE.ping, payload: '' }),
      encodeFrame({ opcode: OPCODE.continuation, payload: Buffer.alloc(100, 0x41), fin: true }),
      encodeFrame({ opcode: OPCODE.binary, payload: '\x01after' }),
    ]);
    assertEverySplit(
      bytes,
      [
        { type: 'oversized', opcode: 'binary', size: 5000, head: hex(big.subarray(0, 4)) },
        control('ping', ''),
        { type: 'oversized', opcode: 'binary', size: 109, head: hex('\x02abc') },
        data('binary', '\x01after'),
      ],
      64,
    );
  });

  test('a message exactly at the bound is kept', () => {
    const payload = Buffer.alloc(64, 0x42);
    assert.deepEqual(readAll([encodeFrame({ opcode: OPCODE.binary, payload })], 64).messages, [data('binary', payload)]);
  });

  describe('frames RFC 6455 does not allow stop decoding for good, counted, never thrown', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['RSV1 (permessage-deflate)', encodeFrame({ opcode: OPCODE.binary, payload: '\x01x', rsv: 0x40 }), /RSV bits/],
      ['a reserved opcode', encodeFrame({ opcode: 0x3, payload: 'x' }), /reserved opcode 0x3/],
      ['a fragmented ping', encodeFrame({ opcode: OPCODE.ping, payload: 'x', fin: false }), /fragmented ping/],
      ['a close of 126 bytes', encodeFrame({ opcode: OPCODE.close, payload: Buffer.alloc(126) }), /close frame of 126 bytes/],
      ['a continuation of nothing', encodeFrame({ opcode: OPCODE.continuation, payload: 'x' }), /continuation frame with no message/],
      [
        'a new message inside a fragmented one',
        Buffer.concat([
          encodeFrame({ opcode: OPCODE.binary, payload: '\x01a', fin: false }),
          encodeFrame({ opcode: OPCODE.text, payload: 'b' }),
        ]),
        /new text message before/,
      ],
      ['a length with the top bit set', Buffer.from([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1, 1]), /most significant bit/],
    ];
    for (const [name, bad, reason] of cases) {
      test(name, () => {
        const good = encodeFrame({ opcode: OPCODE.binary, payload: '\x01ok' });
        const after = encodeFrame({ opcode: OPCODE.binary, payload: '\x01lost' });
        const { messages, reader } = readAll([good, bad, after]);
        assert.deepEqual(messages, [data('binary', '\x01ok')]);
        assert.match(reader.stopped ?? '', reason);
        // The bytes from the frame it stopped on: the first fragment before a bad frame was read (4 bytes).
        const decodedOfBad = name === 'a new message inside a fragmented one' ? 4 : 0;
        assert.equal(reader.undecodedBytes, bad.length - decodedOfBad + after.length);
      });
    }
  });
});
