import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import type { PolicyConfig, TargetConfig } from '../core/ports.ts';
import { SqlClassifier } from '../protocols/postgres/sql/classifier.ts';
import { formatReport } from './format-text.ts';
import type { ResolvedCase, Suite } from './resolve-suite.ts';
import { runSuites } from './run-suite.ts';

let classifier: SqlClassifier;
before(async () => {
  classifier = await SqlClassifier.create();
});

const spec: ApprovalPolicySpec = {
  targets: { matchLabels: { env: 'prod' } },
  rules: [
    { name: 'no-truncate', match: { sql: { commands: ['TRUNCATE'] } }, action: 'deny' },
    { name: 'reads', match: { sql: { statementKinds: ['read', 'transaction'] } }, action: 'allow' },
  ],
  defaultAction: 'requireApproval',
  approval: { approvers: { groups: ['db-owners'] } },
};
const policies: PolicyConfig[] = [{ name: 'prod', namespace: 'agents', spec }];
const prod: TargetConfig = { name: 'db', namespace: 'agents', labels: { env: 'prod' }, spec: { type: 'postgres', localPort: 5432 } };
const dev: TargetConfig = { ...prod, labels: { env: 'dev' } };
const principal = { identity: 'a', namespace: 'agents', serviceAccount: 'sa', pod: { name: 'p', uid: '' }, groups: [] };

const testCase = (sql: string, expect: ResolvedCase['expect'], extra: Partial<ResolvedCase> = {}): ResolvedCase => ({
  name: sql,
  field: 'cases[0]',
  line: 1,
  sql,
  expect,
  target: prod,
  principal,
  ...extra,
});

const run = (...cases: ResolvedCase[]) => {
  const suite: Suite = { file: 't.yaml', document: 1, name: 't', policies, cases };
  return runSuites([suite], classifier);
};

test('a case passes when decision, policy and rule are as expected', () => {
  const report = run(
    testCase('TRUNCATE orders', 'deny', { policy: 'prod', rule: 'no-truncate' }),
    testCase('SELECT 1', 'allow', { rule: 'reads' }),
  );
  assert.deepEqual([report.passed, report.failed], [2, 0]);
  const [truncate] = report.suites[0]?.cases ?? [];
  assert.deepEqual(truncate?.applicable, ['prod']);
  assert.deepEqual(truncate?.statements[0]?.statement.commands, ['TRUNCATE TABLE']);
});

test('every mismatch is listed: decision, policy, rule', () => {
  const report = run(
    testCase('TRUNCATE orders', 'allow', { rule: 'reads' }),
    testCase('UPDATE t SET a = 1 WHERE id = 2', 'requireApproval', { rule: 'reads' }),
  );
  assert.equal(report.failed, 2);
  const [truncate, update] = report.suites[0]?.cases ?? [];
  assert.deepEqual(truncate?.mismatches, [
    { field: 'expect', expected: 'allow', got: 'deny' },
    { field: 'rule', expected: 'reads', got: 'no-truncate' },
  ]);
  assert.deepEqual(update?.mismatches, [{ field: 'rule', expected: 'reads', got: 'defaultAction' }], 'the default action decided');
});

test('a message of several statements: each is decided, the strictest governs and is pointed at', () => {
  const report = run(testCase('BEGIN; SELECT 1; TRUNCATE orders; COMMIT', 'deny', { rule: 'no-truncate' }));
  const outcome = report.suites[0]?.cases[0];
  assert.equal(outcome?.passed, true);
  assert.deepEqual(
    outcome?.statements.map((s) => s.decision.action),
    ['allow', 'allow', 'deny', 'allow'],
  );
  assert.equal(outcome?.deciding, 2);
});

test('which policies apply is decided per case with policiesFor: none applies, so deny', () => {
  const report = run(testCase('SELECT 1', 'deny', { target: dev, policy: 'prod' }));
  const outcome = report.suites[0]?.cases[0];
  assert.deepEqual(outcome?.applicable, []);
  assert.deepEqual(outcome?.mismatches, [{ field: 'policy', expected: 'prod', got: 'none' }]);
});

test('an empty message is allowed and has no deciding statement', () => {
  const outcome = run(testCase('-- nothing', 'allow')).suites[0]?.cases[0];
  assert.equal(outcome?.passed, true);
  assert.equal(outcome?.deciding, undefined);
});

test('the text report: ✓ and ✗ blocks, the ✗ line says expected and got, failures with file:line', () => {
  const text = formatReport(
    run(testCase('SELECT 1', 'allow'), testCase('TRUNCATE orders', 'requireApproval', { name: 'truncate is held', line: 9 })),
  );
  assert.match(text, /^ {2}✓ SELECT 1$/m);
  assert.match(text, /^ {6}agent a on Target agents\/db \(postgres, env=prod\); policies that apply: prod$/m);
  assert.match(text, /^ {8}kinds: read {2}commands: SELECT {2}objects: - {2}functions: -$/m);
  assert.match(text, /^ {6}→ allow: allowed by ApprovalPolicy prod rule reads$/m);
  assert.match(text, /^ {2}✗ truncate is held: expected requireApproval, got deny$/m);
  assert.match(text, /^failed:\n {2}✗ t\.yaml:9 truncate is held$/m);
  assert.match(text, /1 of 2 cases failed, 1 passed\n$/);
});
