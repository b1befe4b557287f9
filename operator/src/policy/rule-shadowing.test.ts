import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy, compileSqlMatch, decide, type SqlFacts } from '@airlock/contracts/policy';
import type { PolicyRule, RuleMatch } from '@airlock/crds';
import fc from 'fast-check';
import { covers, shadowingRule } from './rule-shadowing.ts';
import { modelCommand, modelDecidingRule, modelMatches, modelRule, sqlCommand, VARIANTS } from './testing/rule-model.ts';

const rule = (name: string, action: PolicyRule['action'], match: RuleMatch): PolicyRule => ({ name, action, match });
const allow = (match: RuleMatch) => rule('a', 'allow', match);
const deny = (match: RuleMatch) => rule('d', 'deny', match);
const hold = (match: RuleMatch) => rule('h', 'requireApproval', match);

test('proven: an earlier empty match, or one protocol match with no field, covers everything of its protocol', () => {
  assert.equal(covers(deny({}), deny({ sql: { commands: ['TRUNCATE'] } })), true);
  assert.equal(covers(deny({}), allow({ ssh: { programs: ['ls'] } })), true);
  assert.equal(covers(hold({}), deny({})), true);
  assert.equal(covers(allow({}), allow({ sql: { statementKinds: ['read'] } })), true);
  assert.equal(covers(deny({ sql: {} }), allow({ sql: { objects: ['public.orders'] } })), true);
  assert.equal(covers(allow({ http: {} }), allow({ http: { methods: ['GET'] } })), true);
});

test('proven: the same or a narrower list on the same facet, for rules of the same kind of action', () => {
  assert.equal(covers(deny({ sql: { statementKinds: ['ddl', 'write'] } }), hold({ sql: { statementKinds: ['ddl'] } })), true);
  assert.equal(covers(deny({ sql: { statementKinds: ['ddl'] } }), deny({ sql: { statementKinds: ['ddl'], objects: ['x.y'] } })), true);
  assert.equal(covers(allow({ sql: { statementKinds: ['read', 'session'] } }), allow({ sql: { statementKinds: ['read'] } })), true);
  assert.equal(covers(allow({ sql: { objects: ['public.*', 'billing.orders'] } }), allow({ sql: { objects: ['billing.ORDERS'] } })), true);
  assert.equal(covers(deny({ sql: { commands: ['DROP'] } }), deny({ sql: { commands: ['DROP TABLE'] } })), true);
  assert.equal(covers(allow({ sql: { commands: ['drop table'] } }), allow({ sql: { commands: ['DROP TABLE'] } })), true);
  assert.equal(covers(deny({ sql: { writesWithoutWhere: true } }), hold({ sql: { writesWithoutWhere: true, objects: ['a.b'] } })), true);
  assert.equal(covers(allow({ sql: { objects: ['*'] } }), allow({ sql: { statementKinds: ['read'] } })), true, '* lists every name');
  assert.equal(covers(deny({ ssh: { programs: ['rm'] } }), deny({ ssh: { programs: ['rm'], arguments: ['-rf *'] } })), true);
});

test('proven: a deny on statement kinds covers an allow of those kinds (a statement always has a kind)', () => {
  assert.equal(covers(deny({ sql: { statementKinds: ['read', 'write'] } }), allow({ sql: { statementKinds: ['read'] } })), true);
  assert.equal(covers(hold({ sql: { statementKinds: ['read'] } }), allow({ sql: { statementKinds: ['read'], objects: ['a.b'] } })), true);
});

test('not proven: deny lists on facets an allowed command may lack (an allow rule matches a command with no objects)', () => {
  assert.equal(covers(deny({ sql: { objects: ['public.orders'] } }), allow({ sql: { objects: ['public.orders'] } })), false);
  assert.equal(covers(deny({ sql: { functions: ['now'] } }), allow({ sql: { functions: ['now'] } })), false);
  assert.equal(covers(deny({ sql: { commands: ['SELECT'] } }), allow({ sql: { commands: ['SELECT'] } })), false);
  assert.equal(covers(deny({ ssh: { programs: ['ls'] } }), allow({ ssh: { programs: ['ls'] } })), false);
  assert.equal(covers(deny({ sql: { objects: ['*'] } }), deny({ sql: {} })), false, 'a statement may touch no object at all');
});

