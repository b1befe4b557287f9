/**
 * An ApprovalGate that lives in the sidecar's process: tests and local runs create, review and
 * expire requests here. It applies the same rules the API server's admission policy and the
 * operator's tally apply to ApprovalRequests — distinct approvers, approver users or groups, no
 * self-approval, first final phase wins, expiry at the deadline (a timer, not a poll) — so the
 * sidecar behaves the same whichever gate it is wired to.
 */
import { randomBytes } from 'node:crypto';
import type { ApprovalRequestSpec, Review } from '@airlock/crds';
import type { AgentPrincipal, ApprovalDraft, ApprovalGate, ApprovalOutcome, PendingApproval } from '../ports.ts';

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
    const entry = this.#reviewable(name, reviewer);
    const request = entry.request;
    request.reviews.push({
      user: reviewer.user,
      groups: [...(reviewer.groups ?? [])],
      decision: 'Approve',
      time: this.#now(),
      ...(reason ? { reason } : {}),
    });
    const approvers = [...new Set(request.reviews.filter((review) => review.decision === 'Approve').map((review) => review.user))];
    if (approvers.length >= request.spec.requiredApprovals) this.#finish(name, { phase: 'Approved', approvers });
    return request;
  }

  deny(name: string, reviewer: { user: string; groups?: readonly string[] }, reason: string): HeldRequest {
    if (!reason.trim()) throw new ApprovalReviewError('ReasonRequired', 'a denial needs a reason: say what the agent should do instead');
    const entry = this.#reviewable(name, reviewer);
    entry.request.reviews.push({ user: reviewer.user, groups: [...(reviewer.groups ?? [])], decision: 'Deny', reason, time: this.#now() });
    this.#finish(name, { phase: 'Denied', reviewer: reviewer.user, reason });
    return entry.request;
  }

  /** Stops every expiry timer; pending requests settle Withdrawn. */
  close(): void {
    for (const name of this.#entries.keys()) this.#finish(name, { phase: 'Withdrawn', reason: 'the sidecar is shutting down' });
  }

  #now(): string {
    return new Date(this.#clock()).toISOString();
  }

  #reviewable(name: string, reviewer: { user: string; groups?: readonly string[] }): Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new ApprovalReviewError('NotFound', `ApprovalRequest ${name} not found`);
    const { request } = entry;
    if (request.phase !== 'Pending') throw new ApprovalReviewError('AlreadyDecided', `ApprovalRequest ${name} is already ${request.phase}`);
    const { requester, approvers } = request.spec;
    if ([requester.serviceAccount, requester.onBehalfOf, requester.identity].includes(reviewer.user)) {
      throw new ApprovalReviewError('SelfApproval', `${reviewer.user} asked for ${name} and cannot review it`);
    }
    const allowed =
      (approvers.users ?? []).includes(reviewer.user) || (approvers.groups ?? []).some((group) => reviewer.groups?.includes(group));
    if (!allowed) {
      throw new ApprovalReviewError(
        'NotAnApprover',
        `${reviewer.user} is not an approver of ${name}: approvers are users [${(approvers.users ?? []).join(', ')}] and groups [${(approvers.groups ?? []).join(', ')}]`,
      );
    }
    if (request.reviews.some((review) => review.user === reviewer.user)) {
      throw new ApprovalReviewError('DuplicateReview', `${reviewer.user} already reviewed ${name}`);
    }
    return entry;
  }

  #finish(name: string, outcome: ApprovalOutcome): void {
    const entry = this.#entries.get(name);
    if (entry?.request.phase !== 'Pending') return;
    clearTimeout(entry.timer);
    entry.request.phase = outcome.phase;
    entry.settle(outcome);
  }
}
