import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALICE, approvalRequest, NOW } from '../testing/requests.ts';
import { appendReviewPatch } from './review-patch.ts';

const review = {
  user: 'alice@example.com',
  groups: ['db-owners', 'airlock-reviewers', 'system:authenticated'],
  decision: 'Approve',
  reason: 'ok',
  time: '2026-11-21T13:25:00Z',
};

test('the first review creates the list; later ones append; both only if nobody wrote in between', () => {
  const input = { me: ALICE, decision: 'Approve' as const, reason: 'ok', now: NOW };
  const test = { op: 'test', path: '/metadata/resourceVersion', value: '4711' };
  assert.deepEqual(appendReviewPatch(approvalRequest(), input), [test, { op: 'add', path: '/status/reviews', value: [review] }]);
  const reviewed = approvalRequest({ reviews: [{ user: 'bob@example.com', decision: 'Approve', time: '2026-11-21T13:24:00Z' }] });
  assert.deepEqual(appendReviewPatch(reviewed, input), [test, { op: 'add', path: '/status/reviews/-', value: review }]);
  assert.deepEqual(appendReviewPatch(approvalRequest({ withStatus: false }), input), [
    test,
    { op: 'add', path: '/status', value: { reviews: [review] } },
  ]);
});

test('--digest pins the exact command in the same write; a deny carries its reason', () => {
  const digest = `sha256:${'d4'.repeat(32)}`;
  const patch = appendReviewPatch(approvalRequest(), { me: ALICE, decision: 'Deny', reason: 'not today', digest, now: NOW });
  assert.deepEqual(patch[1], { op: 'test', path: '/spec/operation/digest', value: digest });
  assert.deepEqual(patch[2], { op: 'add', path: '/status/reviews', value: [{ ...review, decision: 'Deny', reason: 'not today' }] });
});