test('not proven: an allow list never covers a deny list (the deny also matches commands with more values)', () => {
  assert.equal(covers(allow({ sql: { statementKinds: ['read'] } }), deny({ sql: { statementKinds: ['read'] } })), false);
  assert.equal(covers(allow({ sql: { objects: ['public.orders'] } }), hold({ sql: { objects: ['public.orders'] } })), false);
  assert.equal(covers(allow({}), deny({ sql: { statementKinds: ['write'] } })), false, 'what cannot be classified may reach the deny');
});

test('not proven: a wider later rule, another protocol, or an empty later match', () => {
  assert.equal(covers(deny({ sql: { statementKinds: ['ddl'] } }), deny({ sql: { statementKinds: ['ddl', 'write'] } })), false);
  assert.equal(covers(deny({ sql: { statementKinds: ['ddl'] } }), deny({ sql: { objects: ['a.b'] } })), false);
  assert.equal(covers(deny({ sql: {} }), deny({ ssh: {} })), false);
  assert.equal(covers(deny({ sql: {} }), deny({})), false);
  assert.equal(covers(deny({ sql: { writesWithoutWhere: true } }), deny({ sql: { writesWithoutWhere: false } })), false);
  assert.equal(covers(deny({ sql: { writesWithoutWhere: true } }), deny({ sql: { statementKinds: ['write'] } })), false);
  assert.equal(covers(deny({ sql: { commands: ['DROP TABLE'] } }), deny({ sql: { commands: ['DROP'] } })), false);
  assert.equal(covers(deny({ sql: { commands: ['DROP'] } }), deny({ sql: { commands: ['DROPPED'] } })), false, 'a word prefix only');
  assert.equal(
    covers(allow({ sql: { commands: ['DROP'] } }), allow({ sql: { commands: ['DROP TABLE'] } })),
    false,
    'allow names whole tags',
  );
  assert.equal(
    covers(allow({ sql: { objects: ['billing.*'] } }), allow({ sql: { objects: ['billing.orders'] } })),
    false,
    'globs are compared as text',
  );
  assert.equal(covers(deny({ ssh: { programs: ['r*'] } }), deny({ ssh: { programs: ['rm'] } })), false, 'opaque globs: only the same text');
});

test('not proven: an empty list on the earlier rule (it may come to mean "nothing")', () => {
  assert.equal(covers(deny({ sql: { statementKinds: [] } }), deny({ sql: { statementKinds: ['ddl'] } })), false);
  assert.equal(covers(deny({ sql: { statementKinds: ['ddl'] } }), deny({ sql: { statementKinds: ['ddl'], objects: [] } })), true);
});

test('a rule never decides when a stricter rule anywhere, or an earlier one of its action, covers it', () => {
  const rules = [
    rule('reads', 'allow', { sql: { statementKinds: ['read'] } }),
    rule('ddl', 'deny', { sql: { statementKinds: ['ddl'] } }),
    rule('everything', 'requireApproval', {}),
    rule('drop', 'deny', { sql: { statementKinds: ['ddl'], commands: ['DROP TABLE'] } }),
    rule('more-reads', 'allow', { sql: { statementKinds: ['read'], objects: ['public.orders'] } }),
  ];
  assert.equal(shadowingRule(rules, 0)?.name, 'everything', 'a later, stricter rule matches every read');
  assert.equal(shadowingRule(rules, 1), undefined);
  assert.equal(shadowingRule(rules, 2), undefined, 'a deny rule is stricter, but matches less');
  assert.equal(shadowingRule(rules, 3)?.name, 'ddl', 'same action, earlier');
  assert.equal(shadowingRule(rules, 4)?.name, 'reads');
  const order = [
    rule('ddl', 'deny', { sql: { statementKinds: ['ddl'] } }),
    rule('ddl-first', 'deny', { sql: { statementKinds: ['ddl'] } }),
  ];
  assert.equal(shadowingRule(order, 0), undefined, 'the first of two equal rules decides');
  assert.equal(shadowingRule(order, 1)?.name, 'ddl');
  const looser = [rule('hold', 'requireApproval', {}), rule('deny-drop', 'deny', { sql: { commands: ['DROP TABLE'] } })];
  assert.equal(shadowingRule(looser, 1), undefined, 'an earlier but looser rule never wins over a deny');
});

