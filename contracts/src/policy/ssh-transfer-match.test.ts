import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SSHMatch } from '@airlock/crds';
import { compilePolicy, decide } from './decide.ts';
import { compileSshMatch, SHELL_DYNAMIC, type SshFacts, type TransferDirection } from './ssh-match.ts';
import { sshAllows, sshDenies, sshExec } from './testing/ssh-operations.ts';
import { normalizeTransferPath } from './transfer-path.ts';

/** One SFTP request inside an sftp subsystem channel. */
const sftp = (directions: TransferDirection[], ...paths: string[]): SshFacts => ({
  text: `sftp ${directions.join(',')} ${paths.join(' ')}`,
  kinds: ['subsystem'],
  requestType: 'subsystem',
  subsystem: 'sftp',
  writes: [],
  directions,
  paths: paths.map(normalizeTransferPath),
});
/** An scp -t/-f or rsync --server command line on the host. */
const transferCommand = (program: string, args: string, directions: TransferDirection[], ...paths: string[]): SshFacts => ({
  text: `${program} ${args}`,
  kinds: ['exec'],
  requestType: 'exec',
  program,
  arguments: args,
  writes: [],
  directions,
  paths,
});
const sftpChannel: SshFacts = { text: 'subsystem sftp', kinds: ['subsystem'], requestType: 'subsystem', subsystem: 'sftp', writes: [] };

const exec = (program: string, args = ''): SshFacts => ({ ...sshExec(program, args), text: `${program} ${args}` });
const allows = sshAllows;
const denies = sshDenies;

const DOWNLOAD_LOGS: SSHMatch = { subsystems: ['sftp'], directions: ['download'], paths: ['/var/log/**'] };

describe('an allow rule covers a file operation only when it says so', () => {
  test('without directions or paths, no file operation: programs [scp] allows no transfer, subsystems [sftp] no request', () => {
    assert.ok(!allows({ programs: ['scp'] }, transferCommand('scp', '-t /srv/x', ['upload'], '/srv/x')));
    assert.ok(!allows({ programs: ['scp'] }, transferCommand('scp', '-f /srv/x', ['download'], '/srv/x')));
    assert.ok(allows({ programs: ['scp'] }, exec('scp', '/etc/hosts other:')), 'scp run as a program is a program');
    assert.ok(allows({ subsystems: ['sftp'] }, sftpChannel));
    assert.ok(!allows({ subsystems: ['sftp'] }, sftp(['download'], '/var/log/syslog')));
    assert.ok(!allows({ requestTypes: ['subsystem'] }, sftp([], '/var/log')), 'not even a lookup');
  });

  test('with directions or paths, only file operations and the opening of the subsystems it names', () => {
    assert.ok(allows(DOWNLOAD_LOGS, sftpChannel));
    assert.ok(!allows(DOWNLOAD_LOGS, { ...sftpChannel, subsystem: 'other', text: 'subsystem other' }));
    const anyProgram: SSHMatch = { directions: ['download'], paths: ['/var/log/**'] };
    assert.ok(!allows(anyProgram, exec('rm', '-rf /')), 'unset programs must not allow every program');
    assert.ok(!allows(anyProgram, exec('cat', '/var/log/syslog')));
    assert.ok(allows(anyProgram, transferCommand('rsync', '--server --sender . /var/log/', ['download'], '/var/log')));
    assert.ok(!allows(anyProgram, sftp(['download'], '/var/log/syslog')), 'an allow rule covers exec unless it names subsystems');
  });

  test('every direction must be listed: an open for reading and writing is both', () => {
    assert.ok(allows(DOWNLOAD_LOGS, sftp(['download'], '/var/log/syslog')));
    assert.ok(!allows(DOWNLOAD_LOGS, sftp(['upload'], '/var/log/syslog')));
    assert.ok(!allows(DOWNLOAD_LOGS, sftp(['download', 'upload'], '/var/log/syslog')));
    assert.ok(allows({ ...DOWNLOAD_LOGS, directions: ['download', 'upload'] }, sftp(['download', 'upload'], '/var/log/syslog')));
  });

  test('every path must be listed: a rename out of the tree is not covered', () => {
    const uploads: SSHMatch = { subsystems: ['sftp'], directions: ['upload'], paths: ['/srv/drop/**'] };
    assert.ok(allows(uploads, sftp(['upload'], '/srv/drop/a', '/srv/drop/b')));
    assert.ok(!allows(uploads, sftp(['upload'], '/srv/drop/a', '/etc/cron.d/a')));
    assert.ok(!allows(uploads, sftp(['upload'], '/etc/cron.d/a', '/srv/drop/a')));
  });

  test('a lookup (no direction) is covered by any rule that covers its path', () => {
    assert.ok(allows(DOWNLOAD_LOGS, sftp([], '/var/log/app')));
    assert.ok(allows({ subsystems: ['sftp'], directions: ['upload'], paths: ['/srv/**'] }, sftp([], '/srv/drop')));
    assert.ok(!allows(DOWNLOAD_LOGS, sftp([], '/etc')));
  });

  test('a pattern ending in /** covers its directory, and only that one', () => {
    assert.ok(allows(DOWNLOAD_LOGS, sftp(['download'], '/var/log')));
    assert.ok(allows(DOWNLOAD_LOGS, sftp(['download'], '/var/log/')));
    assert.ok(!allows(DOWNLOAD_LOGS, sftp(['download'], '/var/logs')));
    assert.ok(!allows(DOWNLOAD_LOGS, sftp(['download'], '/var')));
    assert.ok(allows({ ...DOWNLOAD_LOGS, paths: ['/**'] }, sftp(['download'], '/')));
  });
});

