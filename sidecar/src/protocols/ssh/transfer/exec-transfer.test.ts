/**
 * The scp and rsync command lines the real clients send (captured from OpenSSH 9 `scp -O` and
 * rsync 3, their option letters as sent), read by the real shell analysis, and what the transfer
 * facets make of them; then the attempts to pass a transfer off as something else.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { compilePolicy, compileSshMatch, decide, SHELL_DYNAMIC, type SshFacts, strictestDecision } from '@airlock/contracts/policy';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { execOperations } from '../exec-operations.ts';
import { analyzeCommandLine, ShellParser } from '../shell/index.ts';

let parser: ShellParser;
before(() => {
  parser = ShellParser.load();
});

const operations = (line: string): SshFacts[] => execOperations(analyzeCommandLine(parser, line));
const transfer = (line: string) => {
  const ops = operations(line).filter((op) => op.paths !== undefined);
  assert.equal(ops.length, 1, `${line}: ${JSON.stringify(ops)}`);
  const [op] = ops;
  return { directions: op!.directions, paths: op!.paths, unknown: op!.kinds.includes('unknown') ? op!.unknownReason : undefined };
};

describe('what the clients send', () => {
  const cases: [string, { directions: string[]; paths: string[] }][] = [
    ['scp -t /srv/drop/a.txt', { directions: ['upload'], paths: ['/srv/drop/a.txt'] }],
    ['scp -v -r -p -d -t -- /srv/drop/', { directions: ['upload'], paths: ['/srv/drop'] }],
    ['scp -f /var/log/syslog', { directions: ['download'], paths: ['/var/log/syslog'] }],
    ['scp -r -f reports', { directions: ['download'], paths: ['reports'] }],
    ["scp -f '/var/log/with space'", { directions: ['download'], paths: ['/var/log/with space'] }],
    ['rsync --server -e.LsfxCIvu . /srv/drop/', { directions: ['upload'], paths: ['/srv/drop'] }],
    ['rsync --server -vlogDtpre.iLsfxCIvu --delete . /srv/drop/', { directions: ['upload'], paths: ['/srv/drop'] }],
    [
      'rsync --server --sender -vlogDtpre.iLsfxCIvu . /var/log/syslog /var/log/auth.log',
      { directions: ['download'], paths: ['/var/log/syslog', '/var/log/auth.log'] },
    ],
    ['rsync --server -nre.iLsfxCIvu . /srv/with\\ space/', { directions: ['upload'], paths: ['/srv/with space'] }],
    [
      'rsync --server --sender -blHogDtpAXrze.iLsfxCIvu --timeout=10 --bwlimit=100 --backup-dir /tmp/bk --inplace . /var/log/a',
      { directions: ['download'], paths: ['/var/log/a', '/tmp/bk'] },
    ],
    [
      'rsync --server --sender -e.iLsfxCIvu --remove-source-files . /srv/out/a',
      { directions: ['download', 'upload'], paths: ['/srv/out/a'] },
    ],
    ['rsync --server -e.iLsfxCIvu -T /tmp/stage . /srv/drop', { directions: ['upload'], paths: ['/srv/drop', '/tmp/stage'] }],
  ];
  for (const [line, expected] of cases) {
    test(line, () => assert.deepEqual(transfer(line), { ...expected, unknown: undefined }));
  }

  test('scp and rsync as ordinary programs on the host are not transfers', () => {
    for (const line of ['scp /etc/hosts backup:/srv/', 'scp -oStrictHostKeyChecking=no a b:', 'rsync -a /srv/a/ /srv/b/', 'ls -t /srv']) {
      assert.ok(
        operations(line).every((op) => op.paths === undefined),
        line,
      );
    }
  });
});

describe('a transfer that cannot be read is unknown', () => {
  const unknown: string[] = [
    'scp -S /tmp/evil -t /srv/x',
    'scp -t /srv/x -f',
    'scp -t',
    'scp $MODE /srv/x',
    'scp -t -- -x',
    'rsync --server --daemon .',
    'rsync --server -se.iLsfxCIvu . /srv',
    'rsync --server --secluded-args . /srv',
    'rsync --server --sender --files-from=- --from0 . /srv/',
    'rsync --server --log-file=/etc/cron.d/x . /srv',
    'rsync --server -Ze.x . /srv',
    'rsync $OPTS . /srv',
    'rsync --server -e.x',
    'rsync --server -e.x /srv',
    '/usr/lib/openssh/sftp-server',
  ];
  for (const line of unknown) {
    test(line, () => {
      const read = transfer(line);
      assert.ok(read.unknown, `${line} was read: ${JSON.stringify(read)}`);
    });
  }
});

describe('paths as the policy reads them', () => {
  test('a relative path is relative to the login directory only when the transfer is the whole line', () => {
    assert.deepEqual(transfer('scp -t reports/q1.csv').paths, ['reports/q1.csv']);
    assert.deepEqual(transfer('cd /etc && scp -t cron.d/x').paths, [`${SHELL_DYNAMIC}/cron.d/x`]);
    assert.deepEqual(transfer('env scp -t x').paths, [`${SHELL_DYNAMIC}/x`]);
    assert.deepEqual(transfer('cd /etc && scp -t /srv/x').paths, ['/srv/x'], 'an absolute path is what it says');
  });

  test('~ and globs are filled in by the shell; .. is kept', () => {
    assert.deepEqual(transfer('scp -f ~/x').paths, [`${SHELL_DYNAMIC}/x`]);
    assert.deepEqual(transfer('scp -f ~other').paths, [SHELL_DYNAMIC]);
    assert.deepEqual(transfer('scp -f /var/log/*.log').paths, [SHELL_DYNAMIC]);
    assert.deepEqual(transfer('scp -t /srv/drop/../../etc/x').paths, ['/srv/drop/../../etc/x']);
  });
});

describe('decided by the transfer rules', () => {
  const spec: ApprovalPolicySpec = {
    rules: [
      { name: 'scp-programs', match: { ssh: { programs: ['scp', 'rsync', 'ls'] } }, action: 'allow' },
      {
        name: 'log-downloads',
        match: { ssh: { programs: ['scp', 'rsync'], directions: ['download'], paths: ['/var/log/**'] } },
        action: 'allow',
      },
    ],
    defaultAction: 'deny',
  };
  const policies = [compilePolicy({ name: 'p', namespace: 'agents', spec }, compileSshMatch)];
  const decideLine = (line: string) => strictestDecision(operations(line).map((op) => decide(op, policies)));

  test('programs [scp] allows scp as a program but no transfer; the transfer rule allows only what it lists', () => {
    assert.equal(decideLine('scp /etc/hosts backup:/srv/').action, 'allow');
    assert.equal(decideLine('scp -t /var/log/x').action, 'deny', 'an upload');
    assert.equal(decideLine('scp -f /etc/shadow').action, 'deny');
    assert.equal(decideLine('scp -f /var/log/syslog').verdict?.rule, 'log-downloads');
    assert.equal(decideLine('rsync --server --sender -e.iLsfxCIvu . /var/log/').verdict?.rule, 'log-downloads');
    assert.equal(decideLine('rsync --server -e.iLsfxCIvu . /var/log/').action, 'deny');
    assert.equal(decideLine('scp -f /var/log/../../etc/shadow').action, 'deny');
    assert.equal(decideLine('scp -f /var/log/syslog; ls').action, 'allow', 'each program by its own rule');
    assert.equal(decideLine('scp -S x -f /var/log/syslog').action, 'deny', 'unknown is never allowed');
  });
});
