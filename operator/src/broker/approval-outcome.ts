/**
 * What the outcome stream says about a request: pure functions of the ApprovalRequest as the
 * informer holds it. Pending (or not tallied yet) → `pending` with the approvals so far; Approved,
 * Denied, Expired, Withdrawn → the outcome. Executed and Failed come only after Approved, which the
 * sidecar already heard: a stream opened then is refused, so an approval covers one execution.
 */

import type { ApprovalOutcome, OutcomeStreamLine } from '@airlock/contracts/broker';
import type { ApprovalRequest } from '@airlock/crds';
import { judgeReview } from '../reconcilers/approval-tally.ts';

export type OutcomeState =
  | { readonly kind: 'pending'; readonly line: OutcomeStreamLine }
  | { readonly kind: 'decided'; readonly line: OutcomeStreamLine }
  | { readonly kind: 'ran'; readonly phase: 'Executed' | 'Failed' };

export function outcomeState(request: ApprovalRequest): OutcomeState {
  const status = request.status ?? {};
  const decided = (outcome: ApprovalOutcome): OutcomeState => ({ kind: 'decided', line: { type: 'outcome', outcome } });
  const counting = (status.reviews ?? []).filter((review) => judgeReview(request, review).counts);
  switch (status.phase) {
    case undefined:
    case 'Pending':
      return { kind: 'pending', line: { type: 'pending', approvals: status.approvals ?? `0/${request.spec.requiredApprovals}` } };
    case 'Approved':
      return decided({
        phase: 'Approved',
        approvers: [...new Set(counting.filter((review) => review.decision === 'Approve').map((review) => review.user))],
      });
    case 'Denied': {
      const denial = counting.find((review) => review.decision === 'Deny');
      return decided({
        phase: 'Denied',
        reviewer: denial?.user ?? 'airlock-operator',
        reason: denial?.reason ?? status.message ?? 'denied',
      });
    }
    case 'Expired':
      return decided({ phase: 'Expired' });
    case 'Withdrawn':
      return decided({ phase: 'Withdrawn', reason: status.message ?? 'withdrawn' });
    case 'Executed':
    case 'Failed':
      return { kind: 'ran', phase: status.phase };
  }
}

/** A request deleted before its outcome (its pod went, or someone deleted it): it can no longer be approved. */
export function deletedOutcome(name: string): OutcomeStreamLine {
  return { type: 'outcome', outcome: { phase: 'Expired' }, message: `ApprovalRequest ${name} was deleted before it was decided` };
}
