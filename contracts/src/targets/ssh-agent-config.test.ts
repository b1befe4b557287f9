import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentAddress, isPlainPath, isSshHostAlias, renderSshConfig } from './ssh-agent-config.ts';

test('a strict Host block per Target and the loopback address with the user known_hosts first', () => {
  const text = renderSshConfig(
    [
      { target: 'orders-bastion', host: '127.0.0.1', port: 2222 },
      { target: 'build-host', host: '127.0.0.1', port: 2200 },
    ],
    '/var/run/airlock',
  );
  const block = (name: string, port: number) => [
    `Host ${name}`,
    '  HostName 127.0.0.1',
    `  Port ${port}`,
    `  HostKeyAlias ${name}`,
    '  UserKnownHostsFile /var/run/airlock/known_hosts',
    '  GlobalKnownHostsFile none',
    '  StrictHostKeyChecking yes',
    '  CheckHostIP no',
    '  UpdateHostKeys no',
    '  IdentitiesOnly yes',
    '  IdentityFile none',
    '  PreferredAuthentications password',
    '',
  ];
  assert.equal(
    text,
    [
      '# Written by airlock: the SSH Targets of this pod, served by the airlock sidecar on the',
      "# pod's loopback. `ssh <target-name>`; where /etc/ssh/ssh_config.d is not read, `ssh -F /var/run/airlock/ssh_config`.",
      '# The sidecar accepts the `none` login (pod identity); where it asks for the agent token, that is the password.',
      '',
      ...block('build-host', 2200),
      ...block('orders-bastion', 2222),
      'Host 127.0.0.1',
      '  UserKnownHostsFile ~/.ssh/known_hosts /var/run/airlock/known_hosts',
      '',
    ].join('\n'),
  );
});

test('the same listeners in another order give the same bytes', () => {
  const a = { target: 'a', host: '127.0.0.1', port: 1 };
  const b = { target: 'b', host: '127.0.0.1', port: 2 };
  assert.equal(renderSshConfig([a, b], '/d'), renderSshConfig([b, a], '/d'));
});

test('a wildcard bind is reached on loopback', () => {
  assert.equal(agentAddress('0.0.0.0'), '127.0.0.1');
  assert.equal(agentAddress('::'), '::1');
  assert.equal(agentAddress('127.0.0.2'), '127.0.0.2');
  assert.match(renderSshConfig([{ target: 'h', host: '::', port: 2222 }], '/d'), /^ {2}HostName ::1$/m);
});

test('nothing that ssh would read as more than a name or a path is written', () => {
  for (const name of ['orders-bastion', 'db.internal', 'a']) assert.ok(isSshHostAlias(name), name);
  for (const name of ['', 'x y', 'x\n  ProxyCommand sh', '*', '-x', 'Upper', 'a,b']) assert.ok(!isSshHostAlias(name), name);
  assert.throws(() => renderSshConfig([{ target: 'x y', host: '127.0.0.1', port: 1 }], '/d'), /cannot be an ssh host alias/);
  assert.ok(isPlainPath('/var/run/airlock'));
  for (const dir of ['relative', '/with space', '/%h', '/~', '/"q"']) {
    assert.ok(!isPlainPath(dir), dir);
    assert.throws(() => renderSshConfig([], dir), /cannot be written into ssh_config/, dir);
  }
});
