import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { compilePolicy, decide } from './decide.ts';
import { compileSqlMatch, type SqlFacts as StatementClassification } from './sql-match.ts';

const statement = (overrides: Partial<StatementClassification>): StatementClassification => ({
  text: 'SELECT 1',
  kinds: ['read'],
  commands: ['SELECT'],
  objects: [],
  functions: [],
  writesWithoutWhere: false,
  ...overrides,
});

const policy = (name: string, spec: ApprovalPolicySpec) => compilePolicy({ name, namespace: 'agents', spec }, compileSqlMatch);

const approvers = { approvers: { groups: ['db-owners'] } };

const prod = policy('prod', {
  rules: [
    { name: 'no-truncate', match: { sql: { commands: ['TRUNCATE'] } }, action: 'deny', message: 'Use DELETE.' },
    { name: 'no-orders-ddl', match: { sql: { statementKinds: ['ddl'], objects: ['billing.orders'] } }, action: 'deny' },
    { name: 'ddl', match: { sql: { statementKinds: ['ddl'] } }, action: 'requireApproval' },
    { name: 'unbounded', match: { sql: { writesWithoutWhere: true } }, action: 'requireApproval' },
    { name: 'public-reads', match: { sql: { statementKinds: ['read'], objects: ['public.*'] } }, action: 'allow' },
    { name: 'reads', match: { sql: { statementKinds: ['read', 'transaction'] } }, action: 'allow' },
    { name: 'everything-unknown', match: { sql: { statementKinds: ['unknown'] } }, action: 'allow' },
  ],
  defaultAction: 'requireApproval',
  approval: approvers,
});

test('the strictest matching rule decides, then the default action; the first allow rule that covers is named', () => {
  assert.equal(decide(statement({}), [prod]).verdict?.rule, 'public-reads', 'touches no table: every object it touches is public');
  assert.equal(decide(statement({ objects: ['billing.invoices'] }), [prod]).verdict?.rule, 'reads');
  const truncate = decide(statement({ kinds: ['write'], commands: ['TRUNCATE TABLE'], objects: ['orders'] }), [prod]);
  assert.equal(truncate.action, 'deny');
  assert.equal(truncate.verdict?.rule, 'no-truncate');
  assert.match(truncate.reason, /ApprovalPolicy prod rule no-truncate.*Use DELETE/);
  const insert = decide(statement({ kinds: ['write'], commands: ['INSERT'], objects: ['orders'] }), [prod]);
  assert.equal(insert.action, 'requireApproval');
  assert.equal(insert.verdict?.rule, undefined);
  assert.match(insert.reason, /default action/);
});

test('writesWithoutWhere and statement kinds match', () => {
  const d = decide(statement({ kinds: ['write'], commands: ['DELETE'], objects: ['orders'], writesWithoutWhere: true }), [prod]);
  assert.equal(d.verdict?.rule, 'unbounded');
  assert.equal(decide(statement({ kinds: ['ddl'], commands: ['DROP TABLE'], objects: ['x'] }), [prod]).verdict?.rule, 'ddl');
});

test('unqualified names: deny rules catch them in any schema, allow rules only for public', () => {
  assert.equal(decide(statement({ kinds: ['ddl'], commands: ['DROP TABLE'], objects: ['orders'] }), [prod]).verdict?.rule, 'no-orders-ddl');
  assert.equal(decide(statement({ objects: ['customers'] }), [prod]).verdict?.rule, 'public-reads');
  assert.equal(decide(statement({ objects: ['secret.customers'] }), [prod]).verdict?.rule, 'reads');
});

test('unknown statements are never allowed, even by a rule that says allow', () => {
  const d = decide(statement({ kinds: ['unknown'], commands: [], unknownReason: 'syntax error at or near "SELEC"' }), [prod]);
  assert.equal(d.action, 'requireApproval');
  assert.equal(d.failedClosed, true);
  assert.match(d.reason, /could not be classified: syntax error/);
  const noApprovers = policy('strict', { rules: [{ name: 'all', match: {}, action: 'allow' }] });
  assert.equal(decide(statement({ kinds: ['unknown'] }), [noApprovers]).action, 'deny');
});

