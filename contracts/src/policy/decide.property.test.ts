/**
 * Properties of the decision over generated policies and classifications (ADR 0011): doing more
 * never makes a statement more permitted, an allow rule never covers what it does not list, and
 * rule order never changes what happens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolicyRule, SQLMatch } from '@airlock/crds';
import fc from 'fast-check';
import { type Action, compilePolicy, type Decision, decide } from './decide.ts';
import { compileSqlMatch, type SqlFacts as StatementClassification, type SqlStatementKind as StatementKind } from './sql-match.ts';

const KINDS: readonly StatementKind[] = ['read', 'write', 'ddl', 'privilege', 'dangerous', 'transaction', 'session', 'admin'];
const COMMANDS = ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'DROP TABLE', 'TRUNCATE TABLE', 'SET', 'SELECT FOR UPDATE', 'COPY'];
const OBJECTS = ['public.orders', 'orders', 'public.customers', 'billing.invoices', 'invoices', 'vault.secrets'];
const FUNCTIONS = ['count', 'lower', 'nextval', 'pg_catalog.now', 'public.wipe', 'pg_terminate_backend'];
/** Patterns an oracle can judge without the matcher: exact names, and `schema.*`. */
const OBJECT_PATTERNS = ['public.orders', 'public.*', 'billing.*', 'vault.secrets', 'orders'];
const FUNCTION_PATTERNS = ['count', 'lower', 'nextval', 'pg_catalog.now', 'public.wipe', 'pg_terminate_backend'];
const ACTIONS: readonly Action[] = ['allow', 'deny', 'requireApproval'];
const SEVERITY: Record<Action, number> = { allow: 0, requireApproval: 1, deny: 2 };

const subset = <T>(values: readonly T[], minLength = 0) =>
  fc.uniqueArray(fc.constantFrom(...values), { minLength, maxLength: values.length });

const statementArb: fc.Arbitrary<StatementClassification> = fc.record({
  text: fc.constant('generated'),
  kinds: subset(KINDS, 1),
  commands: subset(COMMANDS, 1),
  objects: subset(OBJECTS),
  functions: subset(FUNCTIONS),
  writesWithoutWhere: fc.boolean(),
});

const sqlMatchArb: fc.Arbitrary<SQLMatch> = fc.record(
  {
    statementKinds: subset(KINDS, 1),
    commands: subset(COMMANDS, 1),
    objects: subset(OBJECT_PATTERNS, 1),
    functions: subset(FUNCTION_PATTERNS, 1),
    writesWithoutWhere: fc.boolean(),
  },
  { requiredKeys: [] },
);

const rulesArb: fc.Arbitrary<PolicyRule[]> = fc
  .array(fc.record({ sql: sqlMatchArb, action: fc.constantFrom(...ACTIONS) }), { maxLength: 6 })
  .map((rules) => rules.map((rule, index) => ({ name: `r${index}`, match: { sql: rule.sql }, action: rule.action })));

const policyArb = fc.record({ rules: rulesArb, defaultAction: fc.constantFrom(...ACTIONS) });

const compile = (spec: { rules: PolicyRule[]; defaultAction: Action }) =>
  compilePolicy({ name: 'p', namespace: 'agents', spec: { ...spec, approval: { approvers: { groups: ['db-owners'] } } } }, compileSqlMatch);

const severity = (decision: Decision): number => SEVERITY[decision.action];

/** A statement with one more value in one facet. */
const growthArb = (statement: StatementClassification): fc.Arbitrary<StatementClassification> =>
  fc.oneof(
    fc.constantFrom(...KINDS).map((kind) => ({ ...statement, kinds: [...new Set([...statement.kinds, kind])] })),
    fc.constantFrom(...COMMANDS).map((command) => ({ ...statement, commands: [...new Set([...statement.commands, command])] })),
    fc.constantFrom(...OBJECTS).map((object) => ({ ...statement, objects: [...new Set([...statement.objects, object])] })),
    fc.constantFrom(...FUNCTIONS).map((fn) => ({ ...statement, functions: [...new Set([...statement.functions, fn])] })),
  );

const caseArb = fc
  .record({ policy: policyArb, statement: statementArb })
  .chain(({ policy, statement }) => growthArb(statement).map((grown) => ({ policy, statement, grown })));

