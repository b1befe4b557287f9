/**
 * Metrics every controller reports, one set per registry shared by all controllers (the
 * `controller` label tells them apart): how reconciles end, how long they take, and how many
 * keys wait. The queue depth is read at scrape time, so it cannot drift from the queue.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ReconcileResult = 'success' | 'error' | 'requeue';

export interface ControllerMetrics {
  /** One finished reconcile of `controller`, how it ended and how long it took. */
  reconciled(controller: string, result: ReconcileResult, seconds: number): void;
  /** Reports `depth()` as the controller's queue depth until the returned function is called. */
  trackQueue(controller: string, depth: () => number): () => void;
}

/** Registers the metrics on `registry`; call once per registry and hand the result to every controller. */
export function createControllerMetrics(registry: Registry): ControllerMetrics {
  const reconciles = new Counter({
    name: 'airlock_operator_reconciles_total',
    help: 'Reconciles by controller and result: success, error (retried with backoff), requeue (success, asked to run again later).',
    labelNames: ['controller', 'result'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'airlock_operator_reconcile_duration_seconds',
    help: 'Time one reconcile took, by controller.',
    labelNames: ['controller'],
    // Cache reads are sub-millisecond; API writes take milliseconds to seconds.
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const queues = new Map<string, () => number>();
  new Gauge({
    name: 'airlock_operator_workqueue_depth',
    help: 'Keys waiting for a worker, by controller.',
    labelNames: ['controller'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [controller, depth] of queues) this.set({ controller }, depth());
    },
  });
  return {
    reconciled(controller, result, seconds) {
      reconciles.inc({ controller, result });
      duration.observe({ controller }, seconds);
    },
    trackQueue(controller, depth) {
      queues.set(controller, depth);
      return () => {
        if (queues.get(controller) === depth) queues.delete(controller);
      };
    },
  };
}
