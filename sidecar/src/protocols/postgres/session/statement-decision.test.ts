/**
 * decideMessage with the real classifier and compiled policies: one decision per Query or Parse
 * text, and the refusals that come before any policy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { duplicatePrepareRefusal, NOT_UTF8_REFUSAL, pinnedSettingRefusal } from './refusals.ts';
import { SqlPreparedStatements } from './sql-prepared.ts';
import { decideMessage, type MessageDecision } from './statement-decision.ts';
import { type FakeServicesOptions, fakeServices } from './testing/fake-session.ts';

/** Allows everything a policy can allow, in audit mode: only refusals can deny. */
const AUDIT_ALLOW_ALL: ApprovalPolicySpec = { mode: 'audit', rules: [], defaultAction: 'allow' };

async function decide(
  text: string,
  options: FakeServicesOptions & { masking?: boolean; textIsUtf8?: boolean; prepared?: SqlPreparedStatements } = {},
): Promise<MessageDecision> {
  const { services } = await fakeServices(options);
  let next = 10;
  return decideMessage(
    text,
    services,
    options.prepared ?? new SqlPreparedStatements(),
    options.masking ?? false,
    () => next++,
    options.textIsUtf8 ?? true,
  );
}

describe('decideMessage', () => {
  test('each statement is decided on its own and the strictest decision governs the message', async () => {
    const denied = await decide('SELECT 1; CREATE TABLE t (id int); TRUNCATE orders');
    assert.deepEqual(
      denied.decisions.map((d) => d.action),
      ['allow', 'requireApproval', 'deny'],
    );
    assert.equal(denied.governing.action, 'deny');
    assert.equal(denied.governing.verdict?.rule, 'no-truncate');
    assert.deepEqual(denied.indexes, [10, 11, 12]);

    const held = await decide('SELECT 1; CREATE TABLE t (id int)');
    assert.equal(held.governing.action, 'requireApproval');
    assert.equal(held.governing.verdict?.rule, 'ddl');

    const allowed = await decide('SELECT 1; SELECT 2');
    assert.equal(allowed.governing.action, 'allow');
    assert.equal(allowed.refusal, undefined);
  });

  test("a statement over the sidecar's limit is not classified: it is unknown, and not allowed", async () => {
    const text = `SELECT '${'x'.repeat(100)}'`;
    const decision = await decide(text, { maxStatementBytes: 64 });
    assert.equal(decision.statements.length, 1);
    assert.deepEqual(decision.statements[0]!.kinds, ['unknown']);
    assert.match(decision.statements[0]!.unknownReason ?? '', /over the sidecar's limit of 64 bytes/);
    assert.notEqual(decision.governing.action, 'allow');
    assert.equal((await decide(text, { maxStatementBytes: 1024 })).governing.action, 'allow');
  });

  test('text that is not valid UTF-8 is refused before policy, even by an audit policy that allows all', async () => {
    const decision = await decide("SELECT '\ufffd'", { policy: AUDIT_ALLOW_ALL, textIsUtf8: false });
    assert.deepEqual(decision.refusal, NOT_UTF8_REFUSAL);
    assert.equal(decision.governing.action, 'deny');
    assert.equal(decision.governing.verdict, undefined);
    assert.deepEqual(decision.statements[0]!.kinds, ['unknown']);
  });

  test('a statement that moves a pinned setting is refused before policy', async () => {
    const decision = await decide("SELECT 1; SET client_encoding = 'SJIS'", { policy: AUDIT_ALLOW_ALL });
    assert.deepEqual(decision.refusal, pinnedSettingRefusal('client_encoding'));
    assert.equal(decision.governing.action, 'deny');
    assert.equal(decision.governing.reason, pinnedSettingRefusal('client_encoding').message);
    assert.deepEqual(
      decision.decisions.map((d) => d.action),
      ['allow', 'deny'],
    );
    assert.equal((await decide("SET client_encoding = 'UTF8'", { policy: AUDIT_ALLOW_ALL })).refusal, undefined);
  });

  test('a PREPARE of a name already prepared, earlier or in the same message, is refused', async () => {
    const twice = await decide('PREPARE q AS SELECT 1; PREPARE q AS SELECT 2');
    assert.deepEqual(twice.refusal, duplicatePrepareRefusal('q'));
    assert.deepEqual(
      twice.decisions.map((d) => d.action),
      ['allow', 'deny'],
    );

    const prepared = new SqlPreparedStatements();
    const first = await decide('PREPARE q AS SELECT 1', { prepared });
    assert.equal(first.refusal, undefined);
    for (const statement of first.statements) prepared.remember(statement);
    assert.deepEqual((await decide('PREPARE q AS SELECT 2', { prepared })).refusal, duplicatePrepareRefusal('q'));
    assert.equal((await decide('PREPARE other AS SELECT 2', { prepared })).refusal, undefined);
  });

  test('COPY TO STDOUT is denied when masking applies, since masking cannot see COPY data', async () => {
    const masked = await decide('COPY orders TO STDOUT', { masking: true });
    assert.equal(masked.governing.action, 'deny');
    assert.match(masked.governing.reason, /^COPY TO STDOUT is refused because masking applies/);
    assert.equal((await decide('COPY orders TO STDOUT', { masking: false })).governing.action, 'allow');
    assert.equal((await decide('SELECT * FROM orders', { masking: true })).governing.action, 'allow');
  });
});
