import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import type { PolicyConfig, TargetConfig } from '../core/ports.ts';
import { SqlClassifier } from '../protocols/postgres/sql/classifier.ts';
import { analyzeCommandLine, ShellParser } from '../protocols/ssh/shell/index.ts';
import { formatReport } from './format-text.ts';
import type { ResolvedCase, Suite } from './resolve-suite.ts';
import { type CaseReaders, runSuites } from './run-suite.ts';

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

const testCase = (sql: string, expect: ResolvedCase['expect'], extra: Partial<Omit<ResolvedCase, 'sql' | 'ssh'>> = {}): ResolvedCase => ({
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
  return runSuites([suite], { sql: classifier });
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

describe('ssh cases', () => {
  let readers: CaseReaders;
  before(() => {
    const parser = ShellParser.load();
    readers = { sql: classifier, ssh: { analyze: (text) => analyzeCommandLine(parser, text) } };
  });
  const hostPolicy: PolicyConfig = {
    name: 'hosts',
    namespace: 'agents',
    spec: {
      rules: [
        { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
        { name: 'restarts', match: { ssh: { programs: ['systemctl'], arguments: ['restart *'] } }, action: 'requireApproval' },
        { name: 'reads', match: { ssh: { programs: ['ls', 'cat', 'grep'] } }, action: 'allow' },
      ],
      defaultAction: 'deny',
      approval: { approvers: { groups: ['ops'] } },
    },
  };
  const host: TargetConfig = { name: 'build', namespace: 'agents', labels: {}, spec: { type: 'ssh', localPort: 2222 } };
  const sshCase = (line: string, expect: ResolvedCase['expect'], extra: Partial<Omit<ResolvedCase, 'sql' | 'ssh'>> = {}): ResolvedCase => ({
    name: line,
    field: 'cases[0]',
    line: 1,
    ssh: line,
    expect,
    target: host,
    principal,
    ...extra,
  });
  const runSsh = (...cases: ResolvedCase[]) =>
    runSuites([{ file: 'h.yaml', document: 1, name: 'h', policies: [hostPolicy, ...policies], cases }], readers);

  test('each program of the line is decided with the ssh rules, and the strictest governs the line', () => {
    const report = runSsh(
      sshCase('ls -la /var/log', 'allow', { policy: 'hosts', rule: 'reads' }),
      sshCase('systemctl restart app', 'requireApproval', { rule: 'restarts' }),
      sshCase('cat /etc/hosts | grep build; sudo rm -rf /tmp/x', 'deny', { rule: 'no-rm' }),
      // Unknown is never allowed: the allow rule that would cover it holds it instead.
      sshCase('eval "$CMD"', 'requireApproval', { rule: 'reads' }),
    );
    assert.deepEqual(
      report.suites[0]?.cases.flatMap((c) => c.mismatches),
      [],
    );
    const [ls, restart, pipeline, dynamic] = report.suites[0]?.cases ?? [];
    assert.deepEqual(ls?.applicable, ['hosts'], 'the sql policy selects by env=prod labels; this host has none');
    assert.deepEqual(ls?.statements, []);
    assert.deepEqual(
      ls?.commands.map((c) => [c.command.program, c.command.arguments]),
      [['ls', '-la /var/log']],
    );
    assert.equal(restart?.decision.verdict?.rule, 'restarts');
    assert.deepEqual(
      pipeline?.commands.map((c) => [c.command.program, c.command.runAs, c.decision.action]),
      [
        ['cat', undefined, 'allow'],
        ['grep', undefined, 'allow'],
        ['rm', 'root', 'deny'],
      ],
    );
    assert.equal(pipeline?.deciding, 2);
    assert.ok(
      dynamic?.commands.every((c) => c.command.kinds.includes('unknown')),
      'a line read incompletely is unknown',
    );
    assert.equal(dynamic?.decision.failedClosed, true);
  });

  test('the text report shows each program with its arguments, and which one decided', () => {
    const text = formatReport(runSsh(sshCase('cat /etc/hosts | grep build; rm -rf /tmp/x', 'deny'), sshCase('sudo ls /root', 'allow')));
    assert.match(text, /^ {6}agent a on Target agents\/build \(ssh\); policies that apply: hosts$/m);
    assert.match(
      text,
      /^ {6}cat \/etc\/hosts \| grep build; rm -rf \/tmp\/x\n {6}1\. program: cat {2}arguments: \/etc\/hosts\n {9}→ allow: allowed by ApprovalPolicy hosts rule reads$/m,
    );
    assert.match(text, /^ {6}3\. program: rm {2}arguments: -rf \/tmp\/x\n {9}→ deny: denied by ApprovalPolicy hosts rule no-rm$/m);
    assert.match(text, /^ {6}decision: deny \(program 3 of 3, the strictest\)$/m);
    // ls run through sudo is not covered by an allow rule without sudo: true.
    assert.match(text, /^ {2}✗ sudo ls \/root: expected allow, got deny$/m);
    assert.match(text, /program: ls {2}arguments: \/root {2}as user: root/);
  });
});