// Property: whenever covers() says yes, the reference model agrees on every generated command,
// under every reading the semantics leave open. And the proof is not vacuous.
test('covers() never claims a later rule is shadowed when a command reaches it (reference model, every variant)', () => {
  let proven = 0;
  fc.assert(
    fc.property(modelRule('earlier'), modelRule('later'), fc.array(modelCommand, { minLength: 100, maxLength: 100 }), (a, b, commands) => {
      if (!covers(a, b)) return true;
      proven++;
      for (const variant of VARIANTS) {
        for (const command of commands) {
          if (modelMatches(b, command, variant) && !modelMatches(a, command, variant)) {
            throw new Error(
              `${JSON.stringify(command)} matches ${JSON.stringify(b)} but not ${JSON.stringify(a)} (${JSON.stringify(variant)})`,
            );
          }
        }
      }
      return true;
    }),
    { numRuns: 3000 },
  );
  assert.ok(proven > 150, `only ${proven} of 3000 random pairs were proven; the generator no longer exercises the proof`);
});

test('a rule shadowingRule() reports never decides (reference model of the decision, every variant)', () => {
  let proven = 0;
  const rules = fc.tuple(modelRule('r0'), modelRule('r1'), modelRule('r2'), modelRule('r3'));
  fc.assert(
    fc.property(rules, fc.array(modelCommand, { minLength: 80, maxLength: 80 }), (policyRules, commands) => {
      const shadowed = policyRules.filter((_, index) => shadowingRule(policyRules, index) !== undefined).map((r) => r.name);
      if (shadowed.length === 0) return true;
      proven++;
      for (const variant of VARIANTS) {
        for (const command of commands) {
          const decided = modelDecidingRule(policyRules, command, variant);
          assert.ok(
            decided === undefined || !shadowed.includes(decided),
            `${decided} decided ${JSON.stringify(command)} (${JSON.stringify(variant)})`,
          );
        }
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  assert.ok(proven > 200, `only ${proven} of 2000 random policies had a proven shadowed rule`);
});

// Property against the sidecar's own decision: a rule reported shadowed is never the one that decides.
test('the sidecar never decides by a rule shadowingRule() reports', () => {
  let proven = 0;
  const sqlRules = fc.tuple(modelRule('r0', ['sql', 'empty']), modelRule('r1', ['sql', 'empty']), modelRule('r2', ['sql', 'empty']));
  fc.assert(
    fc.property(sqlRules, fc.array(sqlCommand, { minLength: 60, maxLength: 60 }), (rules, commands) => {
      const shadowed = rules.filter((_, index) => shadowingRule(rules, index) !== undefined).map((r) => r.name);
      if (shadowed.length === 0) return true;
      proven++;
      const policy = compilePolicy(
        {
          name: 'p',
          namespace: 'agents',
          spec: { rules, defaultAction: 'deny', approval: { approvers: { groups: ['g'] } } },
        },
        compileSqlMatch,
      );
      for (const command of commands) {
        const statement = { text: 'x', ...command, kinds: command.kinds as SqlFacts['kinds'] };
        const decided = decide(statement, [policy]).verdict?.rule;
        assert.ok(
          decided === undefined || !shadowed.includes(decided),
          `${decided} decided ${JSON.stringify(command)} in ${JSON.stringify(rules)}`,
        );
      }
      return true;
    }),
    { numRuns: 1500 },
  );
  assert.ok(proven > 100, `only ${proven} of 1500 random policies had a proven shadowed rule`);
});

test('SSH: an allow rule reads writes, sudo and request types also when unset, and sudo: true widens an allow rule', () => {
  const ls = { programs: ['ls'] };
  assert.equal(covers(allow({ ssh: ls }), allow({ ssh: { ...ls, arguments: ['-l'] } })), true);
  assert.equal(covers(allow({ ssh: ls }), allow({ ssh: { ...ls, writes: ['/tmp/**'] } })), false, 'the narrower rule also covers writes');
  assert.equal(covers(allow({ ssh: ls }), allow({ ssh: { ...ls, sudo: true } })), false, 'the narrower rule also covers sudo');
  assert.equal(covers(allow({ ssh: {} }), allow({ ssh: { subsystems: ['sftp'] } })), false, 'exec only versus subsystem only');
  assert.equal(covers(allow({ ssh: { ...ls, sudo: true } }), allow({ ssh: { ...ls, sudo: true } })), true);
  assert.equal(covers(deny({ ssh: { sudo: true } }), allow({ ssh: { sudo: true } })), false, 'deny: only sudo; allow: with or without');
  assert.equal(covers(deny({ ssh: { sudo: true } }), hold({ ssh: { sudo: true, programs: ['systemctl'] } })), true);
});
