/**
 * Reconciles ApprovalRequests: tallies reviews into a phase (approval-tally.ts), writes status
 * once per pass, records Events for transitions, expires requests at their deadline (the work
 * queue's timer, not a poll loop) and deletes finished ones after the retention.
 */
import type { ApprovalRequest, ApprovalRequestStatus } from '@airlock/crds';
import { isNotFound, type KubeClient, objectPath } from '../kube/client.ts';
import { setCondition } from '../kube/conditions.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { writeStatusIfChanged } from '../kube/status-writer.ts';
import type { ApprovalMetrics } from '../observability/approval-metrics.ts';
import { garbageCollectAt, tally } from './approval-tally.ts';
import type { Reconcile } from './reconcile.ts';

export interface ApprovalRequestReconcilerDeps {
  readonly client: KubeClient;
  readonly requests: Informer<ApprovalRequest>;
  readonly events: EventRecorder;
  readonly metrics: ApprovalMetrics;
  /** How long finished requests stay for audit before they are deleted. */
  readonly retentionMs: number;
  readonly clock?: () => Date;
}

const EVENT: Record<string, { type: 'Normal' | 'Warning'; reason: string }> = {
  Approved: { type: 'Normal', reason: 'Approved' },
  Denied: { type: 'Warning', reason: 'Denied' },
  Expired: { type: 'Warning', reason: 'Expired' },
};

export function approvalRequestReconciler(deps: ApprovalRequestReconcilerDeps): Reconcile {
  const clock = deps.clock ?? (() => new Date());
  return async (key) => {
    const [namespace, name] = key.split('/') as [string, string];
    const request = deps.requests.get(namespace, name);
    if (!request) return;
    const now = clock();
    const result = tally(request, now);
    const generation = request.metadata.generation ?? 1;
    const previous: ApprovalRequestStatus = request.status ?? {};
    const decided = !['Pending'].includes(result.phase);
    let conditions = setCondition(
      previous.conditions,
      decided
        ? { type: 'Decided', status: 'True', reason: result.phase, message: result.message }
        : { type: 'Decided', status: 'False', reason: 'Pending', message: result.message },
      generation,
      now,
    );
    if (result.phase === 'Executed' || result.phase === 'Failed') {
      conditions = setCondition(
        conditions,
        {
          type: 'Executed',
          status: result.phase === 'Executed' ? 'True' : 'False',
          reason: result.phase,
          message: previous.result ? `The target answered: ${previous.result}` : result.phase,
        },
        generation,
        now,
      );
    }
    const status: ApprovalRequestStatus = {
      ...previous,
      phase: result.phase,
      approvals: result.approvals,
      message: result.message,
      observedGeneration: generation,
      conditions,
      ...(result.decidedAt ? { decidedAt: result.decidedAt } : {}),
    };
    const written = await writeStatusIfChanged(deps.client, KINDS.approvalRequest, request, status);
    if (written === 'written' && result.transition) {
      const event = EVENT[result.transition.to];
      if (event) deps.events.record(request, event.type, event.reason, result.message);
      if (result.transition.to === 'Approved' || result.transition.to === 'Denied' || result.transition.to === 'Expired') {
        deps.metrics.decided(request, result.transition.to, now);
      }
    }
    const updated: ApprovalRequest = { ...request, status };
    const gcAt = garbageCollectAt(updated, deps.retentionMs);
    if (gcAt !== undefined && gcAt <= now.getTime()) {
      try {
        await deps.client.delete(objectPath(KINDS.approvalRequest, namespace, name), {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid: request.metadata.uid },
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return;
    }
    const waits = [result.recheckInMs, gcAt === undefined ? undefined : gcAt - now.getTime()].filter(
      (ms): ms is number => ms !== undefined && ms > 0,
    );
    return waits.length ? { requeueAfterMs: Math.min(...waits) } : undefined;
  };
}
