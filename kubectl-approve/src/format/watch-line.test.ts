import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvalRequest } from '../testing/requests.ts';
import { watchLine } from './watch-line.ts';

test('one logfmt line per event, quoted where needed, never a raw newline', () => {
  const request = approvalRequest({ summary: 'DROP TABLE "x"\n; SELECT 1' });
  assert.equal(
    watchLine({ type: 'pending', request }, 'line'),
    'event=pending namespace=agents name=ci-migrations-d46efe53-7kq2x phase=Pending requester=ci-migrations target=orders-db approvals=0/2 expiresAt=2026-11-21T13:30:00Z summary="DROP TABLE \\"x\\" ; SELECT 1"\n',
  );
  const reviewed = approvalRequest({ reviews: [{ user: 'alice@example.com', decision: 'Approve', time: '2026-11-21T13:26:00Z' }] });
  assert.match(watchLine({ type: 'reviewed', request: reviewed }, 'line'), / reviewer=alice@example.com decision=Approve summary=/);
});

test('-o json: one object per line; -o name: the resource name', () => {
  const request = approvalRequest();
  const line = watchLine({ type: 'approved', request }, 'json');
  assert.equal(line.split('\n').length, 2);
  assert.deepEqual(JSON.parse(line), { type: 'approved', object: request });
  assert.equal(watchLine({ type: 'pending', request }, 'name'), 'approvalrequest.airlock.dev/ci-migrations-d46efe53-7kq2x\n');
});
