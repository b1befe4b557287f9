/**
 * The ApprovalRequest decision, as a pure function of the request and the time: which reviews
 * count, whether the request is Approved, Denied or Expired, what the status says, and when to
 * look again. Who may review and how reviews decide is defined once, in @airlock/crds
 * (review-rules.ts); this file turns that into status. The API server's admission policy already
 * refuses unauthorized reviews; the tally checks again, so a review that slipped in (a policy not
 * installed, a changed approver set) never counts.
 */

import { decideReviews, type ReviewVerdict as RuleVerdict, judgeReview as ruleVerdict } from '@airlock/contracts/approval';
import { type ApprovalRequest, type ApprovalRequestStatus, FINAL_PHASES, type Review } from '@airlock/crds';

export type Phase = NonNullable<ApprovalRequestStatus['phase']>;

export interface ReviewVerdict {
  readonly review: Review;
  readonly counts: boolean;
  /** Why a review does not count; shown in the status message. */
  readonly reason?: string;
}

export interface Tally {
  /** The status fields the tally owns; the rest of status is kept. */
  readonly phase: Phase;
  readonly approvals: string;
  readonly decidedAt?: string;
  readonly message: string;
  /** Set when this pass moved the phase. */
  readonly transition?: { readonly from: Phase | undefined; readonly to: Phase };
  readonly verdicts: readonly ReviewVerdict[];
  /** Milliseconds until the request must be looked at again (expiry), if it can still change. */
  readonly recheckInMs?: number;
}

const isFinal = (phase: Phase | undefined): boolean => phase !== undefined && (FINAL_PHASES as readonly string[]).includes(phase);

/** The words the status message uses for a review that does not count. */
function notCountedReason(refusal: NonNullable<RuleVerdict['refusal']>): string {
  if (refusal.code === 'NotApprover') return 'not one of the approver users or groups';
  switch (refusal.role.kind) {
    case 'agent-service-account':
      return 'the requester cannot review its own request';
    case 'on-behalf-of':
      return 'the person the agent acts for cannot review its request';
    default:
      return `${refusal.role.description} cannot review the agent's request`;
  }
}

function verdictOf(verdict: RuleVerdict): ReviewVerdict {
  const { review, refusal } = verdict;
  return refusal ? { review, counts: false, reason: notCountedReason(refusal) } : { review, counts: true };
}

/** Whether a review counts: by an approver, not by a requester (@airlock/crds judgeReview). */
export function judgeReview(request: ApprovalRequest, review: Review): ReviewVerdict {
  return verdictOf(ruleVerdict(request, review));
}

function approverText(request: ApprovalRequest): string {
  const { users = [], groups = [] } = request.spec.approvers;
  const parts = [...(groups.length ? [`group ${groups.join(' or ')}`] : []), ...(users.length ? [users.join(', ')] : [])];
  return parts.join(' or ');
}

export function tally(request: ApprovalRequest, now: Date): Tally {
  const status = request.status ?? {};
  const current = status.phase;
  const required = request.spec.requiredApprovals;
  const decision = decideReviews(request, now);
  const verdicts = decision.verdicts.map(verdictOf);
  const { approvers } = decision;
  const approvals = `${Math.min(approvers.length, required)}/${required}`;
  const base = { approvals, verdicts };
  if (current !== undefined && current !== 'Pending') {
    // Decided (or past it): the tally never moves a decided request; the broker records execution.
    return { ...base, phase: current, ...(status.decidedAt ? { decidedAt: status.decidedAt } : {}), message: status.message ?? '' };
  }
  const at = now.toISOString();
  switch (decision.phase) {
    case 'Expired': {
      // Reviews cannot be timed (their time is the reviewer's word), so past the deadline none counts.
      const late = decision.denial || approvers.length >= required ? '; reviews seen after the deadline do not count' : '';
      return {
        ...base,
        phase: 'Expired',
        decidedAt: at,
        message: `Expired at ${request.spec.expiresAt} with ${approvers.length} of ${required} approvals${late}.`,
        transition: { from: current, to: 'Expired' },
      };
    }
    case 'Denied':
      return {
        ...base,
        phase: 'Denied',
        decidedAt: at,
        message: `Denied by ${decision.denial.user}: ${decision.denial.reason ?? ''}`.trim(),
        transition: { from: current, to: 'Denied' },
      };
    case 'Approved':
      return {
        ...base,
        phase: 'Approved',
        decidedAt: at,
        message: `Approved by ${approvers.join(', ')}.`,
        transition: { from: current, to: 'Approved' },
      };
    case 'Pending': {
      const ignored = verdicts.filter((v) => !v.counts).map((v) => `${v.review.user} (${v.reason})`);
      const missing = required - approvers.length;
      return {
        ...base,
        phase: 'Pending',
        message:
          `Waiting for ${missing} more approval${missing === 1 ? '' : 's'} from ${approverText(request)}.` +
          (ignored.length ? ` Not counted: ${ignored.join('; ')}.` : ''),
        ...(current === undefined ? { transition: { from: undefined, to: 'Pending' as const } } : {}),
        recheckInMs: Date.parse(request.spec.expiresAt) - now.getTime(),
      };
    }
  }
}

/** When a finished request may be deleted: retention after it was decided or executed. */
export function garbageCollectAt(request: ApprovalRequest, retentionMs: number): number | undefined {
  const status = request.status;
  if (!isFinal(status?.phase)) return undefined;
  const finishedAt = status?.executedAt ?? status?.decidedAt ?? request.metadata.creationTimestamp;
  const from = finishedAt ? Date.parse(finishedAt) : Number.NaN;
  return Number.isFinite(from) ? from + retentionMs : 0;
}
