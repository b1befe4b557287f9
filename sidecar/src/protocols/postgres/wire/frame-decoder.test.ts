import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { ProtocolError } from './errors.ts';
import { type Frame, FrameDecoder } from './frame-decoder.ts';
import { cstr, i32, startupMessage, typed, untyped } from './testing/wire.ts';

const session = Buffer.concat([
  startupMessage({ user: 'agent', database: 'orders' }),
  typed('Q', cstr('SELECT 1')),
  typed('P', cstr('s1'), cstr('SELECT $1'), Buffer.from([0, 0])),
  typed('S'),
  typed('X'),
]);

/** Decodes `input` delivered as the given chunks; the session turns typed after the startup frame. */
function decodeChunks(chunks: Buffer[], options: { untyped?: boolean; maxFrameBytes?: number } = { untyped: true }): Frame[] {
  const decoder = new FrameDecoder(options);
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    for (const frame of decoder.push(chunk)) {
      frames.push(frame);
      if (frame.code === 0) {
        decoder.expectTyped();
        frames.push(...decoder.drain());
      }
    }
  }
  assert.equal(decoder.buffered, 0, 'nothing left over');
  return frames;
}

const summary = (frames: Frame[]) => frames.map((f) => `${f.code}:${f.raw.toString('hex')}`);

