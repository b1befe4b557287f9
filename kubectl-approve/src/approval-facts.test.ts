import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvalsOf, phaseOf, reviewerStanding } from './approval-facts.ts';
import { ALICE, approvalRequest, CAROL } from './testing/requests.ts';

test("approvals: the operator's tally when written, else the Approve reviews over the required number", () => {
  assert.equal(approvalsOf(approvalRequest({ approvals: '1/2' })), '1/2');
  const { status: _, ...fresh } = approvalRequest();
  assert.equal(phaseOf(fresh), 'Pending');
  const reviews = [
    { user: 'a', decision: 'Approve' as const, time: 't' },
    { user: 'b', decision: 'Deny' as const, reason: 'no', time: 't' },
    { user: 'c', decision: 'Approve' as const, time: 't' },
    { user: 'd', decision: 'Approve' as const, time: 't' },
  ];
  assert.equal(approvalsOf({ ...fresh, status: { reviews } }), '2/2');
});

test('standing predicts the admission policy: requester roles first, then approver users and groups', () => {
  const request = approvalRequest({ approvers: { users: ['dave@example.com'], groups: ['db-owners'] } });
  const standing = (username: string, groups: string[] = []) => reviewerStanding(request, { username, groups });
  assert.deepEqual(standing('system:serviceaccount:agents:ci-migrations'), { kind: 'requester', role: "the agent's service account" });
  assert.deepEqual(standing('system:serviceaccount:agents:other', ['db-owners']), {
    kind: 'requester',
    role: "a service account of the agent's namespace agents",
  });
  assert.deepEqual(standing('dave@example.com'), { kind: 'approver', as: 'a named approver' });
  assert.deepEqual(reviewerStanding(request, ALICE), { kind: 'approver', as: 'a member of group db-owners' });
  assert.deepEqual(reviewerStanding(request, CAROL), { kind: 'not-approver', users: ['dave@example.com'], groups: ['db-owners'] });
});
