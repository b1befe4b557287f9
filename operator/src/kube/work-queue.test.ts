import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, WorkQueue } from './work-queue.ts';

/** Resolves with the key get() hands out, or 'nothing' if it is still waiting after the timers ran. */
async function poll(queue: WorkQueue, waitMs = 0): Promise<string | undefined | 'nothing'> {
  const winner = await Promise.race([queue.get(), new Promise<'nothing'>((resolve) => setTimeout(() => resolve('nothing'), waitMs))]);
  return winner;
}

describe('WorkQueue', () => {
  test('a key added several times before it is taken is handed out once', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    assert.equal(queue.length, 2);
    assert.equal(await queue.get(), 'ns/a');
    assert.equal(await queue.get(), 'ns/b');
    assert.equal(queue.length, 0);
    queue.shutDown();
  });

  test('a key added while a worker holds it is not handed to a second worker, and comes back after done()', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    const key = await queue.get();
    assert.equal(key, 'ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    assert.equal(queue.length, 0, 'not queued while processing');
    const waiting = queue.get();
    queue.add('ns/b');
    assert.equal(await waiting, 'ns/b', 'other keys are not blocked');
    queue.done('ns/a');
    assert.equal(queue.length, 1, 'queued again, once');
    assert.equal(await queue.get(), 'ns/a');
    queue.done('ns/a');
    queue.done('ns/b');
    assert.equal(queue.length, 0, 'done without a re-add does not queue');
    queue.shutDown();
  });

  test('a waiting get() receives a key added later', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.add('x');
    assert.equal(await waiting, 'x');
    queue.shutDown();
  });

  test('addAfter holds the key until its time, and the earliest pending time wins', async () => {
    const queue = new WorkQueue();
    queue.addAfter('late-then-early', 60_000);
    queue.addAfter('late-then-early', 20);
    queue.addAfter('early-then-late', 20);
    queue.addAfter('early-then-late', 60_000);
    assert.equal(queue.length, 0, 'nothing is ready yet');
    const got = new Set([await queue.get(), await queue.get()]);
    assert.deepEqual(got, new Set(['late-then-early', 'early-then-late']));
    queue.done('late-then-early');
    queue.done('early-then-late');
    // The 60 s timers were dropped in favour of the 20 ms ones, so nothing else arrives.
    assert.equal(await poll(queue, 100), 'nothing');
    queue.shutDown();
  });

  test('addAfter with zero delay adds at once', async () => {
    const queue = new WorkQueue();
    queue.addAfter('k', 0);
    assert.equal(queue.length, 1);
    queue.shutDown();
  });

  test('addRateLimited doubles the delay per failure up to the cap, and forget() starts over', async () => {
    const queue = new WorkQueue({ backoff: { baseMs: 100, maxMs: 60_000 } });
    const delays = Array.from({ length: 12 }, () => queue.addRateLimited('k'));
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]);
    assert.equal(queue.numRequeues('k'), 12);
    assert.equal(queue.addRateLimited('other'), 100, 'backoff is per key');
    queue.forget('k');
    assert.equal(queue.numRequeues('k'), 0);
    assert.equal(queue.addRateLimited('k'), 100);
    queue.shutDown();
  });

  test('a rate-limited key does come back', async () => {
    const queue = new WorkQueue({ backoff: { baseMs: 5, maxMs: 50 } });
    queue.add('k');
    assert.equal(await queue.get(), 'k');
    queue.addRateLimited('k'); // a worker fails, requeues, then says done
    queue.done('k');
    assert.equal(await queue.get(), 'k');
    queue.shutDown();
  });

  test('backoffDelay stays capped for absurd failure counts', () => {
    assert.equal(backoffDelay({ baseMs: 100, maxMs: 60_000 }, 5000), 60_000);
  });

  test('shutDown wakes waiting workers with undefined, cancels timers and ignores later adds', async () => {
    const queue = new WorkQueue();
    const waiting = [queue.get(), queue.get()];
    queue.addAfter('timer', 60_000); // would keep the test process alive if not cancelled
    queue.shutDown();
    assert.deepEqual(await Promise.all(waiting), [undefined, undefined]);
    queue.add('late');
    queue.addRateLimited('late');
    assert.equal(queue.length, 0);
    assert.equal(await queue.get(), undefined);
    assert.equal(queue.shuttingDown, true);
  });

  test('keys come out in the order they were first added', async () => {
    const queue = new WorkQueue();
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`);
    for (const key of keys) queue.add(key);
    const out: string[] = [];
    for (let i = 0; i < keys.length; i++) out.push((await queue.get()) as string);
    assert.deepEqual(out, keys);
    queue.shutDown();
  });
});
