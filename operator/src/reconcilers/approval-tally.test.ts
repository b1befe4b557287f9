import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sampleApprovalRequest } from '@airlock/contracts/testing/approval-request';
import type { ApprovalRequest, Review } from '@airlock/crds';
import { garbageCollectAt, judgeReview, tally } from './approval-tally.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const SA = 'system:serviceaccount:agents:ci';

function request(reviews: Review[] = [], overrides: Partial<ApprovalRequest['spec']> = {}, phase?: string): ApprovalRequest {
  return sampleApprovalRequest({ spec: overrides, status: { ...(phase ? { phase: phase as 'Pending' } : {}), reviews } });
}

const approve = (user: string, groups: string[] = ['db-owners']): Review => ({
  user,
  groups,
  decision: 'Approve',
  time: NOW.toISOString(),
});

describe('tally', () => {
  test('a new request becomes Pending and says what it waits for, rechecking at expiry', () => {
    const result = tally(request(), NOW);
    assert.equal(result.phase, 'Pending');
    assert.equal(result.approvals, '0/2');
    assert.match(result.message, /Waiting for 2 more approvals from group db-owners or erin@example.com/);
    assert.deepEqual(result.transition, { from: undefined, to: 'Pending' });
    assert.equal(result.recheckInMs, 15 * 60_000);
  });

  test('two distinct approvers approve; one is not enough', () => {
    assert.equal(tally(request([approve('alice@example.com')], {}, 'Pending'), NOW).phase, 'Pending');
    const done = tally(request([approve('alice@example.com'), approve('bob@example.com')], {}, 'Pending'), NOW);
    assert.equal(done.phase, 'Approved');
    assert.equal(done.approvals, '2/2');
    assert.equal(done.decidedAt, NOW.toISOString());
    assert.deepEqual(done.transition, { from: 'Pending', to: 'Approved' });
  });

  test('the same user twice counts once', () => {
    const result = tally(request([approve('alice@example.com'), approve('alice@example.com')], {}, 'Pending'), NOW);
    assert.equal(result.phase, 'Pending');
    assert.equal(result.approvals, '1/2');
  });

  test('requester, on-behalf-of person and outsiders do not count, and the message says why', () => {
    const result = tally(
      request([approve(SA), approve('carol@example.com'), approve('dave@example.com', ['developers'])], {}, 'Pending'),
      NOW,
    );
    assert.equal(result.phase, 'Pending');
    assert.equal(result.approvals, '0/2');
    assert.match(result.message, /requester cannot review/);
    assert.match(result.message, /acts for cannot review/);
    assert.match(result.message, /dave@example.com \(not one of the approver users or groups\)/);
  });

  test("service accounts of the agent's and of the request's namespace do not count, even when named approvers", () => {
    const neighbour = 'system:serviceaccount:agents:identity-sa';
    const local = 'system:serviceaccount:approvals:bot';
    const r = request(
      [approve(neighbour, []), approve(local, [])],
      { approvers: { users: [neighbour, local] }, requiredApprovals: 1 },
      'Pending',
    );
    r.metadata.namespace = 'approvals';
    const result = tally(r, NOW);
    assert.equal(result.phase, 'Pending');
    assert.equal(result.approvals, '0/1');
    assert.match(result.message, /identity-sa \(a service account of the agent's namespace agents cannot review/);
    assert.match(result.message, /approvals:bot \(a service account of the request's namespace approvals cannot review/);
  });

  test('a service account of another namespace, named an approver, counts', () => {
    const bot = 'system:serviceaccount:bots:reviewer';
    const result = tally(request([approve(bot, [])], { approvers: { users: [bot] }, requiredApprovals: 1 }, 'Pending'), NOW);
    assert.equal(result.phase, 'Approved');
  });

  test('an approver named by user counts without a group', () => {
    const result = tally(request([approve('erin@example.com', []), approve('alice@example.com')], {}, 'Pending'), NOW);
    assert.equal(result.phase, 'Approved');
  });

  test('one authorized deny decides, even with enough approvals', () => {
    const deny: Review = { user: 'bob@example.com', groups: ['db-owners'], decision: 'Deny', reason: 'not today', time: NOW.toISOString() };
    const result = tally(request([approve('alice@example.com'), approve('erin@example.com', []), deny], {}, 'Pending'), NOW);
    assert.equal(result.phase, 'Denied');
    assert.equal(result.message, 'Denied by bob@example.com: not today');
  });

  test("an outsider's deny does not decide", () => {
    const deny: Review = { user: 'dave@example.com', groups: ['developers'], decision: 'Deny', reason: 'no', time: NOW.toISOString() };
    assert.equal(tally(request([deny], {}, 'Pending'), NOW).phase, 'Pending');
  });

  test('at the deadline the request expires; approvals after it are too late', () => {
    const late = new Date('2026-11-21T12:15:00Z');
    const result = tally(request([approve('alice@example.com')], {}, 'Pending'), late);
    assert.equal(result.phase, 'Expired');
    assert.match(result.message, /with 1 of 2 approvals/);
    assert.equal(result.recheckInMs, undefined);
  });

  test('past the deadline no review counts: enough approvals or a deny seen late still expire', () => {
    const late = new Date('2026-11-21T12:20:00Z');
    const approved = tally(request([approve('alice@example.com'), approve('bob@example.com')], {}, 'Pending'), late);
    assert.equal(approved.phase, 'Expired');
    assert.match(approved.message, /with 2 of 2 approvals; reviews seen after the deadline do not count/);
    const deny: Review = { user: 'bob@example.com', groups: ['db-owners'], decision: 'Deny', reason: 'no', time: NOW.toISOString() };
    assert.equal(tally(request([deny], {}, 'Pending'), late).phase, 'Expired');
  });

  test('a decided request never moves again', () => {
    for (const phase of ['Approved', 'Denied', 'Expired', 'Withdrawn', 'Executed', 'Failed']) {
      const r = request([], {}, phase);
      r.status!.message = 'kept';
      const result = tally(r, new Date('2030-01-01T00:00:00Z'));
      assert.equal(result.phase, phase);
      assert.equal(result.transition, undefined);
      assert.equal(result.message, 'kept');
    }
  });

  test('judgeReview names the rule a review breaks', () => {
    assert.equal(judgeReview(request(), approve('alice@example.com')).counts, true);
    assert.equal(judgeReview(request(), approve(SA)).counts, false);
  });
});

describe('garbageCollectAt', () => {
  test('only finished requests, retention after they finished', () => {
    const pending = request([], {}, 'Pending');
    assert.equal(garbageCollectAt(pending, 1000), undefined);
    const executed = request([], {}, 'Executed');
    executed.status!.executedAt = '2026-11-21T12:00:00Z';
    assert.equal(garbageCollectAt(executed, 60_000), Date.parse('2026-11-21T12:01:00Z'));
    const approved = request([], {}, 'Approved');
    assert.equal(garbageCollectAt(approved, 1000), undefined);
  });
});
