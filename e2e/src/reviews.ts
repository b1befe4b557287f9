/** Appending a review the way `kubectl approve` does: a JSON patch on the status subresource. */
export interface ReviewInput {
  readonly user: string;
  readonly groups?: readonly string[];
  readonly decision: 'Approve' | 'Deny';
  readonly reason?: string;
}

/** The JSON patch that appends `review`; `hasReviews` says whether status.reviews exists yet. */
export function appendReviewPatch(review: ReviewInput, hasReviews: boolean, now = new Date()): string {
  const value = {
    user: review.user,
    ...(review.groups ? { groups: [...review.groups] } : {}),
    decision: review.decision,
    ...(review.reason ? { reason: review.reason } : {}),
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  return JSON.stringify(
    hasReviews ? [{ op: 'add', path: '/status/reviews/-', value }] : [{ op: 'add', path: '/status/reviews', value: [value] }],
  );
}
