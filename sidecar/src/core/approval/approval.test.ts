import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationSeconds, operationDigest } from '@airlock/contracts/approval';
import { ApprovalReviewError, InProcessApprovalGate } from '../../in-process/in-process-gate.ts';
import type { AgentPrincipal, ApprovalDraft } from '../ports.ts';
import { ApprovalGrants } from './grants.ts';

const principal: AgentPrincipal = {
  identity: 'ci-migrations',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:ci-migrations',
  pod: { name: 'job-1', uid: 'uid-1' },
  groups: [],
  onBehalfOf: 'dave@example.com',
};

const base = {
  text: 'DELETE FROM t WHERE id = $1',
  target: { namespace: 'agents', name: 'db' },
  identity: { namespace: 'agents', name: 'ci' },
};

test('the digest binds text, parameters, their formats, target and identity', () => {
  const one = operationDigest({ ...base, parameters: [{ value: Buffer.from('1'), format: 0 }] });
  assert.match(one, /^sha256:[0-9a-f]{64}$/);
  assert.equal(one, operationDigest({ ...base, parameters: [{ value: Buffer.from('1'), format: 0 }] }));
  const variants = [
    operationDigest({ ...base, parameters: [{ value: Buffer.from('2'), format: 0 }] }),
    operationDigest({ ...base, parameters: [{ value: Buffer.from('1'), format: 1 }] }),
    operationDigest({ ...base, parameters: [{ value: null, format: 0 }] }),
    operationDigest({ ...base, parameters: [] }),
    operationDigest({ ...base, text: `${base.text} `, parameters: [{ value: Buffer.from('1'), format: 0 }] }),
    operationDigest({ ...base, target: { namespace: 'agents', name: 'db2' }, parameters: [{ value: Buffer.from('1'), format: 0 }] }),
    operationDigest({ ...base, identity: { namespace: 'agents', name: 'other' }, parameters: [{ value: Buffer.from('1'), format: 0 }] }),
    // Field boundaries cannot be shifted: "ab"+"c" differs from "a"+"bc".
    operationDigest({
      ...base,
      parameters: [
        { value: Buffer.from('1'), format: 0 },
        { value: Buffer.from(''), format: 0 },
      ],
    }),
  ];
  assert.equal(new Set([one, ...variants]).size, variants.length + 1);
});

test('durations', () => {
  assert.equal(durationSeconds('15m'), 900);
  assert.equal(durationSeconds('1h30m'), 5400);
  assert.equal(durationSeconds('45s'), 45);
  assert.throws(() => durationSeconds('15 minutes'), /invalid duration/);
  assert.throws(() => durationSeconds(''), /invalid duration/);
});

test('grants cover a digest until they expire', () => {
  let now = 1000;
  const grants = new ApprovalGrants(() => now);
  grants.grant('sha256:a', 2000);
  assert.equal(grants.covers('sha256:a'), true);
  assert.equal(grants.covers('sha256:b'), false);
  now = 2000;
  assert.equal(grants.covers('sha256:a'), false);
});

const draft = (requiredApprovals: number, ttlSeconds = 60): ApprovalDraft => ({
  target: { name: 'db', type: 'postgres' },
  operation: { text: 'DROP TABLE t', summary: 'DROP TABLE t', digest: operationDigest({ ...base, text: 'DROP TABLE t' }), sessionID: 's1' },
  policy: { name: 'prod', rule: 'ddl' },
  requiredApprovals,
  approvers: { groups: ['db-owners'], users: ['oncall@example.com'] },
  scope: 'once',
  ttlSeconds,
});

