import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RULE_MATCH_COMPILERS } from '../targets/target-types.ts';
import { compilePolicy, decide } from './decide.ts';
import { compileSshMatch, SHELL_DYNAMIC } from './ssh-match.ts';
import { sshAllows, sshDenies, sshExec, sshRequest } from './testing/ssh-operations.ts';

const exec = sshExec;
const request = sshRequest;
const allows = sshAllows;
const denies = sshDenies;

describe('programs', () => {
  test('allow: a bare pattern covers a bare name, a path pattern a path it matches whole', () => {
    assert.ok(allows({ programs: ['ls'] }, exec('ls')));
    assert.ok(!allows({ programs: ['ls'] }, exec('/tmp/x/ls')));
    assert.ok(!allows({ programs: ['ls'] }, exec('LS')));
    assert.ok(allows({ programs: ['/usr/bin/*'] }, exec('/usr/bin/ls')));
    assert.ok(!allows({ programs: ['/usr/bin/*'] }, exec('ls')));
    assert.ok(!allows({ programs: ['/usr/bin/*'] }, exec('/usr/bin/../../tmp/x')));
  });

  test('deny: the name as written or its base name, and a path pattern catches a bare name', () => {
    assert.ok(denies({ programs: ['rm'] }, exec('/bin/rm')));
    assert.ok(denies({ programs: ['rm'] }, exec('./rm')));
    assert.ok(denies({ programs: ['rm'] }, exec('RM')));
    assert.ok(denies({ programs: ['/usr/bin/rm'] }, exec('rm')));
    assert.ok(denies({ programs: ['mkfs*'] }, exec('/sbin/mkfs.ext4')));
    assert.ok(!denies({ programs: ['rm'] }, exec('rmdir')));
  });

  test('a command without a program is covered by a program list and not caught by one', () => {
    assert.ok(allows({ programs: ['ls'] }, exec(undefined)));
    assert.ok(!denies({ programs: ['rm'] }, exec(undefined)));
  });
});

describe('arguments', () => {
  test('allow: every argument string, text filled in at run time only under **', () => {
    assert.ok(allows({ programs: ['systemctl'], arguments: ['status *'] }, exec('systemctl', 'status orders')));
    assert.ok(!allows({ programs: ['systemctl'], arguments: ['status *'] }, exec('systemctl', 'stop orders')));
    assert.ok(!allows({ programs: ['systemctl'], arguments: ['status *'] }, exec('systemctl', `status ${SHELL_DYNAMIC}`)));
    assert.ok(allows({ programs: ['systemctl'], arguments: ['status **'] }, exec('systemctl', `status ${SHELL_DYNAMIC}`)));
    assert.ok(!allows({ arguments: ['-l'] }, exec('ls', '-L')), 'case counts');
  });

  test('deny: text filled in at run time matches what it could be', () => {
    assert.ok(denies({ programs: ['rm'], arguments: ['-rf /'] }, exec('rm', `-rf ${SHELL_DYNAMIC}`)));
    assert.ok(denies({ programs: ['rm'], arguments: ['-rf *'] }, exec('rm', '-RF /srv/data')));
  });
});