describe('paths are names, matched on the safe side', () => {
  test('allow: .. never climbs out of a pattern, whatever it resolves to', () => {
    const inside: SSHMatch = { subsystems: ['sftp'], directions: ['download'], paths: ['a/**', '/srv/**'] };
    assert.ok(allows(inside, sftp(['download'], 'a/b')));
    assert.ok(!allows(inside, sftp(['download'], 'a/../../etc/passwd')));
    assert.ok(!allows(inside, sftp(['download'], 'a/b/..')));
    assert.ok(!allows(inside, sftp(['download'], '/srv/../etc/shadow')));
    assert.ok(!allows(inside, sftp(['download'], '/srv/link/../x')), 'not resolved lexically: link may be a symlink');
    assert.ok(allows({ ...inside, paths: ['**'] }, sftp(['download'], '/srv/../etc/shadow')), 'only ** says "anything"');
  });

  test('allow: relative paths are matched as relative, absolute as absolute', () => {
    assert.ok(allows({ subsystems: ['sftp'], paths: ['reports/**'] }, sftp(['download'], './reports//q1.csv')));
    assert.ok(!allows({ subsystems: ['sftp'], paths: ['/home/**'] }, sftp(['download'], 'reports/q1.csv')));
    assert.ok(!allows({ subsystems: ['sftp'], paths: ['reports/**'] }, sftp(['download'], '/home/u/reports/q1.csv')));
  });

  test('allow: run-time text only under a pattern of nothing but **', () => {
    const globbed = transferCommand('scp', `-f /var/log/${SHELL_DYNAMIC}`, ['download'], `/var/log/${SHELL_DYNAMIC}`);
    assert.ok(!allows({ programs: ['scp'], directions: ['download'], paths: ['/var/log/**'] }, globbed));
    assert.ok(allows({ programs: ['scp'], directions: ['download'], paths: ['**'] }, globbed));
  });

  test('allow: case counts', () => {
    assert.ok(!allows({ subsystems: ['sftp'], paths: ['/srv/**'] }, sftp(['download'], '/SRV/x')));
  });

  test('deny: any direction, any path; a climbing path could be any path; case does not count', () => {
    const noEtc: SSHMatch = { paths: ['/etc/**'] };
    assert.ok(denies(noEtc, sftp(['upload'], '/tmp/a', '/etc/cron.d/a')));
    assert.ok(denies(noEtc, sftp(['download'], '/ETC/shadow')));
    assert.ok(denies(noEtc, sftp(['upload'], 'x/../../../etc/cron.d/a')));
    assert.ok(denies(noEtc, transferCommand('scp', '-f', ['download'], `/${SHELL_DYNAMIC}/shadow`)));
    assert.ok(!denies(noEtc, sftp(['upload'], '/srv/drop/a')));
    assert.ok(!denies(noEtc, exec('cat', '/etc/shadow')), 'a program is not a file operation');
    assert.ok(!denies(noEtc, sftpChannel));
    assert.ok(denies({ directions: ['upload'] }, sftp(['download', 'upload'], '/srv/a')));
    assert.ok(!denies({ directions: ['upload'] }, sftp([], '/srv/a')), 'a lookup moves nothing');
  });
});

describe('with decide', () => {
  const policy = compilePolicy(
    {
      name: 'files',
      namespace: 'agents',
      spec: {
        defaultAction: 'deny',
        rules: [
          { name: 'no-secrets', match: { ssh: { paths: ['/srv/drop/secret/**'] } }, action: 'deny' },
          { name: 'logs', match: { ssh: DOWNLOAD_LOGS }, action: 'allow' },
          { name: 'drop', match: { ssh: { subsystems: ['sftp'], directions: ['upload'], paths: ['/srv/drop/**'] } }, action: 'allow' },
          { name: 'scp', match: { ssh: { programs: ['scp'] } }, action: 'allow' },
        ],
      },
    },
    compileSshMatch,
  );

  test('each operation by its direction and paths; a deny rule wins over an allow rule that covers the path', () => {
    assert.equal(decide(sftpChannel, [policy]).action, 'allow');
    assert.equal(decide(sftp(['download'], '/var/log/syslog'), [policy]).verdict?.rule, 'logs');
    assert.equal(decide(sftp(['upload'], '/srv/drop/a'), [policy]).verdict?.rule, 'drop');
    assert.equal(decide(sftp(['upload'], '/var/log/syslog'), [policy]).action, 'deny');
    assert.equal(decide(sftp(['upload'], '/srv/drop/secret/key'), [policy]).verdict?.rule, 'no-secrets');
    assert.equal(decide(transferCommand('scp', '-t /srv/drop/a', ['upload'], '/srv/drop/a'), [policy]).action, 'deny');
  });

  test('the reason names what a near-miss allow rule does not list', () => {
    const decision = decide(sftp(['download', 'upload'], '/var/log/syslog'), [policy]);
    assert.equal(decision.action, 'deny');
    assert.match(decision.reason, /does not allow direction upload/);
  });
});
