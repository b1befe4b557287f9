import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { byteEndOf, byteStartOf, charBoundaryAtOrBefore, decodeUtf8WithOffsets, offsetsOfWellFormed } from './utf8-offsets.ts';

describe('decodeUtf8WithOffsets', () => {
  test('decodes well-formed UTF-8 as Node does, and maps every character back to its bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const bytes = Buffer.from(text, 'utf8');
        const decoded = decodeUtf8WithOffsets(bytes, 0, bytes.length);
        assert.equal(decoded.text, text);
        for (let i = 0; i <= text.length; i++) {
          const start = byteStartOf(decoded, i);
          const end = byteEndOf(decoded, i);
          // A span boundary inside a surrogate pair widens to the whole character.
          const before = Buffer.byteLength(text.slice(0, i));
          const isLow = i > 0 && i < text.length && /[\uDC00-\uDFFF]/.test(text[i]!);
          assert.equal(start, isLow ? Buffer.byteLength(text.slice(0, i - 1)) : before);
          assert.equal(end, isLow ? Buffer.byteLength(text.slice(0, i + 1)) : before);
        }
      }),
    );
  });

  test('each byte that begins no well-formed sequence is one U+FFFD, so its neighbours keep their offsets', () => {
    // Invalid lead, ASCII, a truncated 3-byte sequence, an overlong 2-byte form, a surrogate.
    const bytes = Buffer.from([0xff, 0x41, 0xe2, 0x82, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x42]);
    const decoded = decodeUtf8WithOffsets(bytes, 0, bytes.length);
    assert.equal(decoded.text, '\uFFFDA\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDB');
    assert.deepEqual([...decoded.offsets], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('keeps a leading U+FEFF: it is text, not a byte-order mark to drop', () => {
    const decoded = decodeUtf8WithOffsets(Buffer.from([0xef, 0xbb, 0xbf, 0x41, 0xff]), 0, 5);
    assert.equal(decoded.text, '\uFEFFA\uFFFD');
    assert.deepEqual([...decoded.offsets], [0, 3, 4, 5]);
  });

  test('offsetsOfWellFormed gives the same offsets from the decoded text alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const bytes = Buffer.from(text, 'utf8');
        assert.deepEqual([...offsetsOfWellFormed(text).offsets], [...decodeUtf8WithOffsets(bytes, 0, bytes.length).offsets]);
      }),
    );
  });

  test('decodes a range of a larger buffer with offsets from the range start', () => {
    const bytes = Buffer.from('xxé€😀', 'utf8');
    const decoded = decodeUtf8WithOffsets(bytes, 2, bytes.length);
    assert.equal(decoded.text, 'é€😀');
    assert.deepEqual([...decoded.offsets], [0, 2, 5, 5, 9]);
  });
});

describe('charBoundaryAtOrBefore', () => {
  const bytes = Buffer.from('a€b', 'utf8'); // 61 e2 82 ac 62
  test('backs off to the start of a character cut off at `pos`', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((pos) => charBoundaryAtOrBefore(bytes, pos)),
      [0, 1, 1, 1, 4, 5],
    );
  });

  test('holds a lead byte whose continuation bytes have not arrived', () => {
    assert.equal(charBoundaryAtOrBefore(Buffer.from([0x61, 0xf0, 0x9f]), 3), 1);
  });

  test('cuts stray continuation bytes anywhere: they are no character', () => {
    assert.equal(charBoundaryAtOrBefore(Buffer.from([0x80, 0x80, 0x80, 0x80]), 4), 4);
  });
});