test('across policies the strictest enforcing verdict wins; audit policies only report', () => {
  const lax = policy('a-lax', { rules: [{ name: 'all', match: {}, action: 'allow' }] });
  const hold = policy('b-hold', { defaultAction: 'requireApproval', approval: approvers });
  const deny = policy('c-deny', { mode: 'audit', defaultAction: 'deny' });
  const d = decide(statement({}), [lax, hold, deny]);
  assert.equal(d.action, 'requireApproval');
  assert.equal(d.verdict?.policy, 'b-hold');
  assert.deepEqual(
    d.audit.map((v) => [v.policy, v.action]),
    [['c-deny', 'deny']],
  );
});

test('audit mode alone: the statement is allowed and what would have happened is reported', () => {
  const audit = policy('observe', { mode: 'audit', defaultAction: 'deny' });
  const d = decide(statement({ kinds: ['ddl'], commands: ['DROP TABLE'] }), [audit]);
  assert.equal(d.action, 'allow');
  assert.equal(d.audit[0]?.action, 'deny');
  assert.match(d.reason, /audit mode/);
});

test('no policy applies: denied (fail closed)', () => {
  const d = decide(statement({}), []);
  assert.equal(d.action, 'deny');
  assert.match(d.reason, /no ApprovalPolicy applies/);
});

test('requireApproval without approvers is a denial that says so', () => {
  const p = policy('p', { rules: [{ name: 'hold', match: {}, action: 'requireApproval' }] });
  const d = decide(statement({}), [p]);
  assert.equal(d.action, 'deny');
  assert.match(d.reason, /names no approvers/);
});

