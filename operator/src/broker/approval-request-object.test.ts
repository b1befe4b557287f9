import assert from 'node:assert/strict';
import { test } from 'node:test';
import { operationDigest } from '@airlock/contracts/approval';
import type { ApprovalDraft } from '@airlock/contracts/broker';
import { AirlockValidator } from '@airlock/crds';
import {
  APPROVAL_LABELS,
  approvalRequestName,
  buildApprovalRequest,
  draftTarget,
  parseCreateBody,
  recomputeDigest,
} from './approval-request-object.ts';
import { BrokerHttpError } from './http-io.ts';
import { NS, POD, target } from './testing/objects.ts';

const DIGEST_TARGET = { namespace: NS, name: 'orders-db' };
const DIGEST_IDENTITY = { namespace: NS, name: 'ci-migrations' };

function draft(text = 'DROP TABLE scratch', parameters: ApprovalDraft['operation']['parameters'] = undefined): ApprovalDraft {
  // The digest as the sidecar computes it over the bytes it holds (held-command.ts).
  const bytes = (parameters ?? []).map((p) =>
    p.isNull
      ? { value: null, format: 0 as const }
      : p.format === 'binary'
        ? { value: Buffer.from(p.value ?? '', 'base64'), format: 1 as const }
        : { value: Buffer.from(p.value ?? '', 'utf8'), format: 0 as const },
  );
  return {
    target: { name: 'orders-db', type: 'postgres' },
    operation: {
      text,
      ...(parameters ? { parameters } : {}),
      summary: 'DROP TABLE scratch',
      digest: operationDigest({ text, parameters: bytes, target: DIGEST_TARGET, identity: DIGEST_IDENTITY }),
      sessionID: 'b1c0d6b2-0000-4000-8000-000000000001',
      sequence: 0,
    },
    policy: { name: 'orders', rule: 'ddl' },
    requiredApprovals: 1,
    approvers: { groups: ['db-owners'] },
    scope: 'once',
    ttlSeconds: 300,
  };
}

const refuses = (code: BrokerHttpError['code'], fn: () => unknown) =>
  assert.throws(fn, (error: unknown) => error instanceof BrokerHttpError && error.code === code);

test('names: stable for one pod and key, different across keys and pods, valid object names', () => {
  const a = approvalRequestName('ci-migrations', POD.uid, 'key-1');
  assert.equal(approvalRequestName('ci-migrations', POD.uid, 'key-1'), a);
  assert.notEqual(approvalRequestName('ci-migrations', POD.uid, 'key-2'), a);
  assert.notEqual(approvalRequestName('ci-migrations', 'another-uid', 'key-1'), a);
  assert.match(a, /^ci-migrations-[a-z0-9]{10}$/);
  const long = approvalRequestName(`${'a'.repeat(39)}-${'b'.repeat(100)}`, POD.uid, 'k');
  assert.match(long, /^a{39}-[a-z0-9]{10}$/, 'a long identity is cut, without a trailing dash');
});

test('the recomputed digest matches the sidecar’s, with parameters of every kind, and changes with any byte', () => {
  const parameters = [
    { value: '42', format: 'text' as const },
    { isNull: true },
    { value: Buffer.from([0, 1, 255]).toString('base64'), format: 'binary' as const },
  ];
  const d = draft('DELETE FROM t WHERE id = $1 AND x = $2 AND y = $3', parameters);
  assert.equal(recomputeDigest(d.operation, DIGEST_TARGET, DIGEST_IDENTITY), d.operation.digest);
  assert.notEqual(recomputeDigest({ ...d.operation, text: `${d.operation.text} ` }, DIGEST_TARGET, DIGEST_IDENTITY), d.operation.digest);
  const other = [{ value: '43', format: 'text' as const }, ...parameters.slice(1)];
  assert.notEqual(recomputeDigest({ ...d.operation, parameters: other }, DIGEST_TARGET, DIGEST_IDENTITY), d.operation.digest);
  assert.notEqual(recomputeDigest(d.operation, { ...DIGEST_TARGET, name: 'billing-db' }, DIGEST_IDENTITY), d.operation.digest);
  assert.notEqual(recomputeDigest(d.operation, DIGEST_TARGET, { ...DIGEST_IDENTITY, name: 'other' }), d.operation.digest);
});

