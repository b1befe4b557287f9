import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT_CODES } from '../errors.ts';
import { ALICE, approvalRequest, CAROL, NOW } from '../testing/requests.ts';
import { preReviewProblem, rbacForbidden, reviewRefused } from './review-errors.ts';

test('decided, expired, already reviewed and another digest are caught before writing', () => {
  assert.equal(preReviewProblem(approvalRequest(), ALICE, NOW), undefined);
  const denied = approvalRequest({ phase: 'Denied' });
  const decided = preReviewProblem(
    { ...denied, status: { ...denied.status, decidedAt: '2026-11-21T13:23:00Z', message: 'Denied by bob: no' } },
    ALICE,
    NOW,
  );
  assert.equal(decided?.code, 'AlreadyDecided');
  assert.equal(decided?.exitCode, 4);
  assert.equal(
    decided?.message,
    'agents/ci-migrations-d46efe53-7kq2x is already Denied (decided 2m ago): Denied by bob: no. Reviews are closed; if the command is still needed, the agent must run it again.',
  );
  const expired = preReviewProblem(approvalRequest({ expiresAt: '2026-11-21T13:20:00Z' }), ALICE, NOW);
  assert.equal(expired?.code, 'Expired');
  assert.match(expired?.message ?? '', /expired 5m ago \(at 2026-11-21T13:20:00Z\)/);
  const mine = approvalRequest({ reviews: [{ user: ALICE.username, decision: 'Approve', time: '2026-11-21T13:24:00Z' }] });
  assert.equal(preReviewProblem(mine, ALICE, NOW)?.code, 'AlreadyReviewed');
  assert.equal(preReviewProblem(approvalRequest(), ALICE, NOW, `sha256:${'00'.repeat(32)}`)?.code, 'DigestMismatch');
});

test("the API server's refusals become stable codes and keep its message", () => {
  const request = approvalRequest();
  const policy = "ValidatingAdmissionPolicy 'airlock-approval-reviews' with binding 'airlock-approval-reviews' denied request: ";
  const self = reviewRefused(
    request,
    ALICE,
    'ApprovalRequest.airlock.dev "x" is invalid: status.reviews: Invalid value: "array": a requester cannot review its own request',
    NOW,
  );
  assert.equal(self.code, 'SelfReview');
  assert.equal(self.exitCode, 7);
  assert.match(self.message, /The API server said: .*a requester cannot review its own request/);
  const notApprover = reviewRefused(
    request,
    CAROL,
    `${policy}carol@example.com is not an approver of this request: its approvers are the users [] and the members of the groups [db-owners], and your groups are [sre, airlock-reviewers, system:authenticated]; ask one of them to review`,
    NOW,
  );
  assert.equal(notApprover.code, 'NotApprover');
  assert.equal(notApprover.exitCode, EXIT_CODES.Forbidden);
  assert.match(
    notApprover.message,
    /^carol@example.com is not an approver of agents\/ci-migrations-d46efe53-7kq2x: reviewing it needs membership in group db-owners; your groups are sre, airlock-reviewers, system:authenticated/,
  );
  assert.equal(reviewRefused(request, ALICE, `${policy}the request is already Approved: reviews are closed`, NOW).code, 'AlreadyDecided');
  assert.equal(
    reviewRefused(request, ALICE, 'status.reviews[1]: Duplicate value: map[string]interface {}{"user":"alice@example.com"}', NOW).code,
    'AlreadyReviewed',
  );
  assert.equal(reviewRefused(request, ALICE, 'something else entirely', NOW).code, 'Refused');
});

test('an RBAC refusal names the permission, the role, and the binding an admin would create', () => {
  const error = rbacForbidden('dave@example.com', 'get', 'approvalrequests', 'agents');
  assert.equal(error.code, 'Forbidden');
  assert.equal(error.exitCode, 6);
  assert.match(
    error.message,
    /^dave@example.com may not get approvalrequests.airlock.dev in namespace agents \(RBAC\)\. Reviewers need ClusterRole airlock-reviewer/,
  );
  assert.match(
    error.message,
    /kubectl create rolebinding airlock-reviewer --clusterrole=airlock-reviewer --user=dave@example.com -n agents/,
  );
  assert.match(
    rbacForbidden('dave@example.com', 'patch', 'approvalrequests/status', 'agents').message,
    /may not patch approvalrequests.airlock.dev\/status/,
  );
});
