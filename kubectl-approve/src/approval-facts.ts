/**
 * What a reviewer needs to know about a request, computed from the object, the clock and who
 * they are: its phase, approvals so far, whether it expired, and whether they may review it.
 * Pure. The API server's admission policy decides who may review; `reviewerStanding` only
 * predicts its answer for display, with the same rules (crds/src/approval-reviews-policy.ts).
 */
import type { ApprovalRequest, Review } from '@airlock/crds';
import { parseTime } from './format/durations.ts';

export type Phase = NonNullable<NonNullable<ApprovalRequest['status']>['phase']>;

/** The phase; a request the operator has not written a status for yet is Pending. */
export function phaseOf(request: ApprovalRequest): Phase {
  return request.status?.phase ?? 'Pending';
}

export function reviewsOf(request: ApprovalRequest): readonly Review[] {
  return request.status?.reviews ?? [];
}

/**
 * "1/2": the operator's tally when it wrote one, else the Approve reviews over the required
 * number (the tally may count fewer: it ignores reviews of non-approvers).
 */
export function approvalsOf(request: ApprovalRequest): string {
  if (request.status?.approvals) return request.status.approvals;
  const approved = new Set(
    reviewsOf(request)
      .filter((r) => r.decision === 'Approve')
      .map((r) => r.user),
  ).size;
  return `${Math.min(approved, request.spec.requiredApprovals)}/${request.spec.requiredApprovals}`;
}

/** Pending, and past its expiry: the operator will mark it Expired and ignores reviews written now. */
export function isExpired(request: ApprovalRequest, now: Date): boolean {
  const at = parseTime(request.spec.expiresAt);
  return phaseOf(request) === 'Pending' && at !== undefined && at <= now.getTime();
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
  const { requester, approvers } = request.spec;
  const agentNamespace = requester.serviceAccount.split(':')[2] ?? '';
  if (me.username === requester.serviceAccount) return { kind: 'requester', role: "the agent's service account" };
  if (requester.onBehalfOf && me.username === requester.onBehalfOf) return { kind: 'requester', role: 'the person the agent acts for' };
  if (me.username.startsWith(`system:serviceaccount:${agentNamespace}:`)) {
    return { kind: 'requester', role: `a service account of the agent's namespace ${agentNamespace}` };
  }
  const requestNamespace = request.metadata.namespace ?? '';
  if (me.username.startsWith(`system:serviceaccount:${requestNamespace}:`)) {
    return { kind: 'requester', role: `a service account of the request's namespace ${requestNamespace}` };
  }
  const users = approvers.users ?? [];
  const groups = approvers.groups ?? [];
  if (users.includes(me.username)) return { kind: 'approver', as: 'a named approver' };
  const group = groups.find((g) => me.groups.includes(g));
  if (group) return { kind: 'approver', as: `a member of group ${group}` };
  return { kind: 'not-approver', users, groups };
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
