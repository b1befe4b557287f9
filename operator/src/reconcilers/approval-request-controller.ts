/**
 * Reconciles ApprovalRequests: tallies reviews into a phase (approval-tally.ts), writes status
 * once per pass, records Events for transitions, expires requests at their deadline (the work
 * queue's timer, not a poll loop) and deletes finished ones after the retention.
 */
import type { ApprovalRequest, ApprovalRequestStatus } from '@airlock/crds';
import { isNotFound, type KubeClient, objectPath } from '../kube/client.ts';
import { findCondition, setCondition } from '../kube/conditions.ts';
import type { ReconcileFunction } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { splitObjectKey } from '../kube/object-key.ts';
import { writeStatusIfChanged } from '../kube/status-writer.ts';
import type { ApprovalMetrics } from '../observability/approval-metrics.ts';
import { garbageCollectAt, tally } from './approval-tally.ts';

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
  // Written by the broker (the sidecar reported); the reconciler tells humans when it first sees them.
  Withdrawn: { type: 'Normal', reason: 'Withdrawn' },
  Executed: { type: 'Normal', reason: 'Executed' },
  Failed: { type: 'Warning', reason: 'ExecutionFailed' },
};

/** The phase this pass makes visible for the first time, if any: a tally transition or a broker write. */
function announced(previous: ApprovalRequestStatus, phase: string, transitioned: boolean): string | undefined {
  if (transitioned) return phase;
  const decided = findCondition(previous.conditions, 'Decided');
  const executed = findCondition(previous.conditions, 'Executed');
  if (phase === 'Withdrawn' && decided?.reason !== 'Withdrawn') return phase;
  if ((phase === 'Executed' || phase === 'Failed') && executed?.reason !== phase) return phase;
  return undefined;
}

export function approvalRequestReconciler(deps: ApprovalRequestReconcilerDeps): ReconcileFunction {
  const clock = deps.clock ?? (() => new Date());
  return async (key) => {
    const { namespace = '', name } = splitObjectKey(key);
    const request = deps.requests.get(namespace, name);
    if (!request) return;
    const now = clock();
    const result = tally(request, now);
    const generation = request.metadata.generation ?? 1;
    const previous: ApprovalRequestStatus = request.status ?? {};
    const decided = result.phase !== 'Pending';
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
    const shown = written === 'written' ? announced(previous, result.phase, result.transition !== undefined) : undefined;
    const event = shown ? EVENT[shown] : undefined;
    if (event) {
      const message =
        shown === 'Executed' || shown === 'Failed' ? `${request.spec.operation.summary}: ${previous.result ?? shown}` : result.message;
      deps.events.record(request, event.type, event.reason, message);
    }
    const to = result.transition?.to;
    if (written === 'written' && (to === 'Approved' || to === 'Denied' || to === 'Expired')) deps.metrics.decided(request, to, now);
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
