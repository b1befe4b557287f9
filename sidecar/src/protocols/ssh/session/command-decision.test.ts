import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicy, compileSshMatch } from '@airlock/contracts/policy';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { ShellParser } from '../shell/index.ts';
import { decideCommand, decideShell, decideSubsystem, SHELL_TEXT } from './command-decision.ts';

const parser = ShellParser.load();
const SPEC: ApprovalPolicySpec = {
  rules: [
    { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny', message: 'Never delete.' },
    {
      name: 'restarts',
      match: { ssh: { programs: ['systemctl'], arguments: ['restart *'] } },
      action: 'requireApproval',
      approval: { approvers: { groups: ['ops'] } },
    },
    { name: 'harmless', match: { ssh: { programs: ['echo', 'cat', 'grep'] } }, action: 'allow' },
    { name: 'sftp', match: { ssh: { subsystems: ['sftp'] } }, action: 'allow' },
  ],
  defaultAction: 'deny',
};
const policies = [compilePolicy({ name: 'p', namespace: 'agents', spec: SPEC }, compileSshMatch)];
const limits = { maxCommandBytes: 1024 };
const decideLine = (text: string) => decideCommand(text, parser, policies, limits);

describe('exec command lines', () => {
  test('a line of allowed programs is allowed', () => {
    const decided = decideLine('cat /etc/hostname | grep -c x && echo done');
    assert.equal(decided.decision.action, 'allow');
    assert.equal(decided.requestType, 'exec');
    assert.deepEqual(
      decided.facts?.commands.map((c) => c.program),
      ['cat', 'grep', 'echo'],
    );
  });

  for (const line of ['echo ok | rm -rf /srv', 'echo $(rm -rf /srv)', "bash -c 'rm -rf /srv'", 'sudo rm -rf /srv', 'cat <(rm -rf /srv)']) {
    test(`a denied program hidden in ${JSON.stringify(line)} denies the line`, () => {
      const { decision } = decideLine(line);
      assert.equal(decision.action, 'deny');
      assert.equal(decision.verdict?.rule, 'no-rm');
    });
  }

  test('a held program holds the line', () => {
    assert.equal(decideLine('systemctl restart orders').decision.action, 'requireApproval');
    assert.equal(decideLine('systemctl restart orders; echo done').decision.action, 'requireApproval');
  });

  test('a line that does not parse is unknown and never allowed', () => {
    const decided = decideLine("echo 'unterminated");
    assert.equal(decided.decision.action, 'deny');
    assert.equal(decided.decision.failedClosed, true);
    assert.match(decided.facts?.unknownReasons.join() ?? '', /does not parse/);
  });

  test('an unknown line an allow rule would cover goes to approval when the policy names approvers, never through', () => {
    const withApprovers = [
      compilePolicy({ name: 'p', namespace: 'agents', spec: { ...SPEC, approval: { approvers: { groups: ['ops'] } } } }, compileSshMatch),
    ];
    assert.equal(decideCommand("echo 'unterminated", parser, withApprovers, limits).decision.action, 'requireApproval');
  });

  test('a line over the limit is denied unread', () => {
    const decided = decideLine(`echo ${'x'.repeat(1100)}`);
    assert.equal(decided.decision.action, 'deny');
    assert.equal(decided.facts, undefined);
    assert.match(decided.decision.reason, /over this sidecar's limit of 1024 bytes/);
  });

  test('a program no rule names falls to the default action', () => {
    assert.equal(decideLine('curl http://example').decision.action, 'deny');
  });
});

test('a subsystem is one operation of its request type', () => {
  assert.equal(decideSubsystem('sftp', policies).decision.action, 'allow');
  assert.equal(decideSubsystem('sftp', policies).requestType, 'subsystem');
  assert.equal(decideSubsystem('x11', policies).decision.action, 'deny');
});

describe('interactive shells, decided at open', () => {
  const decideWith = (rules: ApprovalPolicySpec['rules']) =>
    decideShell([compilePolicy({ name: 'p', namespace: 'agents', spec: { rules, defaultAction: 'deny' } }, compileSshMatch)]);

  test('a shell is one operation, named only by its request type', () => {
    const decided = decideWith([{ name: 'shells', match: { ssh: { requestTypes: ['shell'] } }, action: 'allow' }]);
    assert.deepEqual([decided.requestType, decided.text, decided.facts], ['shell', SHELL_TEXT, undefined]);
    assert.equal(decided.decision.action, 'allow');
    assert.equal(decided.decision.verdict?.rule, 'shells');
  });

  test('allow rules without requestTypes cover exec, never a shell: the policy of the exec tests denies it', () => {
    assert.equal(decideShell(policies).decision.action, 'deny');
    assert.equal(decideShell(policies).decision.verdict?.rule, undefined, 'no rule should have matched');
    assert.equal(decideWith([{ name: 'everything', match: { ssh: {} }, action: 'allow' }]).decision.action, 'deny');
    assert.equal(decideWith([{ name: 'exec-only', match: { ssh: { requestTypes: ['exec'] } }, action: 'allow' }]).decision.action, 'deny');
  });

  test('deny and approval rules that name requestTypes [shell] match it; rules about programs do not', () => {
    const denied = decideWith([
      { name: 'shells', match: { ssh: { requestTypes: ['shell'] } }, action: 'deny', message: 'No interactive sessions.' },
      { name: 'all', match: { ssh: { requestTypes: ['shell', 'exec'] } }, action: 'allow' },
    ]);
    assert.equal(denied.decision.action, 'deny');
    assert.match(denied.decision.reason, /rule shells No interactive sessions\./);
    const held = decideWith([
      { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
      {
        name: 'shells',
        match: { ssh: { requestTypes: ['shell'] } },
        action: 'requireApproval',
        approval: { approvers: { groups: ['ops'] } },
      },
    ]);
    assert.equal(held.decision.action, 'requireApproval');
    assert.equal(held.decision.verdict?.rule, 'shells');
  });
});
