import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalRequest, ApprovalRequestStatus } from '@airlock/crds';
import { deletedOutcome, outcomeState } from './approval-outcome.ts';
import { executionReport, initialStatus, withdrawal } from './approval-status-writes.ts';
import { POD } from './testing/objects.ts';

const NOW = new Date(Date.UTC(2026, 0, 1));
const at = NOW.toISOString();

function request(status?: ApprovalRequestStatus): ApprovalRequest {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalRequest',
    metadata: { name: 'ci-migrations-bcd', namespace: POD.namespace, resourceVersion: '7' },
    spec: {
      requester: { identity: 'ci-migrations', serviceAccount: POD.serviceAccount, pod: { name: POD.name, uid: POD.uid } },
      target: { name: 'orders-db', type: 'postgres' },
      operation: { text: 'DROP TABLE t', summary: 'DROP TABLE t', digest: `sha256:${'0'.repeat(64)}`, sessionID: 's' },
      policy: { name: 'p', rule: 'ddl' },
      requiredApprovals: 2,
      approvers: { groups: ['db-owners'] },
      scope: 'once',
      expiresAt: at,
    },
    ...(status ? { status } : {}),
  };
}

const approve = (user: string, groups = ['db-owners']) => ({ user, groups, decision: 'Approve' as const, time: at });

test('pending: before the tally and while Pending, with the approvals so far', () => {
  assert.deepEqual(outcomeState(request()), { kind: 'pending', line: { type: 'pending', approvals: '0/2' } });
  assert.deepEqual(outcomeState(request({ phase: 'Pending', approvals: '1/2' })), {
    kind: 'pending',
    line: { type: 'pending', approvals: '1/2' },
  });
});

test('Approved names the approvers whose reviews count, not the requester or outsiders', () => {
  const state = outcomeState(
    request({
      phase: 'Approved',
      reviews: [approve('alice@example.com'), approve('dave@example.com', ['developers']), approve('bob@example.com')],
    }),
  );
  assert.deepEqual(state, {
    kind: 'decided',
    line: { type: 'outcome', outcome: { phase: 'Approved', approvers: ['alice@example.com', 'bob@example.com'] } },
  });
});

test('Denied names the reviewer and the reason; Expired and Withdrawn say so', () => {
  const denied = outcomeState(
    request({
      phase: 'Denied',
      reviews: [{ user: 'alice@example.com', groups: ['db-owners'], decision: 'Deny', reason: 'not today', time: at }],
    }),
  );
  assert.deepEqual(denied, {
    kind: 'decided',
    line: { type: 'outcome', outcome: { phase: 'Denied', reviewer: 'alice@example.com', reason: 'not today' } },
  });
  assert.deepEqual(outcomeState(request({ phase: 'Expired' })), {
    kind: 'decided',
    line: { type: 'outcome', outcome: { phase: 'Expired' } },
  });
  assert.deepEqual(outcomeState(request({ phase: 'Withdrawn', message: 'gone' })), {
    kind: 'decided',
    line: { type: 'outcome', outcome: { phase: 'Withdrawn', reason: 'gone' } },
  });
  assert.deepEqual(deletedOutcome('x').type === 'outcome' && deletedOutcome('x'), {
    type: 'outcome',
    outcome: { phase: 'Expired' },
    message: 'ApprovalRequest x was deleted before it was decided',
  });
});

test('Executed and Failed: the approval was used, no outcome is served again', () => {
  assert.deepEqual(outcomeState(request({ phase: 'Executed' })), { kind: 'ran', phase: 'Executed' });
  assert.deepEqual(outcomeState(request({ phase: 'Failed' })), { kind: 'ran', phase: 'Failed' });
});

test('the first status is Pending 0/N, once', () => {
  assert.deepEqual(initialStatus(request()), { kind: 'patch', status: { phase: 'Pending', approvals: '0/2' } });
  assert.deepEqual(initialStatus(request({ phase: 'Pending', approvals: '1/2' })), { kind: 'done' });
});

test('withdraw: from Pending or Approved; again is done; after a final phase it is refused', () => {
  const patch = withdrawal(request({ phase: 'Pending' }), 'the agent cancelled', NOW);
  assert.deepEqual(patch, {
    kind: 'patch',
    status: { phase: 'Withdrawn', message: 'Withdrawn by the sidecar: the agent cancelled', decidedAt: at },
  });
  assert.equal(withdrawal(request({ phase: 'Approved' }), 'x', NOW).kind, 'patch');
  assert.equal(withdrawal(request({ phase: 'Withdrawn' }), 'x', NOW).kind, 'done');
  assert.equal(withdrawal(request({ phase: 'Denied' }), 'x', NOW).kind, 'refuse');
  assert.equal(withdrawal(request({ phase: 'Executed' }), 'x', NOW).kind, 'refuse');
});

test('execution: only after Approved; the same report again is done; the result is cut to the CRD limit', () => {
  assert.deepEqual(executionReport(request({ phase: 'Approved' }), { ok: true, result: 'DROP TABLE' }, NOW), {
    kind: 'patch',
    status: { phase: 'Executed', executedAt: at, result: 'DROP TABLE' },
  });
  const failed = executionReport(request({ phase: 'Approved' }), { ok: false, result: 'x'.repeat(5000) }, NOW);
  assert.ok(failed.kind === 'patch' && failed.status.phase === 'Failed' && (failed.status.result?.length ?? 0) <= 1024);
  assert.equal(executionReport(request({ phase: 'Executed' }), { ok: true, result: '' }, NOW).kind, 'done');
  assert.equal(executionReport(request({ phase: 'Pending' }), { ok: true, result: '' }, NOW).kind, 'refuse');
  assert.equal(executionReport(request({ phase: 'Withdrawn' }), { ok: true, result: '' }, NOW).kind, 'refuse');
});
