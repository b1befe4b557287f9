/**
 * An ApprovalGate that lives in the sidecar's process: tests and local runs create, review and
 * expire requests here. Who may review and how reviews decide come from the rules the operator's
 * tally uses and the API server's admission policy is tested against (@airlock/crds
 * review-rules.ts) — distinct approvers, approver users or groups, no requester reviews, one Deny
 * decides; here the first final phase wins and expiry is a timer at the deadline, not a poll — so
 * the sidecar behaves the same whichever gate it is wired to.
 */
import { randomBytes } from 'node:crypto';
import { decideReviews, type RequestUnderReview, type ReviewRefusal, reviewRefusal } from '@airlock/contracts/approval';
import type { ApprovalRequestSpec, Review } from '@airlock/crds';
import type { AgentPrincipal, ApprovalDraft, ApprovalGate, ApprovalOutcome, PendingApproval } from '../core/ports.ts';

export class ApprovalReviewError extends Error {
  readonly code: 'NotFound' | 'AlreadyDecided' | 'NotAnApprover' | 'SelfApproval' | 'DuplicateReview' | 'ReasonRequired';
  constructor(code: ApprovalReviewError['code'], message: string) {
    super(message);
    this.name = 'ApprovalReviewError';
    this.code = code;
  }
}

export interface HeldRequest {
  readonly name: string;
  readonly namespace: string;
  readonly spec: ApprovalRequestSpec;
  readonly reviews: Review[];
  phase: 'Pending' | ApprovalOutcome['phase'] | 'Executed' | 'Failed';
  result?: string;
}

interface Entry {
  readonly request: HeldRequest;
  readonly settle: (outcome: ApprovalOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export class InProcessApprovalGate implements ApprovalGate {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(request: HeldRequest) => void>();
  readonly #clock: () => number;

  constructor(options: { clock?: () => number } = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  /** Called for every new request (tests use it to act as reviewers). Returns an unsubscribe function. */
  onRequest(listener: (request: HeldRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(name: string): HeldRequest | undefined {
    return this.#entries.get(name)?.request;
  }

  list(): HeldRequest[] {
    return [...this.#entries.values()].map((entry) => entry.request);
  }

  async request(principal: AgentPrincipal, draft: ApprovalDraft): Promise<PendingApproval> {
    const { ttlSeconds, ...rest } = draft;
    const suffix = Array.from(randomBytes(5), (byte) => NAME_ALPHABET[byte % NAME_ALPHABET.length]).join('');
    const name = `${principal.identity}-${draft.operation.digest.slice('sha256:'.length, 'sha256:'.length + 8)}-${suffix}`;
    const spec: ApprovalRequestSpec = {
      ...rest,
      requester: {
        identity: principal.identity,
        serviceAccount: principal.serviceAccount,
        pod: principal.pod,
        ...(principal.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
        ...(principal.issuer ? { issuer: principal.issuer } : {}),
      },
      expiresAt: new Date(this.#clock() + ttlSeconds * 1000).toISOString(),
    };
    const request: HeldRequest = { name, namespace: principal.namespace, spec, reviews: [], phase: 'Pending' };
    let settle!: (outcome: ApprovalOutcome) => void;
    const outcome = new Promise<ApprovalOutcome>((resolve) => {
      settle = resolve;
    });
    const timer = setTimeout(() => this.#finish(name, { phase: 'Expired' }), ttlSeconds * 1000);
    timer.unref();
    this.#entries.set(name, { request, settle, timer });
    for (const listener of this.#listeners) listener(request);
    return {
      name,
      namespace: principal.namespace,
      outcome,
      withdraw: async (reason) => this.#finish(name, { phase: 'Withdrawn', reason }),
      reportExecution: async ({ ok, result }) => {
        if (request.phase !== 'Approved') return;
        request.phase = ok ? 'Executed' : 'Failed';
        request.result = result;
      },
    };
  }

  approve(name: string, reviewer: { user: string; groups?: readonly string[] }, reason?: string): HeldRequest {
    return this.#review(name, reviewer, 'Approve', reason);
  }

  deny(name: string, reviewer: { user: string; groups?: readonly string[] }, reason: string): HeldRequest {
    if (!reason.trim()) throw new ApprovalReviewError('ReasonRequired', 'a denial needs a reason: say what the agent should do instead');
    return this.#review(name, reviewer, 'Deny', reason);
  }

  /** Stops every expiry timer; pending requests settle Withdrawn. */
  close(): void {
    for (const name of this.#entries.keys()) this.#finish(name, { phase: 'Withdrawn', reason: 'the sidecar is shutting down' });
  }

  #now(): string {
    return new Date(this.#clock()).toISOString();
  }

  /** Records the review the rules admit, then settles the request when the reviews decide it. */
  #review(
    name: string,
    reviewer: { user: string; groups?: readonly string[] },
    decision: Review['decision'],
    reason?: string,
  ): HeldRequest {
    const entry = this.#entries.get(name);
    if (!entry) throw new ApprovalReviewError('NotFound', `ApprovalRequest ${name} not found`);
    const { request } = entry;
    const groups = [...(reviewer.groups ?? [])];
    const refusal = reviewRefusal(underReview(request), { username: reviewer.user, groups });
    if (refusal) throw refusalError(name, reviewer.user, refusal);
    request.reviews.push({ user: reviewer.user, groups, decision, ...(reason ? { reason } : {}), time: this.#now() });
    const decided = decideReviews(underReview(request), new Date(this.#clock()));
    if (decided.phase === 'Approved') this.#finish(name, { phase: 'Approved', approvers: [...decided.approvers] });
    else if (decided.phase === 'Denied')
      this.#finish(name, { phase: 'Denied', reviewer: decided.denial.user, reason: decided.denial.reason ?? '' });
    else if (decided.phase === 'Expired') this.#finish(name, { phase: 'Expired' });
    return request;
  }

  #finish(name: string, outcome: ApprovalOutcome): void {
    const entry = this.#entries.get(name);
    if (entry?.request.phase !== 'Pending') return;
    clearTimeout(entry.timer);
    entry.request.phase = outcome.phase;
    entry.settle(outcome);
  }
}

function underReview(request: HeldRequest): RequestUnderReview {
  return { metadata: { namespace: request.namespace }, spec: request.spec, status: { phase: request.phase, reviews: request.reviews } };
}

function refusalError(name: string, user: string, refusal: ReviewRefusal): ApprovalReviewError {
  switch (refusal.code) {
    case 'Decided':
      return new ApprovalReviewError('AlreadyDecided', `ApprovalRequest ${name} is already ${refusal.phase}`);
    case 'AlreadyReviewed':
      return new ApprovalReviewError('DuplicateReview', `${user} already reviewed ${name}`);
    case 'Requester':
      return new ApprovalReviewError('SelfApproval', `${user} asked for ${name} and cannot review it: it is ${refusal.role.description}`);
    case 'NotApprover':
      return new ApprovalReviewError(
        'NotAnApprover',
        `${user} is not an approver of ${name}: approvers are users [${refusal.users.join(', ')}] and groups [${refusal.groups.join(', ')}]`,
      );
  }
}
