/**
 * Who may review: one table of cases and what must happen in each. The unit tests run it against
 * the rules (review-rules.ts); the e2e test creates each request on a real API server as the
 * operator and writes each review as the case's reviewer, so the admission policy and the rules
 * cannot disagree unnoticed. Expectations are written out by hand, not computed by the rules.
 *
 * The reviewers are the e2e cluster's test users and service accounts; their groups are what the
 * API server authenticates for them (the e2e test checks that with `kubectl auth whoami`).
 */
import type { ApprovalRequest, Review } from '@airlock/crds';
import type { RequesterKind, ReviewDecision, ReviewerIdentity, ReviewRefusalCode } from '../approval/review-rules.ts';

const sa = (namespace: string, name: string): ReviewerIdentity => ({
  username: `system:serviceaccount:${namespace}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
});

/** The agent's namespace; the agent runs as AGENT. */
export const AGENT_NAMESPACE = 'agents';
/** A namespace requests may live in that is not the agent's. */
export const REQUEST_NAMESPACE = 'requests';
/** A namespace that is neither: a bot reviewer lives here. */
export const BOT_NAMESPACE = 'bots';

export const REVIEWERS = {
  admin: { username: 'airlock-admin', groups: ['system:masters', 'system:authenticated'] },
  alice: { username: 'alice@example.com', groups: ['db-owners', 'airlock-reviewers', 'system:authenticated'] },
  bob: { username: 'bob@example.com', groups: ['db-owners', 'airlock-reviewers', 'system:authenticated'] },
  carol: { username: 'carol@example.com', groups: ['sre', 'airlock-reviewers', 'system:authenticated'] },
  dave: { username: 'dave@example.com', groups: ['developers', 'system:authenticated'] },
  /** The agent's own service account. */
  agent: sa(AGENT_NAMESPACE, 'agent-sa'),
  /** Another service account of the agent's namespace, say the AgentIdentity's. */
  agentNeighbour: sa(AGENT_NAMESPACE, 'identity-sa'),
  /** A service account of REQUEST_NAMESPACE. */
  requestNeighbour: sa(REQUEST_NAMESPACE, 'reviewer-bot'),
  /** A service account of neither namespace. */
  bot: sa(BOT_NAMESPACE, 'reviewer-bot'),
} as const satisfies Record<string, ReviewerIdentity>;

export type ReviewerName = keyof typeof REVIEWERS;

/** The admission policy admits the review; then the rules decide the request so. */
export interface Admitted {
  readonly admitted: true;
  readonly outcome: ReviewDecision['phase'];
}

export interface Refused {
  readonly admitted: false;
  readonly refusal: ReviewRefusalCode;
  /** For refusal Requester: which requester. */
  readonly role?: RequesterKind;
}

export interface ReviewCase {
  /** Also the request's name. */
  readonly name: string;
  /** Default AGENT_NAMESPACE. */
  readonly namespace?: typeof AGENT_NAMESPACE | typeof REQUEST_NAMESPACE;
  /** The AgentIdentity's name; default orders-agent. */
  readonly identity?: string;
  readonly onBehalfOf?: ReviewerName;
  readonly approvers: { readonly users?: readonly ReviewerName[]; readonly groups?: readonly string[] };
  /** Default 1. */
  readonly requiredApprovals?: number;
  /** expiresAt an hour ago instead of an hour ahead. */
  readonly expired?: boolean;
  /** Reviews written first, each by its own reviewer while the request is Pending. */
  readonly before?: readonly { readonly reviewer: ReviewerName; readonly decision: Review['decision'] }[];
  /** The phase the operator set before the review; default Pending. */
  readonly phase?: 'Pending' | 'Approved' | 'Denied' | 'Expired';
  /** The operator wrote no status yet (no phase). */
  readonly noStatus?: true;
  readonly reviewer: ReviewerName;
  readonly decision: Review['decision'];
  readonly expect: Admitted | Refused;
}

const owners = { groups: ['db-owners'] } as const;
const admitted = (outcome: Admitted['outcome']): Admitted => ({ admitted: true, outcome });
const refused = (refusal: ReviewRefusalCode, role?: RequesterKind): Refused => ({ admitted: false, refusal, ...(role ? { role } : {}) });
const approved = (reviewer: ReviewerName) => ({ reviewer, decision: 'Approve' }) as const;

export const REVIEW_CASES: readonly ReviewCase[] = [
  // Approvers, by group or by name; distinct approvers count; one Deny decides.
  { name: 'group-approver', approvers: owners, reviewer: 'alice', decision: 'Approve', expect: admitted('Approved') },
  { name: 'no-status-yet', noStatus: true, approvers: owners, reviewer: 'alice', decision: 'Approve', expect: admitted('Approved') },
  { name: 'first-of-two', approvers: owners, requiredApprovals: 2, reviewer: 'alice', decision: 'Approve', expect: admitted('Pending') },
  {
    name: 'second-of-two',
    approvers: owners,
    requiredApprovals: 2,
    before: [approved('alice')],
    reviewer: 'bob',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  {
    name: 'deny-after-an-approval',
    approvers: owners,
    requiredApprovals: 2,
    before: [approved('alice')],
    reviewer: 'bob',
    decision: 'Deny',
    expect: admitted('Denied'),
  },
  {
    name: 'approval-after-a-deny',
    approvers: owners,
    before: [{ reviewer: 'alice', decision: 'Deny' }],
    reviewer: 'bob',
    decision: 'Approve',
    expect: admitted('Denied'),
  },
  {
    name: 'second-group',
    approvers: { groups: ['db-owners', 'sre'] },
    reviewer: 'carol',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  {
    name: 'named-user',
    approvers: { users: ['dave'], groups: ['db-owners'] },
    reviewer: 'dave',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  { name: 'outside-the-groups', approvers: owners, reviewer: 'dave', decision: 'Approve', expect: refused('NotApprover') },
  {
    name: 'reviewer-not-approver',
    approvers: { users: ['dave'], groups: ['db-owners'] },
    reviewer: 'carol',
    decision: 'Deny',
    expect: refused('NotApprover'),
  },
  { name: 'admin-not-named', approvers: owners, reviewer: 'admin', decision: 'Approve', expect: refused('NotApprover') },
  // Requesters never review, even when named approvers.
  {
    name: 'agent-named',
    approvers: { users: ['agent', 'alice'] },
    reviewer: 'agent',
    decision: 'Approve',
    expect: refused('Requester', 'agent-service-account'),
  },
  {
    name: 'agent-denies',
    approvers: { users: ['agent'], groups: ['db-owners'] },
    reviewer: 'agent',
    decision: 'Deny',
    expect: refused('Requester', 'agent-service-account'),
  },
  {
    name: 'acts-for-carol',
    onBehalfOf: 'carol',
    approvers: { groups: ['sre'] },
    reviewer: 'carol',
    decision: 'Approve',
    expect: refused('Requester', 'on-behalf-of'),
  },
  {
    name: 'acts-for-carol-named',
    noStatus: true,
    onBehalfOf: 'carol',
    approvers: { users: ['carol', 'alice'] },
    reviewer: 'carol',
    decision: 'Approve',
    expect: refused('Requester', 'on-behalf-of'),
  },
  {
    name: 'acts-for-carol-alice-approves',
    onBehalfOf: 'carol',
    approvers: { groups: ['sre', 'db-owners'] },
    reviewer: 'alice',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  {
    name: 'agent-namespace-sa',
    approvers: { users: ['agentNeighbour'] },
    reviewer: 'agentNeighbour',
    decision: 'Approve',
    expect: refused('Requester', 'agent-namespace-service-account'),
  },
  {
    name: 'agent-namespace-sa-by-group',
    approvers: { groups: ['system:serviceaccounts'] },
    reviewer: 'agentNeighbour',
    decision: 'Approve',
    expect: refused('Requester', 'agent-namespace-service-account'),
  },
  {
    name: 'agent-namespace-sa-elsewhere',
    namespace: REQUEST_NAMESPACE,
    approvers: { users: ['agentNeighbour'] },
    reviewer: 'agentNeighbour',
    decision: 'Approve',
    expect: refused('Requester', 'agent-namespace-service-account'),
  },
  {
    name: 'request-namespace-sa',
    namespace: REQUEST_NAMESPACE,
    approvers: { users: ['requestNeighbour'] },
    reviewer: 'requestNeighbour',
    decision: 'Approve',
    expect: refused('Requester', 'request-namespace-service-account'),
  },
  // A service account of neither namespace is not a requester: a bot reviewer, named or by group.
  {
    name: 'other-namespace-sa',
    approvers: { users: ['requestNeighbour'] },
    reviewer: 'requestNeighbour',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  {
    name: 'bot-named',
    namespace: REQUEST_NAMESPACE,
    approvers: { users: ['bot'] },
    reviewer: 'bot',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  {
    name: 'bot-by-group',
    namespace: REQUEST_NAMESPACE,
    approvers: { groups: [`system:serviceaccounts:${BOT_NAMESPACE}`] },
    reviewer: 'bot',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  // The AgentIdentity's name is not a principal (review-rules.ts): a user of that name may review.
  {
    name: 'identity-named-like-a-user',
    identity: 'airlock-admin',
    approvers: { users: ['admin'] },
    reviewer: 'admin',
    decision: 'Approve',
    expect: admitted('Approved'),
  },
  // One review per reviewer; none once the request is decided, whoever asks.
  {
    name: 'already-reviewed',
    approvers: owners,
    requiredApprovals: 2,
    before: [approved('alice')],
    reviewer: 'alice',
    decision: 'Deny',
    expect: refused('AlreadyReviewed'),
  },
  { name: 'after-denial', phase: 'Denied', approvers: owners, reviewer: 'alice', decision: 'Approve', expect: refused('Decided') },
  {
    name: 'after-approval',
    phase: 'Approved',
    approvers: owners,
    before: [approved('alice')],
    reviewer: 'bob',
    decision: 'Deny',
    expect: refused('Decided'),
  },
  {
    name: 'after-expiry',
    phase: 'Expired',
    expired: true,
    approvers: owners,
    reviewer: 'alice',
    decision: 'Approve',
    expect: refused('Decided'),
  },
  { name: 'decided-not-approver', phase: 'Denied', approvers: owners, reviewer: 'dave', decision: 'Approve', expect: refused('Decided') },
  { name: 'decided-requester', phase: 'Denied', approvers: owners, reviewer: 'agent', decision: 'Approve', expect: refused('Decided') },
  // Admission has no clock: a review past the deadline is admitted, and does not count.
  { name: 'past-expiry-unmarked', expired: true, approvers: owners, reviewer: 'alice', decision: 'Approve', expect: admitted('Expired') },
];

const HOUR_MS = 3_600_000;

/** The case's reviewer as a review, with the groups the API server authenticates for them. */
export function caseReview(reviewer: ReviewerName, decision: Review['decision'], now: Date): Review {
  const who = REVIEWERS[reviewer];
  return {
    user: who.username,
    groups: [...who.groups],
    decision,
    ...(decision === 'Deny' ? { reason: `${reviewer} says no` } : {}),
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** The request as the operator creates it (no status). */
export function caseRequest(c: ReviewCase, now: Date): ApprovalRequest {
  const users = (c.approvers.users ?? []).map((u) => REVIEWERS[u].username);
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalRequest',
    metadata: { name: c.name, namespace: c.namespace ?? AGENT_NAMESPACE },
    spec: {
      requester: {
        identity: c.identity ?? 'orders-agent',
        serviceAccount: REVIEWERS.agent.username,
        pod: { name: 'orders-agent-7d9f', uid: '3f0c1e52-5b7a-4f0e-9a57-0d1f4d1c2b6e' },
        ...(c.onBehalfOf ? { onBehalfOf: REVIEWERS[c.onBehalfOf].username } : {}),
      },
      target: { name: 'orders-db', type: 'postgres' },
      operation: {
        text: 'DROP TABLE public.order_archive_2019',
        summary: 'DROP TABLE public.order_archive_2019',
        digest: `sha256:${'d4'.repeat(32)}`,
        sessionID: '01JDZ8Q4R6N3K2M7V5T9W1X0YA',
      },
      policy: { name: 'prod-databases', rule: 'ddl-needs-approval' },
      requiredApprovals: c.requiredApprovals ?? 1,
      approvers: { ...(users.length ? { users } : {}), ...(c.approvers.groups ? { groups: [...c.approvers.groups] } : {}) },
      scope: 'once',
      expiresAt: new Date(now.getTime() + (c.expired ? -HOUR_MS : HOUR_MS)).toISOString(),
    },
  };
}

/** The phase the operator set before the case's review; undefined when it wrote no status yet. */
export function casePhase(c: ReviewCase): ReviewCase['phase'] {
  return c.noStatus ? undefined : (c.phase ?? 'Pending');
}

/** The request as stored just before the case's review: its phase and the reviews written first. */
export function caseRequestBefore(c: ReviewCase, now: Date): ApprovalRequest {
  const request = caseRequest(c, now);
  const phase = casePhase(c);
  const reviews = (c.before ?? []).map((b) => caseReview(b.reviewer, b.decision, now));
  if (phase === undefined && reviews.length === 0) return request;
  return { ...request, status: { ...(phase ? { phase } : {}), ...(reviews.length ? { reviews } : {}) } };
}
