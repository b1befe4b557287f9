import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SSHMatch } from '@airlock/crds';
import { compilePolicy, decide } from './decide.ts';
import { forwardDestination } from './forward-destination.ts';
import { compileSshMatch, type SshFacts } from './ssh-match.ts';
import { sshAllows, sshDenies, sshExec } from './testing/ssh-operations.ts';

/** One connection forwarded by ssh -L or ssh -D, as the sidecar hands it to the policy. */
const forward = (host: string, port: number): SshFacts => {
  const destination = forwardDestination(host, port);
  return { text: `port-forward ${destination}`, kinds: ['port-forward'], requestType: 'port-forward', destination, writes: [] };
};
const shell: SshFacts = { text: 'shell', kinds: ['shell'], requestType: 'shell', writes: [] };
const sftp: SshFacts = { text: 'subsystem sftp', kinds: ['subsystem'], requestType: 'subsystem', subsystem: 'sftp', writes: [] };

const exec = (program: string, args = ''): SshFacts => ({ ...sshExec(program, args), text: `${program} ${args}` });
const allows = sshAllows;
const denies = sshDenies;

const database: SSHMatch = { requestTypes: ['port-forward'], destinations: ['127.0.0.1:5432', 'db.internal:*'] };

describe('allow: a forwarding only to a destination the rule lists', () => {
  test('the listed destinations are covered, others are not', () => {
    assert.ok(allows(database, forward('127.0.0.1', 5432)));
    assert.ok(allows(database, forward('DB.internal', 6379)));
    assert.ok(!allows(database, forward('127.0.0.1', 22)));
    assert.ok(!allows(database, forward('localhost', 5432)), 'a name is not the address it resolves to');
    assert.ok(!allows(database, forward('10.0.0.5', 5432)));
  });

  test('without destinations an allow rule covers no forwarding, even one that names port-forward', () => {
    assert.ok(!allows({ requestTypes: ['port-forward'] }, forward('127.0.0.1', 5432)));
    assert.ok(!allows({}, forward('127.0.0.1', 5432)));
    assert.ok(!allows({ destinations: ['127.0.0.1:5432'] }, forward('127.0.0.1', 5432)), 'exec by default: it must name port-forward');
  });

  test('a destinations rule never allows an exec, a shell or a subsystem', () => {
    const everything: SSHMatch = { requestTypes: ['exec', 'shell', 'subsystem', 'port-forward'], destinations: ['*:*'] };
    assert.ok(allows(everything, forward('anything.example', 1)));
    for (const op of [exec('ls'), exec('rm', '-rf /'), shell, sftp]) assert.ok(!allows(everything, op), op.text);
  });

  test('a programs rule never allows a forwarding, whatever request types it names', () => {
    const programs: SSHMatch = { requestTypes: ['exec', 'port-forward'], programs: ['*'] };
    assert.ok(allows(programs, exec('ssh')));
    assert.ok(!allows(programs, forward('127.0.0.1', 5432)));
    assert.ok(!allows({ requestTypes: ['port-forward'], directions: ['download'] }, forward('127.0.0.1', 5432)));
    assert.ok(!allows({ requestTypes: ['shell', 'port-forward'] }, forward('127.0.0.1', 5432)));
    assert.ok(allows({ requestTypes: ['shell', 'port-forward'] }, shell));
  });
});

describe('deny and requireApproval: any listed destination', () => {
  test('a rule with destinations catches forwardings there and nothing else', () => {
    const internal: SSHMatch = { requestTypes: ['port-forward'], destinations: ['*.internal:*', '10.*:22'] };
    assert.ok(denies(internal, forward('a.db.internal', 5432)));
    assert.ok(denies(internal, forward('10.1.2.3', 22)));
    assert.ok(denies(internal, forward('167837955', 22)), 'an address spelled as a number could be any address');
    assert.ok(!denies(internal, forward('example.com', 443)));
    assert.ok(!denies(internal, exec('ls')));
  });

  test('requestTypes alone catches every forwarding', () => {
    assert.ok(denies({ requestTypes: ['port-forward'] }, forward('example.com', 443)));
    assert.ok(!denies({ requestTypes: ['port-forward'] }, exec('ls')));
  });
});

describe('with decide', () => {
  const policy = compilePolicy(
    {
      name: 'tunnels',
      namespace: 'agents',
      spec: {
        defaultAction: 'deny',
        rules: [
          { name: 'no-ssh-tunnels', match: { ssh: { requestTypes: ['port-forward'], destinations: ['*:22'] } }, action: 'deny' },
          { name: 'replica', match: { ssh: { requestTypes: ['port-forward'], destinations: ['*:5432'] } }, action: 'allow' },
          { name: 'reads', match: { ssh: { programs: ['ls'] } }, action: 'allow' },
        ],
      },
    },
    compileSshMatch,
  );

  test('the listed destination is allowed, a denied one denied, the rest falls to the default', () => {
    assert.equal(decide(forward('db.internal', 5432), [policy]).verdict?.rule, 'replica');
    assert.equal(decide(forward('db.internal', 5432), [policy]).action, 'allow');
    assert.equal(decide(forward('db.internal', 22), [policy]).verdict?.rule, 'no-ssh-tunnels');
    const other = decide(forward('db.internal', 6379), [policy]);
    assert.deepEqual([other.action, other.verdict?.rule], ['deny', undefined]);
    assert.equal(decide(exec('ls'), [policy]).action, 'allow');
  });
});