test('the requester and expiry come from the pod and the clock; a requester in the draft is ignored', () => {
  const forged = {
    ...draft(),
    requester: { identity: 'admin', serviceAccount: 'system:serviceaccount:kube-system:admin', pod: { name: 'x', uid: 'y' } },
  };
  const object = buildApprovalRequest({
    name: 'ci-migrations-abc',
    draft: forged as ApprovalDraft,
    pod: POD,
    identity: 'ci-migrations',
    now: Date.UTC(2026, 0, 1),
  });
  assert.deepEqual(object.spec.requester, {
    identity: 'ci-migrations',
    serviceAccount: POD.serviceAccount,
    pod: { name: POD.name, uid: POD.uid },
  });
  assert.equal(object.spec.expiresAt, '2026-01-01T00:05:00.000Z');
  assert.equal('ttlSeconds' in object.spec, false);
  assert.deepEqual(object.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Pod', name: POD.name, uid: POD.uid }]);
  assert.deepEqual(object.metadata.labels, {
    [APPROVAL_LABELS.identity]: 'ci-migrations',
    [APPROVAL_LABELS.target]: 'orders-db',
    [APPROVAL_LABELS.podUid]: POD.uid,
  });
  const valid = new AirlockValidator().validate(object);
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.issues));
});

test('a requester from an agent token: its identity, the human it names and its issuer, in a valid ApprovalRequest', () => {
  const object = buildApprovalRequest({
    name: 'deployer-abc',
    draft: draft(),
    pod: POD,
    identity: 'deployer',
    onBehalfOf: 'octocat',
    issuer: 'https://token.actions.githubusercontent.com',
    now: 0,
  });
  assert.deepEqual(object.spec.requester, {
    identity: 'deployer',
    serviceAccount: POD.serviceAccount,
    pod: { name: POD.name, uid: POD.uid },
    onBehalfOf: 'octocat',
    issuer: 'https://token.actions.githubusercontent.com',
  });
  assert.equal(object.metadata.labels?.[APPROVAL_LABELS.identity], 'deployer');
  const valid = new AirlockValidator().validate(object);
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.issues));
});

test('a draft for a target the pod does not reach is forbidden; a wrong type is invalid', () => {
  refuses('Forbidden', () => draftTarget({ ...draft(), target: { name: 'billing-db', type: 'postgres' } }, [target()], 'ci-migrations'));
  refuses('Invalid', () => draftTarget({ ...draft(), target: { name: 'orders-db', type: 'ssh' } }, [target()], 'ci-migrations'));
  assert.equal(draftTarget(draft(), [target()], 'ci-migrations').metadata.name, 'orders-db');
});

test('bodies without a key, a draft, a ttl, a target or an operation are invalid', () => {
  const good = { idempotencyKey: 'k-1', draft: draft() };
  assert.equal(parseCreateBody(good).idempotencyKey, 'k-1');
  refuses('Invalid', () => parseCreateBody(null));
  refuses('Invalid', () => parseCreateBody({ ...good, idempotencyKey: 'a/b' }));
  refuses('Invalid', () => parseCreateBody({ ...good, draft: 'x' }));
  refuses('Invalid', () => parseCreateBody({ ...good, draft: { ...draft(), ttlSeconds: 0 } }));
  refuses('Invalid', () => parseCreateBody({ ...good, draft: { ...draft(), ttlSeconds: 90_000 } }));
  refuses('Invalid', () => parseCreateBody({ ...good, draft: { ...draft(), target: undefined } }));
  refuses('Invalid', () => parseCreateBody({ ...good, draft: { ...draft(), operation: { text: 'x' } } }));
});

