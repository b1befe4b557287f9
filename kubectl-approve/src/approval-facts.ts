/**
 * What a reviewer needs to know about a request, computed from the object, the clock and who
 * they are: its phase, approvals so far, whether it expired, and whether they may review it.
 * Pure. The API server's admission policy decides who may review; `reviewerStanding` only
 * predicts its answer for display, from the rules the policy is tested against and the operator
 * counts with (@airlock/crds review-rules.ts).
 */

// The rules alone, not the package index: the plugin is bundled into one file, and the index
// brings the validators and the examples read from disk with it.
import { approverBasis, countReviews, isPastExpiry, requesterRole } from '@airlock/contracts/approval';
import type { ApprovalRequest, Review } from '@airlock/crds';

export type Phase = NonNullable<NonNullable<ApprovalRequest['status']>['phase']>;

/** The phase; a request the operator has not written a status for yet is Pending. */
export function phaseOf(request: ApprovalRequest): Phase {
  return request.status?.phase ?? 'Pending';
}

export function reviewsOf(request: ApprovalRequest): readonly Review[] {
  return request.status?.reviews ?? [];
}

/**
 * "1/2": the operator's tally when it wrote one, else the distinct approvers whose Approve the
 * operator will count (requesters and non-approvers do not), over the required number.
 */
export function approvalsOf(request: ApprovalRequest): string {
  if (request.status?.approvals) return request.status.approvals;
  const approved = countReviews(request).approvers.length;
  return `${Math.min(approved, request.spec.requiredApprovals)}/${request.spec.requiredApprovals}`;
}

/** Pending, and past its expiry: the operator will mark it Expired and ignores reviews written now. */
export function isExpired(request: ApprovalRequest, now: Date): boolean {
  return phaseOf(request) === 'Pending' && isPastExpiry(request, now);
}

/** `namespace/name`. */
export function qualifiedName(request: ApprovalRequest): string {
  return `${request.metadata.namespace ?? ''}/${request.metadata.name ?? ''}`;
}

export interface Reviewer {
  readonly username: string;
  readonly groups: readonly string[];
}

export type Standing =
  | { readonly kind: 'reviewed'; readonly review: Review }
  | { readonly kind: 'requester'; readonly role: string }
  | { readonly kind: 'approver'; readonly as: string }
  | { readonly kind: 'not-approver'; readonly users: readonly string[]; readonly groups: readonly string[] };

/** Whether `me` may review `request`, as the admission policy will judge it. */
export function reviewerStanding(request: ApprovalRequest, me: Reviewer): Standing {
  const own = reviewsOf(request).find((r) => r.user === me.username);
  if (own) return { kind: 'reviewed', review: own };
  const role = requesterRole(request, me.username);
  if (role) return { kind: 'requester', role: role.description };
  const basis = approverBasis(request, me);
  if (basis) return { kind: 'approver', as: basis.by === 'user' ? 'a named approver' : `a member of group ${basis.group}` };
  return { kind: 'not-approver', users: request.spec.approvers.users ?? [], groups: request.spec.approvers.groups ?? [] };
}

/** "users a, b or members of group x or y", for messages. */
export function approverText(request: ApprovalRequest): string {
  const users = request.spec.approvers.users ?? [];
  const groups = request.spec.approvers.groups ?? [];
  const parts = [
    ...(groups.length ? [`members of group ${groups.join(' or ')}`] : []),
    ...(users.length ? [`user${users.length > 1 ? 's' : ''} ${users.join(', ')}`] : []),
  ];
  return parts.join(', or ') || 'nobody';
}
