import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, cappedDelay, DEFAULT_BACKOFF, pause } from './backoff.ts';

describe('cappedDelay', () => {
  test('doubles from initialMs per attempt; attempts 0 and 1 both wait initialMs', () => {
    const backoff = { initialMs: 100, maxMs: 60_000 };
    assert.deepEqual(
      Array.from({ length: 13 }, (_, attempt) => cappedDelay(backoff, attempt)),
      [100, 100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000],
    );
  });

  test('the cap is exact, also when it is not a power of two of initialMs', () => {
    const backoff = { initialMs: 500, maxMs: 30_000 };
    assert.deepEqual(
      [6, 7, 8, 9].map((attempt) => cappedDelay(backoff, attempt)),
      [16_000, 30_000, 30_000, 30_000],
    );
  });

  test('stays capped (and a number) for absurd attempt counts', () => {
    assert.equal(cappedDelay({ initialMs: 100, maxMs: 60_000 }, 5000), 60_000);
    assert.equal(cappedDelay({ initialMs: 100, maxMs: 60_000 }, Number.MAX_SAFE_INTEGER), 60_000);
    assert.equal(cappedDelay({ initialMs: 0, maxMs: 60_000 }, 5000), 0);
  });

  test('negative attempts count as the first', () => {
    assert.equal(cappedDelay(DEFAULT_BACKOFF, -3), DEFAULT_BACKOFF.initialMs);
  });
});

describe('backoffDelay', () => {
  test('jitter keeps each delay between half and all of cappedDelay', () => {
    const backoff = { initialMs: 200, maxMs: 5000 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const exact = cappedDelay(backoff, attempt);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(backoff, attempt);
        assert.ok(delay >= Math.round(exact / 2) && delay <= exact, `attempt ${attempt}: ${delay} outside [${exact / 2}, ${exact}]`);
        assert.ok(Number.isInteger(delay));
      }
    }
  });

  test('the jittered delay never passes the cap', () => {
    for (let i = 0; i < 200; i++) assert.ok(backoffDelay(DEFAULT_BACKOFF, 1000) <= DEFAULT_BACKOFF.maxMs);
  });

  test('jitter spreads the delays (not all the same)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay({ initialMs: 10_000, maxMs: 10_000 }, 1)));
    assert.ok(delays.size > 1);
  });
});

describe('pause', () => {
  test('resolves after the time', async () => {
    const started = performance.now();
    await pause(30);
    assert.ok(performance.now() - started >= 25);
  });

  test('resolves at once when the signal aborts while it waits', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = pause(60_000, controller.signal); // would keep the test process alive if not cleared
    setTimeout(() => controller.abort(), 10);
    await waiting;
    assert.ok(performance.now() - started < 5_000);
  });

  test('resolves at once for an already-aborted signal', async () => {
    const started = performance.now();
    await pause(60_000, AbortSignal.abort());
    assert.ok(performance.now() - started < 1_000);
  });

  test('removes its abort listener when the time is up', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    }) as typeof remove;
    await pause(5, signal);
    assert.equal(added, 1);
    assert.equal(removed, 1);
  });
});
