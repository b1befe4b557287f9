import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApprovalRequest, Review } from '@airlock/crds';
import { sampleApprovalRequest } from '../testing/approval-request.ts';
import { caseRequestBefore, caseReview, REVIEW_CASES, REVIEWERS } from '../testing/review-cases.ts';
import { approverBasis, decideReviews, isPastExpiry, judgeReview, requesterRole, reviewRefusal } from './review-rules.ts';

const NOW = new Date('2026-11-21T12:00:00Z');

describe('the shared table of review cases (the e2e test runs it against the API server)', () => {
  for (const c of REVIEW_CASES) {
    test(`${c.name}: ${c.reviewer} ${c.decision === 'Approve' ? 'approves' : 'denies'} → ${c.expect.admitted ? `admitted, ${c.expect.outcome}` : c.expect.refusal}`, () => {
      const before = caseRequestBefore(c, NOW);
      const refusal = reviewRefusal(before, REVIEWERS[c.reviewer]);
      if (!c.expect.admitted) {
        assert.equal(refusal?.code, c.expect.refusal);
        if (c.expect.role) assert.equal(refusal?.code === 'Requester' ? refusal.role.kind : undefined, c.expect.role);
        return;
      }
      assert.equal(refusal, undefined);
      const review = caseReview(c.reviewer, c.decision, NOW);
      // What admission lets in, the tally counts: no review is admitted only to be ignored for who wrote it.
      assert.equal(judgeReview(before, review).counts, true);
      const after: ApprovalRequest = { ...before, status: { ...before.status, reviews: [...(before.status?.reviews ?? []), review] } };
      assert.equal(decideReviews(after, NOW).phase, c.expect.outcome);
    });
  }

  test('covers every refusal and every requester role', () => {
    const refusals = new Set(REVIEW_CASES.flatMap((c) => (c.expect.admitted ? [] : [c.expect.refusal])));
    assert.deepEqual([...refusals].sort(), ['AlreadyReviewed', 'Decided', 'NotApprover', 'Requester']);
    const roles = new Set(REVIEW_CASES.flatMap((c) => (!c.expect.admitted && c.expect.role ? [c.expect.role] : [])));
    assert.deepEqual([...roles].sort(), [
      'agent-namespace-service-account',
      'agent-service-account',
      'on-behalf-of',
      'request-namespace-service-account',
    ]);
  });
});

function request(
  overrides: Partial<ApprovalRequest['spec']> = {},
  status?: ApprovalRequest['status'],
  namespace = 'agents',
): ApprovalRequest {
  return sampleApprovalRequest({ spec: overrides, ...(status ? { status } : {}), namespace });
}

const review = (user: string, decision: Review['decision'] = 'Approve', groups: string[] = ['db-owners']): Review => ({
  user,
  groups,
  decision,
  ...(decision === 'Deny' ? { reason: 'no' } : {}),
  time: NOW.toISOString(),
});

describe('requesters', () => {
  test('the agent, the person it acts for, and service accounts of the agent’s and the request’s namespace', () => {
    const r = request({}, undefined, 'approvals');
    assert.equal(requesterRole(r, 'system:serviceaccount:agents:ci')?.kind, 'agent-service-account');
    assert.equal(requesterRole(r, 'carol@example.com')?.kind, 'on-behalf-of');
    assert.deepEqual(requesterRole(r, 'system:serviceaccount:agents:other'), {
      kind: 'agent-namespace-service-account',
      description: "a service account of the agent's namespace agents",
    });
    assert.deepEqual(requesterRole(r, 'system:serviceaccount:approvals:bot'), {
      kind: 'request-namespace-service-account',
      description: "a service account of the request's namespace approvals",
    });
    assert.equal(requesterRole(r, 'system:serviceaccount:bots:bot'), undefined);
    assert.equal(requesterRole(r, 'alice@example.com'), undefined);
  });

  test('the AgentIdentity’s name is not a principal', () => {
    assert.equal(requesterRole(request(), 'ci'), undefined);
  });

  test('names that only look like a service account of the namespace are not one', () => {
    assert.equal(requesterRole(request(), 'system:serviceaccount:agentsX:ci'), undefined);
    assert.equal(requesterRole(request(), 'agents:ci'), undefined);
  });

  test('a request without onBehalfOf has no person behind it', () => {
    const r = request({ requester: { identity: 'ci', serviceAccount: 'system:serviceaccount:agents:ci', pod: { name: 'p', uid: 'u' } } });
    assert.equal(requesterRole(r, ''), undefined);
  });
});

