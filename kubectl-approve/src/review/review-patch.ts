/**
 * The JSON patch that appends one review to status.reviews, as the admission policy expects it:
 * user and groups exactly as SelfSubjectReview reports them, the decision, a reason, the time.
 * Pure.
 *
 * `test` operations make the patch conditional, atomically on the server: on the resourceVersion
 * read (so a first review never overwrites a list another reviewer created in the meantime; the
 * caller re-reads and retries) and, with --digest, on the exact command the reviewer checked.
 */
import type { ApprovalRequest, Review } from '@airlock/crds';
import type { Reviewer } from '../approval-facts.ts';

export type Decision = Review['decision'];

export interface ReviewInput {
  readonly me: Reviewer;
  readonly decision: Decision;
  readonly reason?: string | undefined;
  /** Refuse unless spec.operation.digest is this. */
  readonly digest?: string | undefined;
  readonly now: Date;
}

export function review(input: ReviewInput): Review {
  return {
    user: input.me.username,
    groups: [...input.me.groups],
    decision: input.decision,
    ...(input.reason ? { reason: input.reason } : {}),
    // Seconds: the form kubectl and the API server print.
    time: input.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export function appendReviewPatch(current: ApprovalRequest, input: ReviewInput): object[] {
  const value = review(input);
  return [
    { op: 'test', path: '/metadata/resourceVersion', value: current.metadata.resourceVersion },
    ...(input.digest ? [{ op: 'test', path: '/spec/operation/digest', value: input.digest }] : []),
    current.status?.reviews
      ? { op: 'add', path: '/status/reviews/-', value }
      : current.status
        ? { op: 'add', path: '/status/reviews', value: [value] }
        : // The operator has not written a status yet.
          { op: 'add', path: '/status', value: { reviews: [value] } },
  ];
}
