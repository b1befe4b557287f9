import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvalsOf, isExpired, phaseOf, reviewerStanding } from './approval-facts.ts';
import { ALICE, approvalRequest, CAROL } from './testing/requests.ts';

test("approvals: the operator's tally when written, else the distinct approvers the operator will count", () => {
  assert.equal(approvalsOf(approvalRequest({ approvals: '1/2' })), '1/2');
  const { status: _, ...fresh } = approvalRequest({ approvers: { users: ['a', 'b', 'c'], groups: ['db-owners'] } });
  assert.equal(phaseOf(fresh), 'Pending');
  const reviews = [
    { user: 'a', decision: 'Approve' as const, time: 't' },
    { user: 'b', decision: 'Deny' as const, reason: 'no', time: 't' },
    { user: 'c', decision: 'Approve' as const, time: 't' },
    { user: 'd', decision: 'Approve' as const, time: 't' },
  ];
  assert.equal(approvalsOf({ ...fresh, status: { reviews } }), '2/2');
  // Not counted: an outsider, a group approval without recorded groups, a service account of the agent's namespace.
  const uncounted = [
    { user: 'a', decision: 'Approve' as const, time: 't' },
    { user: 'dave@example.com', groups: ['developers'], decision: 'Approve' as const, time: 't' },
    { user: 'alice@example.com', decision: 'Approve' as const, time: 't' },
    { user: 'system:serviceaccount:agents:other', groups: ['db-owners'], decision: 'Approve' as const, time: 't' },
  ];
  assert.equal(approvalsOf({ ...fresh, status: { reviews: uncounted } }), '1/2');
});

test('expired: Pending and at or past expiresAt', () => {
  const request = approvalRequest({ expiresAt: '2026-11-21T13:30:00Z' });
  assert.equal(isExpired(request, new Date('2026-11-21T13:29:59Z')), false);
  assert.equal(isExpired(request, new Date('2026-11-21T13:30:00Z')), true);
  assert.equal(
    isExpired(approvalRequest({ phase: 'Approved', expiresAt: '2026-11-21T13:30:00Z' }), new Date('2026-11-21T14:00:00Z')),
    false,
  );
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

test("standing: a service account of the request's namespace is a requester; the AgentIdentity's name is not", () => {
  const request = approvalRequest({
    namespace: 'approvals',
    approvers: { users: ['system:serviceaccount:approvals:bot', 'ci-migrations'] },
  });
  assert.deepEqual(reviewerStanding(request, { username: 'system:serviceaccount:approvals:bot', groups: [] }), {
    kind: 'requester',
    role: "a service account of the request's namespace approvals",
  });
  assert.deepEqual(reviewerStanding(request, { username: 'ci-migrations', groups: [] }), { kind: 'approver', as: 'a named approver' });
});