describe('what an allow rule covers only when it says so', () => {
  test('request types: exec by default, subsystem with subsystems, shell and forwarding only when named', () => {
    assert.ok(!allows({ programs: ['ls'] }, request('shell')));
    assert.ok(!allows({}, request('port-forward')));
    assert.ok(allows({ requestTypes: ['shell'] }, request('shell')));
    assert.ok(allows({ subsystems: ['sftp'] }, request('subsystem', { subsystem: 'sftp' })));
    assert.ok(!allows({ subsystems: ['sftp'] }, exec('rm')));
    assert.ok(!allows({ subsystems: ['sftp'] }, request('subsystem', { subsystem: 'evil' })));
    assert.ok(denies({ programs: ['rm'] }, exec('rm')), 'deny reads every request type');
    assert.ok(denies({ requestTypes: ['port-forward'] }, request('port-forward')));
    assert.ok(!denies({ requestTypes: ['port-forward'] }, exec('ls')));
  });

  test('shell: a rule that lists what may run never covers an interactive shell, even when it names shell', () => {
    assert.ok(!allows({ requestTypes: ['exec', 'shell'], programs: ['ls'] }, request('shell')), 'a shell has no program to check');
    assert.ok(!allows({ requestTypes: ['shell'], arguments: ['**'] }, request('shell')));
    assert.ok(!allows({ requestTypes: ['exec', 'shell'], writes: ['/tmp/**'] }, request('shell')));
    assert.ok(allows({ requestTypes: ['exec', 'shell'], programs: ['ls'] }, exec('ls')), 'the same rule still covers its execs');
    assert.ok(allows({ requestTypes: ['shell'], sudo: true }, request('shell')), 'naming shell alone covers shells');
    assert.ok(denies({ requestTypes: ['shell'], programs: ['ls'] }, request('shell')) === false, 'deny reads programs: a shell has none');
    assert.ok(denies({ requestTypes: ['shell'] }, request('shell')));
  });

  test('writes: none unless listed', () => {
    const writing = exec('echo', 'x', { writes: ['/etc/passwd'] });
    assert.ok(!allows({ programs: ['echo'] }, writing));
    assert.ok(!allows({ programs: ['echo'], writes: ['/tmp/**'] }, writing));
    assert.ok(allows({ programs: ['echo'], writes: ['/etc/*'] }, writing));
    assert.ok(allows({ programs: ['echo'], writes: ['/tmp/**'] }, exec('echo', 'x', { writes: ['/tmp/a/b'] })));
    assert.ok(!allows({ programs: ['echo'], writes: ['/tmp/**'] }, exec('echo', 'x', { writes: ['/tmp/a', '/etc/b'] })));
    assert.ok(denies({ writes: ['/etc/**'] }, writing));
    assert.ok(!denies({ writes: ['/etc/**'] }, exec('echo')));
  });

  test('sudo: covered only with sudo: true; a deny rule with sudo: true catches only sudo', () => {
    const asRoot = exec('systemctl', 'restart orders', { runAs: 'root' });
    assert.ok(!allows({ programs: ['systemctl'] }, asRoot));
    assert.ok(allows({ programs: ['systemctl'], sudo: true }, asRoot));
    assert.ok(allows({ programs: ['systemctl'], sudo: true }, exec('systemctl')), 'sudo: true widens, it does not require');
    assert.ok(denies({ sudo: true }, asRoot));
    assert.ok(!denies({ sudo: true }, exec('systemctl')));
  });
});

describe('with decide', () => {
  const policy = compilePolicy(
    {
      name: 'hosts',
      namespace: 'agents',
      spec: {
        defaultAction: 'deny',
        approval: { approvers: { groups: ['ops'] } },
        rules: [
          { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
          { name: 'reads', match: { ssh: { programs: ['ls', 'cat'] } }, action: 'allow' },
          { name: 'sql-reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' },
        ],
      },
    },
    compileSshMatch,
  );

  test('allow, deny, default, and a rule for another protocol never matches', () => {
    assert.equal(decide(exec('ls'), [policy]).action, 'allow');
    assert.equal(decide(exec('rm', '-rf /'), [policy]).action, 'deny');
    assert.equal(decide(exec('git', 'pull'), [policy]).verdict?.rule, undefined);
  });

  test('unknown is never allowed: an allow becomes approval when the policy names approvers', () => {
    const decision = decide({ ...exec('ls'), kinds: ['exec', 'unknown'], unknownReason: 'eval of run-time text' }, [policy]);
    assert.equal(decision.action, 'requireApproval');
    assert.ok(decision.failedClosed);
    assert.match(decision.reason, /eval of run-time text/);
  });

  test('registered as the matcher of match.ssh', () => {
    assert.equal(RULE_MATCH_COMPILERS.ssh, compileSshMatch);
  });
});