describe('FrameDecoder', () => {
  const whole = summary(decodeChunks([session]));

  test('decodes a session in one chunk', () => {
    assert.deepEqual(
      decodeChunks([session]).map((f) => (f.code ? String.fromCharCode(f.code) : 'startup')),
      ['startup', 'Q', 'P', 'S', 'X'],
    );
    assert.deepEqual(Buffer.concat(decodeChunks([session]).map((f) => f.raw)), session);
  });

  test('gives the same frames when the stream is split at every offset', () => {
    for (let at = 0; at <= session.length; at++) {
      assert.deepEqual(summary(decodeChunks([session.subarray(0, at), session.subarray(at)])), whole, `split at ${at}`);
    }
  });

  test('gives the same frames byte by byte', () => {
    const bytes = [...session].map((b) => Buffer.from([b]));
    assert.deepEqual(summary(decodeChunks(bytes)), whole);
  });

  test('frames inside a chunk are views, not copies', () => {
    const chunk = Buffer.concat([typed('Q', cstr('SELECT 1')), typed('S')]);
    const [first] = new FrameDecoder().push(chunk);
    assert.equal(first?.raw.buffer, chunk.buffer);
  });

  test('any typed frames, cut into any chunks, come out unchanged (property)', () => {
    const frameArb = fc.record({
      code: fc.integer({ min: 0x21, max: 0x7e }),
      payload: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat({ max: 400 }), { maxLength: 20 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => typed(String.fromCharCode(f.code), Buffer.from(f.payload))));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(stream.subarray(last, p));
          last = p;
        }
        chunks.push(stream.subarray(last));
        const out = decodeChunks(chunks, {});
        assert.equal(out.length, frames.length);
        out.forEach((f, i) => {
          assert.equal(f.code, frames[i]!.code);
          assert.deepEqual(new Uint8Array(f.payload), frames[i]!.payload);
        });
      }),
    );
  });

  test('a length below the header size is refused', () => {
    assert.throws(
      () => new FrameDecoder().push(Buffer.concat([Buffer.from('Q'), i32(3)])),
      (e: ProtocolError) => e.code === 'FrameLengthInvalid',
    );
    assert.throws(
      () => new FrameDecoder({ untyped: true }).push(i32(7)),
      (e: ProtocolError) => e.code === 'FrameLengthInvalid',
    );
  });

  test('a frame over the cap is refused from its header, before anything is buffered', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    assert.throws(
      () => decoder.push(Buffer.concat([Buffer.from('Q'), i32(1025)])),
      (e: ProtocolError) => e.code === 'FrameTooLarge' && /1025 bytes exceeds the limit of 1024/.test(e.message),
    );
    assert.equal(decoder.buffered, 0);
  });

  test('a small startup cap can be raised for the frames after the startup', () => {
    const decoder = new FrameDecoder({ untyped: true, maxFrameBytes: 100 });
    const query = typed('Q', cstr('x'.repeat(500)));
    assert.equal(decoder.push(Buffer.concat([startupMessage({ user: 'a' }), query])).length, 1);
    decoder.setMaxFrameBytes(1024);
    decoder.expectTyped();
    assert.deepEqual(
      decoder.drain().map((f) => f.raw),
      [query],
    );
  });

  test('a 4 MiB frame in 1 KiB chunks is copied a bounded number of times (linear, not quadratic)', () => {
    const payload = Buffer.alloc(4 * 1024 * 1024 - 5, 0x61);
    const frame = typed('Q', payload);
    const decoder = new FrameDecoder({ maxFrameBytes: 8 * 1024 * 1024 });
    const out: Frame[] = [];
    for (let at = 0; at < frame.length; at += 1024) out.push(...decoder.push(frame.subarray(at, at + 1024)));
    assert.equal(out.length, 1);
    assert.ok(out[0]!.raw.equals(frame));
    // Each byte is appended once; regrowth (doubling) copies at most twice as much again in total.
    assert.ok(decoder.copiedBytes <= 3 * frame.length, `copied ${decoder.copiedBytes} bytes for a ${frame.length}-byte frame`);
    assert.equal(decoder.buffered, 0);
  });

  test('a frame of any size in small chunks costs at most three copies of it', () => {
    for (const size of [10, 1000, 3000, 70_000, 300_001]) {
      const frame = typed('Q', Buffer.alloc(size, 0x62));
      const decoder = new FrameDecoder();
      const out: Frame[] = [];
      for (let at = 0; at < frame.length; at += 7) out.push(...decoder.push(frame.subarray(at, at + 7)));
      assert.ok(out[0]!.raw.equals(frame));
      assert.ok(decoder.copiedBytes <= 3 * frame.length, `size ${size}: copied ${decoder.copiedBytes}`);
    }
  });

  test('frames returned earlier are not overwritten by later chunks', () => {
    const a = typed('Q', cstr('SELECT 1'));
    const b = typed('Q', cstr('SELECT 2'));
    const c = typed('Q', cstr('SELECT 3'));
    const stream = Buffer.concat([a, b, c]);
    for (let cut1 = 1; cut1 < stream.length; cut1++) {
      for (let cut2 = cut1; cut2 < stream.length; cut2++) {
        const decoder = new FrameDecoder();
        const kept: Frame[] = [];
        for (const chunk of [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]) {
          kept.push(...decoder.push(Buffer.from(chunk)));
        }
        assert.deepEqual(
          kept.map((f) => f.raw.toString('hex')),
          [a, b, c].map((f) => f.toString('hex')),
          `cuts at ${cut1}, ${cut2}`,
        );
      }
    }
  });

  test('bytes sent while stalled are kept with linear copying', () => {
    const decoder = new FrameDecoder({ untyped: true });
    const query = typed('Q', cstr('x'.repeat(100_000)));
    const stream = Buffer.concat([startupMessage({ user: 'a' }), query]);
    const frames: Frame[] = [];
    for (let at = 0; at < stream.length; at += 100) frames.push(...decoder.push(stream.subarray(at, at + 100)));
    assert.equal(frames.length, 1);
    decoder.expectTyped();
    assert.deepEqual(
      decoder.drain().map((f) => f.raw),
      [query],
    );
    assert.ok(decoder.copiedBytes <= 3 * stream.length, `copied ${decoder.copiedBytes}`);
  });

  test('stops after a startup-phase frame until the session decides what comes next', () => {
    const ssl = untyped(i32(80877103));
    const decoder = new FrameDecoder({ untyped: true });
    const frames = decoder.push(Buffer.concat([ssl, startupMessage({ user: 'a' })]));
    assert.equal(frames.length, 1);
    // Bytes after SSLRequest in the same read are what CVE-2021-23214 was about: the session sees them.
    assert.ok(decoder.buffered > 0);
    decoder.expectUntyped();
    const next = decoder.drain();
    assert.equal(next.length, 1);
    assert.equal(next[0]?.code, 0);
  });
});