describe('approvers', () => {
  test('named users, then members of an approver group', () => {
    assert.deepEqual(approverBasis(request(), { username: 'erin@example.com', groups: [] }), { by: 'user' });
    assert.deepEqual(approverBasis(request(), { username: 'alice@example.com', groups: ['x', 'db-owners'] }), {
      by: 'group',
      group: 'db-owners',
    });
    assert.equal(approverBasis(request(), { username: 'dave@example.com', groups: ['developers'] }), undefined);
  });

  test('a requester named as an approver is still a requester', () => {
    const r = request({ approvers: { users: ['system:serviceaccount:agents:ci'] } });
    assert.equal(reviewRefusal(r, { username: 'system:serviceaccount:agents:ci', groups: [] })?.code, 'Requester');
    assert.equal(judgeReview(r, review('system:serviceaccount:agents:ci')).counts, false);
  });

  test('a written review counts by the groups it records', () => {
    assert.equal(judgeReview(request(), review('alice@example.com', 'Approve', [])).counts, false);
    assert.equal(judgeReview(request(), review('alice@example.com')).counts, true);
  });
});

describe('reviewRefusal follows the API server’s order: decided, reviewed, requester, approver', () => {
  test('a decided request refuses everyone, requesters included', () => {
    for (const phase of ['Approved', 'Denied', 'Expired', 'Withdrawn', 'Executed', 'Failed'] as const) {
      const r = request({}, { phase });
      assert.deepEqual(reviewRefusal(r, { username: 'system:serviceaccount:agents:ci', groups: [] }), { code: 'Decided', phase });
    }
  });

  test('a second review by the same user', () => {
    const own = review('alice@example.com');
    assert.deepEqual(
      reviewRefusal(request({}, { phase: 'Pending', reviews: [own] }), { username: 'alice@example.com', groups: ['db-owners'] }),
      {
        code: 'AlreadyReviewed',
        review: own,
      },
    );
  });

  test('no status yet is Pending', () => {
    assert.equal(reviewRefusal(request(), { username: 'alice@example.com', groups: ['db-owners'] }), undefined);
  });

  test('a non-approver is told who the approvers are', () => {
    assert.deepEqual(reviewRefusal(request(), { username: 'dave@example.com', groups: [] }), {
      code: 'NotApprover',
      users: ['erin@example.com'],
      groups: ['db-owners'],
    });
  });
});

describe('decideReviews', () => {
  const pending = (reviews: Review[], overrides: Partial<ApprovalRequest['spec']> = {}) =>
    request(overrides, { phase: 'Pending', reviews });

  test('distinct approvers count; the same user twice counts once', () => {
    assert.equal(decideReviews(pending([review('alice@example.com'), review('alice@example.com')]), NOW).phase, 'Pending');
    const done = decideReviews(pending([review('alice@example.com'), review('erin@example.com', 'Approve', [])]), NOW);
    assert.equal(done.phase, 'Approved');
    assert.deepEqual(done.approvers, ['alice@example.com', 'erin@example.com']);
  });

  test('requesters and outsiders do not count, and say why', () => {
    const d = decideReviews(
      pending([
        review('system:serviceaccount:agents:ci'),
        review('system:serviceaccount:agents:bot'),
        review('carol@example.com'),
        review('dave@example.com', 'Approve', ['developers']),
      ]),
      NOW,
    );
    assert.equal(d.phase, 'Pending');
    assert.deepEqual(d.approvers, []);
    assert.deepEqual(
      d.verdicts.map((v) => (v.refusal?.code === 'Requester' ? v.refusal.role.kind : v.refusal?.code)),
      ['agent-service-account', 'agent-namespace-service-account', 'on-behalf-of', 'NotApprover'],
    );
  });

  test('one counting Deny wins over enough approvals; an outsider’s does not', () => {
    const deny = review('bob@example.com', 'Deny');
    const d = decideReviews(pending([review('alice@example.com'), review('erin@example.com', 'Approve', []), deny]), NOW);
    assert.equal(d.phase, 'Denied');
    assert.equal(d.denial, deny);
    assert.equal(decideReviews(pending([review('dave@example.com', 'Deny', ['developers'])]), NOW).phase, 'Pending');
  });

  test('at expiresAt the request is Expired and no review counts, however many arrived', () => {
    const reviews = [review('alice@example.com'), review('erin@example.com', 'Approve', [])];
    assert.equal(decideReviews(pending(reviews), new Date('2026-11-21T12:14:59.999Z')).phase, 'Approved');
    assert.equal(decideReviews(pending(reviews), new Date('2026-11-21T12:15:00Z')).phase, 'Expired');
    assert.equal(decideReviews(pending([review('bob@example.com', 'Deny')]), new Date('2026-11-21T13:00:00Z')).phase, 'Expired');
  });

  test('an unreadable deadline has passed', () => {
    assert.equal(isPastExpiry(request({ expiresAt: 'soon' }), NOW), true);
    assert.equal(isPastExpiry(request(), NOW), false);
  });
});
