/** Approval metrics: how many wait now, and how long humans took to decide. */
import type { ApprovalRequest } from '@airlock/crds';
import { Gauge, Histogram, type Registry } from 'prom-client';

export interface ApprovalMetrics {
  /** Records how long a request waited for its decision. */
  decided(request: ApprovalRequest, outcome: 'Approved' | 'Denied' | 'Expired', decidedAt: Date): void;
}

/** `pending` is read at scrape time, so the gauge is always the informer's truth, never a drifting counter. */
export function createApprovalMetrics(registry: Registry, pending: () => readonly ApprovalRequest[]): ApprovalMetrics {
  new Gauge({
    name: 'airlock_operator_pending_approvals',
    help: 'ApprovalRequests waiting for reviewers, by namespace.',
    labelNames: ['namespace'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const request of pending()) {
        const ns = request.metadata.namespace ?? '';
        counts.set(ns, (counts.get(ns) ?? 0) + 1);
      }
      for (const [namespace, count] of counts) this.set({ namespace }, count);
    },
  });
  const decision = new Histogram({
    name: 'airlock_operator_approval_decision_seconds',
    help: 'Time from an ApprovalRequest being created to its decision, by outcome.',
    labelNames: ['outcome'],
    // Humans decide: seconds to hours.
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600],
    registers: [registry],
  });
  return {
    decided(request, outcome, decidedAt) {
      const created = Date.parse(request.metadata.creationTimestamp ?? '');
      if (Number.isFinite(created)) decision.observe({ outcome }, Math.max(0, (decidedAt.getTime() - created) / 1000));
    },
  };
}