test('doing more never makes a statement more permitted', () => {
  fc.assert(
    fc.property(caseArb, ({ policy, statement, grown }) => {
      const compiled = compile(policy);
      const before = decide(statement, [compiled]);
      const after = decide(grown, [compiled]);
      if (before.action !== 'allow')
        assert.notEqual(after.action, 'allow', 'a statement that was not allowed is not allowed with more facets');
      // A rule's decision only gets stricter; the default action may give way to any rule.
      if (before.verdict?.rule !== undefined) assert.ok(severity(after) >= severity(before), `${before.action} became ${after.action}`);
    }),
    { numRuns: 3000 },
  );
});

/** An oracle for one pattern and one value, written without the matcher: exact names and `schema.*`. */
function allowCovers(pattern: string, value: string): boolean {
  const qualified = value.includes('.') ? value : `public.${value}`;
  if (pattern.endsWith('.*')) return qualified.startsWith(pattern.slice(0, -1));
  return pattern === value || pattern === qualified;
}

test('an allow rule never allows a statement with a kind, command, object or function it does not list', () => {
  fc.assert(
    fc.property(policyArb, statementArb, (policy, statement) => {
      const decision = decide(statement, [compile(policy)]);
      if (decision.action !== 'allow' || decision.verdict?.rule === undefined) return;
      const rule = policy.rules.find((r) => r.name === decision.verdict?.rule);
      const sql = rule?.match.sql ?? {};
      assert.equal(rule?.action, 'allow');
      for (const kind of statement.kinds) assert.ok(!sql.statementKinds || sql.statementKinds.includes(kind), `kind ${kind}`);
      for (const command of statement.commands) assert.ok(!sql.commands || sql.commands.includes(command), `command ${command}`);
      for (const object of statement.objects)
        assert.ok(!sql.objects || sql.objects.some((p) => allowCovers(p, object)), `object ${object}`);
      for (const fn of statement.functions) assert.ok(!sql.functions || sql.functions.includes(fn), `function ${fn}`);
    }),
    { numRuns: 3000 },
  );
});

test('rule order never changes the action; what no allow rule covers is never allowed', () => {
  const permutedArb = policyArb.chain((policy) =>
    fc.shuffledSubarray(policy.rules, { minLength: policy.rules.length }).map((shuffled) => ({ policy, shuffled })),
  );
  fc.assert(
    fc.property(permutedArb, statementArb, ({ policy, shuffled }, statement) => {
      const original = decide(statement, [compile(policy)]);
      const permuted = decide(statement, [compile({ ...policy, rules: shuffled })]);
      assert.equal(permuted.action, original.action);
      const coveringAllow = policy.rules.some(
        (rule) => rule.action === 'allow' && decide(statement, [compile({ rules: [rule], defaultAction: 'deny' })]).action === 'allow',
      );
      if (!coveringAllow && policy.defaultAction !== 'allow') assert.notEqual(original.action, 'allow');
    }),
    { numRuns: 2000 },
  );
});

test('adding a deny or approval rule anywhere never loosens a decision', () => {
  const extraArb = fc.record({ sql: sqlMatchArb, action: fc.constantFrom<Action>('deny', 'requireApproval'), at: fc.nat() });
  fc.assert(
    fc.property(policyArb, extraArb, statementArb, (policy, extra, statement) => {
      const rules = [...policy.rules];
      rules.splice(extra.at % (rules.length + 1), 0, { name: 'extra', match: { sql: extra.sql }, action: extra.action });
      const before = decide(statement, [compile(policy)]);
      const after = decide(statement, [compile({ ...policy, rules })]);
      if (before.action !== 'allow') assert.notEqual(after.action, 'allow');
      if (before.verdict?.rule !== undefined) assert.ok(severity(after) >= severity(before));
    }),
    { numRuns: 2000 },
  );
});

test('an unknown statement is never allowed, whatever the rules', () => {
  fc.assert(
    fc.property(policyArb, statementArb, (policy, statement) => {
      const unknown = { ...statement, kinds: [...statement.kinds, 'unknown' as const] };
      assert.notEqual(decide(unknown, [compile(policy)]).action, 'allow');
    }),
    { numRuns: 1000 },
  );
});
