/**
 * The ApprovalRequest decision, as a pure function of the request and the time: which reviews
 * count, whether the request is Approved, Denied or Expired, what the status says, and when to
 * look again. The API server's admission policy already refuses unauthorized reviews; the tally
 * checks again, so a review that slipped in (a policy not installed, a changed approver set)
 * never counts.
 */
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

/** Whether a review counts: by an approver, not by a requester. */
export function judgeReview(request: ApprovalRequest, review: Review): ReviewVerdict {
  const { requester, approvers } = request.spec;
  if (review.user === requester.serviceAccount) return { review, counts: false, reason: 'the requester cannot review its own request' };
  if (requester.onBehalfOf && review.user === requester.onBehalfOf)
    return { review, counts: false, reason: 'the person the agent acts for cannot review its request' };
  const byUser = approvers.users?.includes(review.user) ?? false;
  const byGroup = (review.groups ?? []).some((group) => approvers.groups?.includes(group));
  if (!byUser && !byGroup) return { review, counts: false, reason: 'not one of the approver users or groups' };
  return { review, counts: true };
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
  const verdicts = (status.reviews ?? []).map((review) => judgeReview(request, review));
  // Distinct users: the list is keyed by user, but count distinct names anyway.
  const approvers = [...new Set(verdicts.filter((v) => v.counts && v.review.decision === 'Approve').map((v) => v.review.user))];
  const approvals = `${Math.min(approvers.length, required)}/${required}`;
  const base = { approvals, verdicts };
  if (current !== undefined && current !== 'Pending') {
    // Decided (or past it): the tally never moves a decided request; the broker records execution.
    return { ...base, phase: current, ...(status.decidedAt ? { decidedAt: status.decidedAt } : {}), message: status.message ?? '' };
  }
  const at = now.toISOString();
  const deny = verdicts.find((v) => v.counts && v.review.decision === 'Deny');
  if (deny) {
    return {
      ...base,
      phase: 'Denied',
      decidedAt: at,
      message: `Denied by ${deny.review.user}: ${deny.review.reason ?? ''}`.trim(),
      transition: { from: current, to: 'Denied' },
    };
  }
  if (approvers.length >= required) {
    return {
      ...base,
      phase: 'Approved',
      decidedAt: at,
      message: `Approved by ${approvers.join(', ')}.`,
      transition: { from: current, to: 'Approved' },
    };
  }
  const expiresAt = Date.parse(request.spec.expiresAt);
  if (!(expiresAt > now.getTime())) {
    return {
      ...base,
      phase: 'Expired',
      decidedAt: at,
      message: `Expired at ${request.spec.expiresAt} with ${approvers.length} of ${required} approvals.`,
      transition: { from: current, to: 'Expired' },
    };
  }
  const ignored = verdicts.filter((v) => !v.counts).map((v) => `${v.review.user} (${v.reason})`);
  const missing = required - approvers.length;
  return {
    ...base,
    phase: 'Pending',
    message:
      `Waiting for ${missing} more approval${missing === 1 ? '' : 's'} from ${approverText(request)}.` +
      (ignored.length ? ` Not counted: ${ignored.join('; ')}.` : ''),
    ...(current === undefined ? { transition: { from: undefined, to: 'Pending' as const } } : {}),
    recheckInMs: expiresAt - now.getTime(),
  };
}

/** When a finished request may be deleted: retention after it was decided or executed. */
export function garbageCollectAt(request: ApprovalRequest, retentionMs: number): number | undefined {
  const status = request.status;
  if (!isFinal(status?.phase)) return undefined;
  const finishedAt = status?.executedAt ?? status?.decidedAt ?? request.metadata.creationTimestamp;
  const from = finishedAt ? Date.parse(finishedAt) : Number.NaN;
  return Number.isFinite(from) ? from + retentionMs : 0;
}