test('a rule for another protocol never matches SQL; an empty match matches everything', () => {
  const p = policy('p', {
    rules: [
      { name: 'ssh', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
      { name: 'any', match: {}, action: 'allow' },
    ],
  });
  assert.equal(decide(statement({}), [p]).verdict?.rule, 'any');
});

test('commands match by prefix and glob, case-insensitively; functions by glob', () => {
  const p = policy('p', {
    rules: [
      { name: 'drops', match: { sql: { commands: ['drop'] } }, action: 'deny' },
      { name: 'dblink', match: { sql: { functions: ['dblink*'] } }, action: 'deny' },
      { name: 'rest', match: {}, action: 'allow' },
    ],
  });
  assert.equal(decide(statement({ commands: ['DROP INDEX'] }), [p]).verdict?.rule, 'drops');
  assert.equal(decide(statement({ commands: ['DROPX'] }), [p]).verdict?.rule, 'rest');
  assert.equal(decide(statement({ functions: ['dblink_exec'] }), [p]).verdict?.rule, 'dblink');
  assert.equal(
    decide(statement({ functions: ['public.dblink'] }), [p]).verdict?.rule,
    'dblink',
    'a deny pattern without a schema catches the name in any schema',
  );
  const allowLower = policy('p', {
    rules: [{ name: 'lower', match: { sql: { statementKinds: ['read'], functions: ['lower'] } }, action: 'allow' }],
  });
  assert.equal(decide(statement({ functions: ['lower'] }), [allowLower]).action, 'allow');
  assert.equal(
    decide(statement({ functions: ['public.lower'] }), [allowLower]).action,
    'deny',
    "an allow pattern without a schema does not cover somebody's function of that name",
  );
});

const readOnly = policy('read-only', {
  rules: [{ name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' }],
  defaultAction: 'deny',
});

test('allow covers every kind: a read that also writes, signals or changes privileges is not allowed', () => {
  assert.equal(decide(statement({}), [readOnly]).action, 'allow');
  for (const kinds of [
    ['read', 'write'],
    ['read', 'dangerous'],
    ['read', 'privilege', 'session'],
    ['read', 'admin'],
  ] as const) {
    const d = decide(statement({ kinds }), [readOnly]);
    assert.equal(d.action, 'deny', kinds.join('+'));
    assert.equal(d.verdict?.rule, undefined, 'the default action decided');
    assert.match(d.reason, /rule reads does not allow kind/);
  }
  const sessionToo = policy('p', {
    rules: [{ name: 'reads', match: { sql: { statementKinds: ['read', 'transaction', 'session'] } }, action: 'allow' }],
  });
  const setRole = decide(statement({ kinds: ['privilege', 'session'], commands: ['SET'] }), [sessionToo]);
  assert.equal(setRole.action, 'deny');
  assert.match(setRole.reason, /does not allow kind privilege/);
});

test('allow covers every command, object and function it lists; a facet with no values is covered', () => {
  const p = policy('p', {
    rules: [
      {
        name: 'orders',
        match: { sql: { commands: ['SELECT'], objects: ['public.orders'], functions: ['count', 'lower'] } },
        action: 'allow',
      },
    ],
  });
  const allowed = (overrides: Partial<StatementClassification>) => decide(statement(overrides), [p]).action === 'allow';
  assert.ok(allowed({ objects: ['public.orders'], functions: ['count'] }));
  assert.ok(allowed({ objects: ['orders'] }), 'unqualified resolves to public for allow rules');
  assert.ok(allowed({}), 'touches no table and calls nothing');
  assert.ok(!allowed({ commands: ['SELECT', 'DELETE'], objects: ['public.orders'] }), 'a data-modifying CTE');
  assert.ok(!allowed({ objects: ['public.orders', 'public.secrets'] }), 'a join to a table not listed');
  assert.ok(!allowed({ objects: ['public.orders'], functions: ['count', 'nextval'] }), 'a function not listed');
  assert.ok(!allowed({ commands: ['SELECT FOR UPDATE'] }), 'an allow pattern must name the whole tag');
  assert.ok(!allowed({ commands: ['SELECT INTO'] }), 'an allow pattern must name the whole tag');
});

test('deny and requireApproval match on any facet, wherever they are in the rule list', () => {
  const p = policy('p', {
    rules: [
      { name: 'everything', match: {}, action: 'allow' },
      { name: 'hold-writes', match: { sql: { statementKinds: ['write'] } }, action: 'requireApproval' },
      { name: 'no-secrets', match: { sql: { objects: ['secrets'] } }, action: 'deny' },
    ],
    approval: approvers,
  });
  const secrets = decide(statement({ objects: ['public.orders', 'vault.secrets'] }), [p]);
  assert.equal(secrets.action, 'deny', 'a deny rule after an allow rule still decides');
  assert.equal(secrets.verdict?.rule, 'no-secrets');
  const write = decide(statement({ kinds: ['read', 'write'] }), [p]);
  assert.equal(write.action, 'requireApproval');
  assert.equal(write.verdict?.rule, 'hold-writes');
  assert.equal(decide(statement({}), [p]).verdict?.rule, 'everything');
});

test('of several rules with the same action the first is named, and its approval settings apply', () => {
  const two = { approvers: { users: ['a@example.com', 'b@example.com'] }, requiredApprovals: 2 };
  const p = policy('p', {
    rules: [
      { name: 'ddl', match: { sql: { statementKinds: ['ddl'] } }, action: 'requireApproval', approval: two },
      { name: 'writes', match: { sql: { statementKinds: ['write'] } }, action: 'requireApproval' },
    ],
    approval: approvers,
  });
  const d = decide(statement({ kinds: ['write', 'ddl'], commands: ['TRUNCATE TABLE'] }), [p]);
  assert.equal(d.verdict?.rule, 'ddl');
  assert.equal(d.verdict?.approval?.requiredApprovals, 2);
});
