/**
 * Who may review an ApprovalRequest and how its reviews decide it — the one definition. The
 * operator's tally, the kubectl plugin's hints and the sidecar's in-process gate call it; the API
 * server's admission policy (approval-reviews-policy.ts) states the same rules in CEL, and an e2e
 * test runs one table of cases (testing/review-cases.ts) against both, so they cannot drift apart
 * unnoticed. Pure: the request, the reviewer and the clock in, a verdict out.
 *
 * - Requesters never review: the agent's service account, the person it acts for (`onBehalfOf`),
 *   any service account of the agent's namespace (the AgentIdentity's own among them: admission
 *   cannot look it up) and any service account of the request's namespace.
 *   `spec.requester.identity` is deliberately not a requester name: it is the name of an
 *   AgentIdentity object, not a principal. No agent authenticates to the API server under it —
 *   the agent is its service account, the human behind it is `onBehalfOf` — so comparing it with
 *   usernames would only refuse an unrelated person who happens to carry that name.
 * - Approvers are `spec.approvers.users`, and members of `spec.approvers.groups` by the groups
 *   the review records (admission makes them equal to the groups the API server authenticated).
 * - Requester before approver: being named an approver does not let a requester review.
 * - Distinct approvers count; one counting Deny decides; at `expiresAt` an undecided request is
 *   Expired and no review counts any more, because a review's `time` is the client's word and
 *   admission has no clock (docs/adr/0008-segregation-of-duties-in-the-api-server.md).
 */
import type { ApprovalRequestSpec, ApprovalRequestStatus, Review } from '@airlock/crds';

export type RequestPhase = NonNullable<ApprovalRequestStatus['phase']>;

/** The parts of an ApprovalRequest the rules read; an ApprovalRequest is one. */
export interface RequestUnderReview {
  readonly metadata: { readonly namespace?: string | undefined };
  readonly spec: Pick<ApprovalRequestSpec, 'requester' | 'approvers' | 'requiredApprovals' | 'expiresAt'>;
  readonly status?: { readonly phase?: RequestPhase | undefined; readonly reviews?: readonly Review[] | undefined } | undefined;
}

/** Who is reviewing, as the API server authenticated them. */
export interface ReviewerIdentity {
  readonly username: string;
  readonly groups: readonly string[];
}

export type RequesterKind =
  | 'agent-service-account'
  | 'on-behalf-of'
  | 'agent-namespace-service-account'
  | 'request-namespace-service-account';

export interface RequesterRole {
  readonly kind: RequesterKind;
  /** The admission policy's words for it: "it is <description>". */
  readonly description: string;
}

export type ApproverBasis = { readonly by: 'user' } | { readonly by: 'group'; readonly group: string };

/** Why a reviewer may not add a review, in the order the API server reports them. Stable codes. */
export type ReviewRefusal =
  | { readonly code: 'Decided'; readonly phase: RequestPhase }
  | { readonly code: 'AlreadyReviewed'; readonly review: Review }
  | { readonly code: 'Requester'; readonly role: RequesterRole }
  | { readonly code: 'NotApprover'; readonly users: readonly string[]; readonly groups: readonly string[] };

export type ReviewRefusalCode = ReviewRefusal['code'];

export interface ReviewVerdict {
  readonly review: Review;
  readonly counts: boolean;
  /** Why a written review does not count. */
  readonly refusal?: Extract<ReviewRefusal, { code: 'Requester' | 'NotApprover' }>;
}

/** The reviews that count, without the clock. */
export interface ReviewCount {
  /** Distinct users whose Approve counts, in review order. */
  readonly approvers: readonly string[];
  /** The first counting Deny. */
  readonly denial?: Review;
  readonly verdicts: readonly ReviewVerdict[];
}

/** What the reviews say at a moment, whatever phase was written before. Denied names its Deny. */
export type ReviewDecision = ReviewCount &
  ({ readonly phase: 'Denied'; readonly denial: Review } | { readonly phase: 'Pending' | 'Approved' | 'Expired' });

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

function serviceAccountNamespace(username: string): string | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name] = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  return namespace && name ? namespace : undefined;
}