test('agentToken: passed on when a non-empty string, absent when not sent, invalid otherwise', () => {
  const good = { idempotencyKey: 'k-1', draft: draft() };
  assert.equal(parseCreateBody({ ...good, agentToken: 'a.b.c' }).agentToken, 'a.b.c');
  assert.equal('agentToken' in parseCreateBody(good), false);
  for (const agentToken of ['', 42, null, { token: 'a.b.c' }]) {
    assert.throws(
      () => parseCreateBody({ ...good, agentToken }),
      (error: unknown) => error instanceof BrokerHttpError && error.code === 'Invalid' && /agentToken must be/.test(error.message),
      JSON.stringify(agentToken),
    );
  }
});

const EVIDENCE: NonNullable<ApprovalDraft['evidence']> = {
  source: 'DryRun',
  summary: 'would delete deployment orders and, by propagation, 2 replicasets and 6 pods',
  text: 'deployment.apps/orders\n  replicaset.apps/orders-6d4cf56db6\n    pod/orders-6d4cf56db6-2xk9q',
  complete: false,
  notes: ['pods of replicaset orders-7f9c: listing pods is forbidden for this agent'],
  collectedAt: '2026-01-01T00:00:00Z',
};

function requestWith(evidence: unknown) {
  const { idempotencyKey, draft: parsed } = parseCreateBody({ idempotencyKey: 'k-1', draft: { ...draft(), evidence } });
  return buildApprovalRequest({ name: `ci-migrations-${idempotencyKey}`, draft: parsed, pod: POD, identity: 'ci-migrations', now: 0 });
}

test('the draft’s evidence is copied into the spec and makes a valid ApprovalRequest; without it there is none', () => {
  const object = requestWith(EVIDENCE);
  assert.deepEqual(object.spec.evidence, EVIDENCE);
  const valid = new AirlockValidator().validate(object);
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.issues));
  assert.equal('evidence' in requestWith(undefined).spec, false);
  const failed = requestWith({
    source: 'DryRun',
    summary: 'the dry run failed',
    error: 'deployments.apps "orders" not found',
    collectedAt: '2026-01-01T00:00:00Z',
  });
  assert.ok(new AirlockValidator().validate(failed).ok);
});

test('evidence fields this version does not know are dropped, not refused', () => {
  const object = requestWith({ ...EVIDENCE, renderedHtml: '<b>x</b>' });
  assert.deepEqual(object.spec.evidence, EVIDENCE);
});

test('evidence that is not an object is invalid, with a message that says what to send', () => {
  for (const evidence of ['would delete everything', 42, null, [EVIDENCE]]) {
    assert.throws(
      () => requestWith(evidence),
      (error: unknown) =>
        error instanceof BrokerHttpError &&
        error.code === 'Invalid' &&
        /draft\.evidence must be an object \{ source, summary, collectedAt/.test(error.message),
      JSON.stringify(evidence),
    );
  }
});

test('evidence of the wrong shape passes the outline check and is refused by the CRD validator, naming the field', () => {
  const validator = new AirlockValidator();
  const cases: [unknown, RegExp][] = [
    [{ ...EVIDENCE, source: 'Guess' }, /spec\.evidence\.source/],
    [{ ...EVIDENCE, summary: 'x'.repeat(257) }, /spec\.evidence\.summary/],
    [{ ...EVIDENCE, text: 'x'.repeat(32769) }, /spec\.evidence\.text/],
    [{ ...EVIDENCE, notes: Array.from({ length: 9 }, (_, i) => `note ${i}`) }, /spec\.evidence\.notes/],
    [{ ...EVIDENCE, collectedAt: 'yesterday' }, /spec\.evidence\.collectedAt/],
    [{ source: 'DryRun', collectedAt: EVIDENCE.collectedAt }, /spec\.evidence\.summary/],
  ];
  for (const [evidence, field] of cases) {
    const valid = validator.validate(requestWith(evidence));
    assert.equal(valid.ok, false, JSON.stringify(evidence).slice(0, 200));
    assert.match(JSON.stringify(!valid.ok && valid.issues), field);
  }
});
