import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type OutputBatch, OutputBatcher } from './output-batcher.ts';

const shown = (batches: readonly OutputBatch[]) => batches.map((b) => [b.stream, b.atMs, b.bytes.toString()]);

test('chunks of one stream within the delay become one event, at the first chunk’s time', () => {
  const batcher = new OutputBatcher({ maxEventBytes: 1024, maxDelayMs: 50 });
  for (const [i, ch] of [...'hello'].entries()) assert.deepEqual(batcher.push('stdout', Buffer.from(ch), 10 + i), []);
  assert.equal(batcher.deadlineMs, 60);
  assert.deepEqual(shown(batcher.flush()), [['stdout', 10, 'hello']]);
  assert.equal(batcher.deadlineMs, undefined);
  assert.deepEqual(batcher.flush(), []);
});

test('a chunk after the delay closes the batch before it; a byte-a-millisecond stream makes one event per delay', () => {
  const batcher = new OutputBatcher({ maxEventBytes: 1024, maxDelayMs: 50 });
  const done: OutputBatch[] = [];
  for (let ms = 0; ms < 200; ms++) done.push(...batcher.push('stdout', Buffer.from('x'), ms));
  done.push(...batcher.flush());
  assert.deepEqual(
    done.map((b) => [b.atMs, b.bytes.length]),
    [
      [0, 50],
      [50, 50],
      [100, 50],
      [150, 50],
    ],
  );
});

test('another stream closes the open batch, so stdout and stderr keep their interleaving', () => {
  const batcher = new OutputBatcher({ maxEventBytes: 1024, maxDelayMs: 50 });
  const done = [
    ...batcher.push('stdout', Buffer.from('a'), 0),
    ...batcher.push('stdout', Buffer.from('b'), 1),
    ...batcher.push('stderr', Buffer.from('E'), 2),
    ...batcher.push('stdout', Buffer.from('c'), 3),
    ...batcher.push('stdin', Buffer.from('k'), 4),
    ...batcher.flush(),
  ];
  assert.deepEqual(shown(done), [
    ['stdout', 0, 'ab'],
    ['stderr', 2, 'E'],
    ['stdout', 3, 'c'],
    ['stdin', 4, 'k'],
  ]);
});

test('an event holds at most maxEventBytes: a large chunk is split, a batch that fills up goes at once', () => {
  const batcher = new OutputBatcher({ maxEventBytes: 4, maxDelayMs: 50 });
  assert.deepEqual(shown(batcher.push('stdout', Buffer.from('ab'), 0)), []);
  assert.deepEqual(shown(batcher.push('stdout', Buffer.from('cdefghijk'), 5)), [
    ['stdout', 0, 'abcd'],
    ['stdout', 5, 'efgh'],
  ]);
  assert.deepEqual(shown(batcher.flush()), [['stdout', 5, 'ijk']]);
});

test('property: the events hold exactly the bytes of each stream in order, none larger than the bound', () => {
  const chunk = fc.record({
    stream: fc.constantFrom('stdin' as const, 'stdout' as const, 'stderr' as const),
    bytes: fc.uint8Array({ minLength: 0, maxLength: 40 }),
    gap: fc.integer({ min: 0, max: 30 }),
  });
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 60 }), fc.integer({ min: 1, max: 16 }), (chunks, max) => {
      const batcher = new OutputBatcher({ maxEventBytes: max, maxDelayMs: 20 });
      const done: OutputBatch[] = [];
      let ms = 0;
      for (const c of chunks) {
        ms += c.gap;
        done.push(...batcher.push(c.stream, Buffer.from(c.bytes), ms));
      }
      done.push(...batcher.flush());
      for (const stream of ['stdin', 'stdout', 'stderr'] as const) {
        const sent = Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => Buffer.from(c.bytes)));
        const recorded = Buffer.concat(done.filter((b) => b.stream === stream).map((b) => b.bytes));
        assert.ok(recorded.equals(sent), stream);
      }
      assert.ok(done.every((b) => b.bytes.length > 0 && b.bytes.length <= max));
      assert.ok(
        done.every((b, i) => i === 0 || b.atMs >= done[i - 1]!.atMs),
        'times never go back',
      );
    }),
  );
});