test('the in-process gate tallies distinct authorized approvers', async () => {
  const gate = new InProcessApprovalGate();
  const seen: string[] = [];
  gate.onRequest((request) => seen.push(request.name));
  const pending = await gate.request(principal, draft(2));
  assert.deepEqual(seen, [pending.name]);
  assert.match(pending.name, /^ci-migrations-[0-9a-f]{8}-[a-z0-9]{5}$/);
  const request = gate.get(pending.name);
  assert.equal(request?.spec.requester.serviceAccount, principal.serviceAccount);
  gate.approve(pending.name, { user: 'alice@example.com', groups: ['db-owners'] });
  assert.equal(request?.phase, 'Pending');
  assert.throws(() => gate.approve(pending.name, { user: 'alice@example.com', groups: ['db-owners'] }), { code: 'DuplicateReview' });
  assert.throws(() => gate.approve(pending.name, { user: 'mallory@example.com', groups: ['developers'] }), { code: 'NotAnApprover' });
  assert.throws(() => gate.approve(pending.name, { user: 'dave@example.com', groups: ['db-owners'] }), { code: 'SelfApproval' });
  assert.throws(() => gate.approve(pending.name, { user: principal.serviceAccount, groups: ['db-owners'] }), { code: 'SelfApproval' });
  gate.approve(pending.name, { user: 'oncall@example.com' });
  assert.deepEqual(await pending.outcome, { phase: 'Approved', approvers: ['alice@example.com', 'oncall@example.com'] });
  assert.throws(() => gate.deny(pending.name, { user: 'bob@example.com', groups: ['db-owners'] }, 'late'), { code: 'AlreadyDecided' });
  await pending.reportExecution({ ok: true, result: 'DROP TABLE' });
  assert.equal(request?.phase, 'Executed');
});

test('the in-process gate refuses every requester the API server refuses, and only them', async () => {
  const gate = new InProcessApprovalGate();
  const pending = await gate.request(principal, {
    ...draft(1),
    approvers: { users: ['system:serviceaccount:agents:identity-sa', 'system:serviceaccount:bots:reviewer', principal.identity] },
  });
  assert.throws(() => gate.approve(pending.name, { user: 'system:serviceaccount:agents:identity-sa' }), {
    code: 'SelfApproval',
    message: /it is a service account of the agent's namespace agents/,
  });
  assert.throws(() => gate.deny(pending.name, { user: principal.serviceAccount }, 'no'), {
    code: 'SelfApproval',
    message: /the agent's service account/,
  });
  assert.throws(() => gate.approve(pending.name, { user: 'dave@example.com' }), {
    code: 'SelfApproval',
    message: /the person the agent acts for/,
  });
  // The AgentIdentity's name is an object name, not a principal: a user of that name is not the agent.
  gate.approve(pending.name, { user: principal.identity });
  assert.deepEqual(await pending.outcome, { phase: 'Approved', approvers: [principal.identity] });
});

test("a deny from a non-approver is refused; an approver's deny decides, also after an approval", async () => {
  const gate = new InProcessApprovalGate();
  const pending = await gate.request(principal, draft(2));
  assert.throws(() => gate.deny(pending.name, { user: 'mallory@example.com', groups: ['developers'] }, 'no'), { code: 'NotAnApprover' });
  gate.approve(pending.name, { user: 'alice@example.com', groups: ['db-owners'] });
  gate.deny(pending.name, { user: 'system:serviceaccount:bots:reviewer', groups: ['db-owners'] }, 'not now');
  assert.deepEqual(await pending.outcome, { phase: 'Denied', reviewer: 'system:serviceaccount:bots:reviewer', reason: 'not now' });
});

test('a denial needs a reason and settles the request', async () => {
  const gate = new InProcessApprovalGate();
  const pending = await gate.request(principal, draft(1));
  assert.throws(() => gate.deny(pending.name, { user: 'alice@example.com', groups: ['db-owners'] }, ' '), ApprovalReviewError);
  gate.deny(pending.name, { user: 'alice@example.com', groups: ['db-owners'] }, 'not during business hours');
  assert.deepEqual(await pending.outcome, { phase: 'Denied', reviewer: 'alice@example.com', reason: 'not during business hours' });
});

test('requests expire at their deadline and can be withdrawn', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const gate = new InProcessApprovalGate();
  const expiring = await gate.request(principal, draft(1, 60));
  const withdrawn = await gate.request(principal, draft(1, 60));
  await withdrawn.withdraw('the agent cancelled');
  assert.deepEqual(await withdrawn.outcome, { phase: 'Withdrawn', reason: 'the agent cancelled' });
  t.mock.timers.tick(59_000);
  assert.equal(gate.get(expiring.name)?.phase, 'Pending');
  t.mock.timers.tick(1_000);
  assert.deepEqual(await expiring.outcome, { phase: 'Expired' });
  assert.throws(() => gate.approve(expiring.name, { user: 'alice@example.com', groups: ['db-owners'] }), { code: 'AlreadyDecided' });
});
