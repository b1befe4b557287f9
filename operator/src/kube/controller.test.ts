import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Controller, type ReconcileFunction, TerminalReconcileError } from './controller.ts';
import { createControllerMetrics } from './controller-metrics.ts';

const logger = pino({ level: 'silent' });
const fastBackoff = { baseMs: 5, maxMs: 50 };

/** Resolves when `check` holds, polling; fails the test after a generous wait. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Controller', () => {
  test('a reconcile that fails is retried with backoff until it succeeds, then forgotten', async () => {
    const calls: string[] = [];
    const reconcile: ReconcileFunction = async (key) => {
      calls.push(key);
      if (calls.length <= 2) throw new Error('transient');
    };
    const registry = new Registry();
    const controller = new Controller({
      name: 'retry',
      reconcile,
      logger,
      metrics: createControllerMetrics(registry),
      backoff: fastBackoff,
    });
    controller.start();
    try {
      controller.enqueue('ns/a');
      await eventually(() => calls.length === 3, 'third attempt');
      const metrics = await registry.getMetricsAsJSON();
      const reconciles = metrics.find((m) => m.name === 'airlock_operator_reconciles_total');
      const count = (result: string) => reconciles?.values.find((v) => v.labels.result === result)?.value;
      assert.equal(count('error'), 2);
      assert.equal(count('success'), 1);
      assert.deepEqual(calls, ['ns/a', 'ns/a', 'ns/a']);
    } finally {
      await controller.stop();
    }
  });

  test('requeueAfterMs runs the key again later and counts as requeue', async () => {
    let calls = 0;
    const registry = new Registry();
    const controller = new Controller({
      name: 'requeue',
      logger,
      metrics: createControllerMetrics(registry),
      reconcile: async () => (++calls === 1 ? { requeueAfterMs: 20 } : undefined),
    });
    controller.start();
    try {
      controller.enqueue('k');
      await eventually(() => calls === 2, 'second pass');
      const text = await registry.metrics();
      assert.match(text, /airlock_operator_reconciles_total\{controller="requeue",result="requeue"\} 1/);
      assert.match(text, /airlock_operator_reconcile_duration_seconds_count\{controller="requeue"\} 2/);
    } finally {
      await controller.stop();
    }
  });

  test('the same key is never reconciled by two workers at once, other keys run in parallel', async () => {
    const active = new Map<string, number>();
    let maxSameKey = 0;
    let maxParallel = 0;
    let running = 0;
    let calls = 0;
    const controller = new Controller({
      name: 'exclusive',
      workers: 4,
      logger,
      reconcile: async (key) => {
        calls++;
        active.set(key, (active.get(key) ?? 0) + 1);
        running++;
        maxSameKey = Math.max(maxSameKey, active.get(key) ?? 0);
        maxParallel = Math.max(maxParallel, running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        active.set(key, (active.get(key) ?? 1) - 1);
      },
    });
    controller.start();
    try {
      for (let round = 0; round < 5; round++) {
        for (const key of ['a', 'b', 'c', 'd']) controller.enqueue(key);
        await new Promise((resolve) => setTimeout(resolve, 3)); // adds land while the keys are processing
      }
      await eventually(() => running === 0 && controller.queueLength === 0 && calls >= 8, 'queue drained');
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(maxSameKey, 1, 'one worker per key');
      assert.ok(maxParallel > 1, 'different keys ran in parallel');
    } finally {
      await controller.stop();
    }
  });

  test('keys enqueued before start() wait for the workers', async () => {
    const seen: string[] = [];
    const controller = new Controller({ name: 'early', logger, reconcile: async (key) => void seen.push(key) });
    controller.enqueue('x');
    controller.enqueueAfter('y', 10);
    controller.start();
    try {
      await eventually(() => seen.length === 2, 'both keys');
      assert.deepEqual(seen, ['x', 'y']);
    } finally {
      await controller.stop();
    }
  });

  test('a terminal error is not retried', async () => {
    let calls = 0;
    const controller = new Controller({
      name: 'terminal',
      logger,
      backoff: fastBackoff,
      reconcile: async () => {
        calls++;
        throw new TerminalReconcileError('spec.endpoint is not a URL');
      },
    });
    controller.start();
    try {
      controller.enqueue('k');
      await eventually(() => calls === 1, 'first attempt');
      await new Promise((resolve) => setTimeout(resolve, 100)); // several backoff periods
      assert.equal(calls, 1);
    } finally {
      await controller.stop();
    }
  });

  test('stop() aborts the signal, waits for the in-flight reconcile and starts no new one', async () => {
    let finished = false;
    let started = 0;
    let release: () => void = () => {};
    const controller = new Controller({
      name: 'drain',
      logger,
      reconcile: async (_key, signal) => {
        started++;
        await new Promise<void>((resolve) => {
          release = resolve;
          signal.addEventListener('abort', () => setTimeout(resolve, 20), { once: true });
        });
        finished = true;
      },
    });
    controller.start();
    controller.enqueue('a');
    controller.enqueue('b');
    await eventually(() => started === 1, 'first reconcile running');
    await controller.stop();
    assert.equal(finished, true, 'stop waited for the in-flight reconcile');
    assert.equal(started, 1, 'queued keys are not started after stop');
    release();
    await controller.stop(); // idempotent
  });

  test('start twice is refused', async () => {
    const controller = new Controller({ name: 'twice', logger, reconcile: async () => {} });
    controller.start();
    try {
      assert.throws(() => controller.start(), { code: 'ControllerAlreadyStarted' });
    } finally {
      await controller.stop();
    }
  });

  test('the queue depth gauge reads the queue at scrape time', async () => {
    const registry = new Registry();
    const controller = new Controller({ name: 'depth', logger, metrics: createControllerMetrics(registry), reconcile: async () => {} });
    controller.enqueue('a');
    controller.enqueue('b');
    assert.match(await registry.metrics(), /airlock_operator_workqueue_depth\{controller="depth"\} 2/);
    controller.start();
    await eventually(() => controller.queueLength === 0, 'drained');
    assert.match(await registry.metrics(), /airlock_operator_workqueue_depth\{controller="depth"\} 0/);
    await controller.stop();
    assert.doesNotMatch(await registry.metrics(), /workqueue_depth\{controller="depth"\}/, 'a stopped controller is no longer reported');
  });
});