/** Whether `username` is one of the request's requesters, and which; undefined when not. */
export function requesterRole(request: RequestUnderReview, username: string): RequesterRole | undefined {
  const { requester } = request.spec;
  if (username === requester.serviceAccount) return { kind: 'agent-service-account', description: "the agent's service account" };
  if (requester.onBehalfOf && username === requester.onBehalfOf)
    return { kind: 'on-behalf-of', description: 'the person the agent acts for' };
  const reviewerNamespace = serviceAccountNamespace(username);
  if (reviewerNamespace === undefined) return undefined;
  const agentNamespace = serviceAccountNamespace(requester.serviceAccount);
  if (reviewerNamespace === agentNamespace) {
    return { kind: 'agent-namespace-service-account', description: `a service account of the agent's namespace ${agentNamespace}` };
  }
  const requestNamespace = request.metadata.namespace;
  if (reviewerNamespace === requestNamespace) {
    return { kind: 'request-namespace-service-account', description: `a service account of the request's namespace ${requestNamespace}` };
  }
  return undefined;
}

/** Why `reviewer` is an approver: named, or by the first approver group they are in; undefined when neither. */
export function approverBasis(request: RequestUnderReview, reviewer: ReviewerIdentity): ApproverBasis | undefined {
  const { users = [], groups = [] } = request.spec.approvers;
  if (users.includes(reviewer.username)) return { by: 'user' };
  const group = groups.find((g) => reviewer.groups.includes(g));
  return group === undefined ? undefined : { by: 'group', group };
}

/** Requester first, then approver: the reasons a review by `reviewer` never counts. */
function standingRefusal(request: RequestUnderReview, reviewer: ReviewerIdentity): ReviewVerdict['refusal'] {
  const role = requesterRole(request, reviewer.username);
  if (role) return { code: 'Requester', role };
  if (approverBasis(request, reviewer)) return undefined;
  const { users = [], groups = [] } = request.spec.approvers;
  return { code: 'NotApprover', users, groups };
}

/**
 * Whether `reviewer` may add a review now, as the admission policy answers: undefined when the
 * API server admits it. No clock, like admission: a review after `expiresAt` is admitted and
 * then does not count (see `decideReviews`).
 */
export function reviewRefusal(request: RequestUnderReview, reviewer: ReviewerIdentity): ReviewRefusal | undefined {
  const phase = request.status?.phase;
  if (phase !== undefined && phase !== 'Pending') return { code: 'Decided', phase };
  const own = request.status?.reviews?.find((r) => r.user === reviewer.username);
  if (own) return { code: 'AlreadyReviewed', review: own };
  return standingRefusal(request, reviewer);
}

/** Whether a written review counts: by an approver (by the groups it records), not by a requester. */
export function judgeReview(request: RequestUnderReview, review: Review): ReviewVerdict {
  const refusal = standingRefusal(request, { username: review.user, groups: review.groups ?? [] });
  return refusal ? { review, counts: false, refusal } : { review, counts: true };
}

/** At or after `expiresAt`; an unreadable deadline counts as passed. */
export function isPastExpiry(request: RequestUnderReview, now: Date): boolean {
  return !(Date.parse(request.spec.expiresAt) > now.getTime());
}

/** Which reviews count: distinct approvers (a user who reviewed twice counts once) and the first counting Deny. */
export function countReviews(request: RequestUnderReview): ReviewCount {
  const verdicts = (request.status?.reviews ?? []).map((review) => judgeReview(request, review));
  const counting = verdicts.filter((v) => v.counts).map((v) => v.review);
  const approvers = [...new Set(counting.filter((r) => r.decision === 'Approve').map((r) => r.user))];
  const denial = counting.find((r) => r.decision === 'Deny');
  return { approvers, verdicts, ...(denial ? { denial } : {}) };
}

/** What the reviews decide at `now`: Expired past the deadline, else a counting Deny, else enough distinct approvers. */
export function decideReviews(request: RequestUnderReview, now: Date): ReviewDecision {
  const count = countReviews(request);
  if (isPastExpiry(request, now)) return { ...count, phase: 'Expired' };
  if (count.denial) return { ...count, denial: count.denial, phase: 'Denied' };
  if (count.approvers.length >= request.spec.requiredApprovals) return { ...count, phase: 'Approved' };
  return { ...count, phase: 'Pending' };
}
