/**
 * The filter's decision core with a real compiled policy: packets in, verdicts out, and the
 * judgements it asked for (what the session would record).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicy, compileSshMatch, type Decision, decide, type SshFacts } from '@airlock/contracts/policy';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { SftpProtocolError } from './sftp-error.ts';
import { SftpReader, sftpPacket } from './sftp-fields.ts';
import { type AgentVerdict, SftpFilter } from './sftp-filter.ts';
import { MAX_PATH_BYTES } from './sftp-operation.ts';
import { MAX_SFTP_DATA, PACKET, PFLAG, STATUS } from './sftp-protocol.ts';

const SPEC: ApprovalPolicySpec = {
  rules: [
    { name: 'no-keys', match: { ssh: { paths: ['/srv/out/keys/**'] } }, action: 'deny', message: 'Keys stay.' },
    {
      name: 'review-big',
      match: { ssh: { paths: ['/srv/out/big/**'] } },
      action: 'requireApproval',
      approval: { approvers: { groups: ['ops'] } },
    },
    { name: 'downloads', match: { ssh: { subsystems: ['sftp'], directions: ['download'], paths: ['/srv/out/**'] } }, action: 'allow' },
    {
      name: 'uploads',
      match: { ssh: { subsystems: ['sftp'], directions: ['upload'], paths: ['/srv/in/**', 'drop/**'] } },
      action: 'allow',
    },
  ],
  defaultAction: 'deny',
};
const policies = [compilePolicy({ name: 'files', namespace: 'agents', spec: SPEC }, compileSshMatch)];

function filter(): { filter: SftpFilter; judged: SshFacts[] } {
  const judged: SshFacts[] = [];
  const sftp = new SftpFilter((facts): Decision => {
    judged.push(facts);
    return decide(facts, policies);
  });
  sftp.fromAgent(sftpPacket(PACKET.INIT, [3]));
  sftp.fromHost(sftpPacket(PACKET.VERSION, [3]));
  return { filter: sftp, judged };
}

const open = (id: number, path: string | Buffer, pflags: number) => sftpPacket(PACKET.OPEN, [id, path, pflags, 0]);
const handleReply = (id: number, handle: string) => sftpPacket(PACKET.HANDLE, [id, handle]);
const okStatus = (id: number) => sftpPacket(PACKET.STATUS, [id, STATUS.OK, '', '']);
const read = (id: number, handle: string) => sftpPacket(PACKET.READ, [id, handle, 0n, 4096]);
const write = (id: number, handle: string) => sftpPacket(PACKET.WRITE, [id, handle, 0n, 'data']);

function forwarded(verdict: AgentVerdict, decided?: boolean): void {
  assert.equal(verdict.kind, 'forward', verdict.kind === 'refuse' ? verdict.sentence : '');
  if (decided !== undefined && verdict.kind === 'forward') assert.equal(verdict.decided, decided);
}

/** The STATUS the sidecar answered with: its id, code and message. */
function refused(verdict: AgentVerdict, code: number = STATUS.PERMISSION_DENIED): { id: number; message: string } {
  assert.equal(verdict.kind, 'refuse', 'the request was forwarded');
  if (verdict.kind !== 'refuse') throw new Error('unreachable');
  const reader = new SftpReader(verdict.reply);
  assert.equal(reader.byte('type'), PACKET.STATUS);
  const id = reader.uint32('id');
  assert.equal(reader.uint32('code'), code);
  return { id, message: reader.string('message').toString('utf8') };
}

const protocolError = (code: string) => (error: unknown) => error instanceof SftpProtocolError && error.code === code;

describe('file operations: decided by direction and path', () => {
  test('an OPEN is decided once; its handle carries the decision to READ, WRITE and CLOSE', () => {
    const { filter: sftp, judged } = filter();
    forwarded(sftp.fromAgent(open(1, '/srv/out/report.csv', PFLAG.READ)), true);
    assert.deepEqual(judged.at(-1)?.paths, ['/srv/out/report.csv']);
    assert.deepEqual(judged.at(-1)?.directions, ['download']);
    assert.equal(judged.at(-1)?.text, 'sftp open read /srv/out/report.csv (download)');
    sftp.fromHost(handleReply(1, 'h1'));
    forwarded(sftp.fromAgent(read(2, 'h1')), false);
    assert.match(refused(sftp.fromAgent(write(3, 'h1'))).message, /not opened on this channel for write/);
    forwarded(sftp.fromAgent(sftpPacket(PACKET.FSTAT, [4, 'h1'])), false);
    forwarded(sftp.fromAgent(sftpPacket(PACKET.CLOSE, [5, 'h1'])), false);
    assert.equal(refused(sftp.fromAgent(read(6, 'h1'))).id, 6, 'a closed handle is no handle');
    assert.equal(judged.length, 1, 'READ, WRITE, FSTAT and CLOSE need no decision of their own');
  });

  test('an upload where only downloads are allowed is answered PERMISSION_DENIED and never sent', () => {
    const { filter: sftp, judged } = filter();
    const { id, message } = refused(sftp.fromAgent(open(9, '/srv/out/x', PFLAG.WRITE | PFLAG.CREAT | PFLAG.TRUNC)));
    assert.equal(id, 9);
    assert.match(message, /^airlock: sftp open write,create,truncate \/srv\/out\/x \(upload\): denied by ApprovalPolicy files/);
    assert.deepEqual(judged.at(-1)?.directions, ['upload']);
    // A handle the host would have given for it is not one the agent may use.
    sftp.fromHost(handleReply(9, 'h9'));
    refused(sftp.fromAgent(write(10, 'h9')));
  });

  test('an OPEN for reading and writing is both directions', () => {
    const { filter: sftp, judged } = filter();
    refused(sftp.fromAgent(open(1, '/srv/out/a', PFLAG.READ | PFLAG.WRITE)));
    assert.deepEqual(judged.at(-1)?.directions, ['download', 'upload']);
    refused(sftp.fromAgent(open(2, '/srv/in/a', PFLAG.READ | PFLAG.WRITE)));
    forwarded(sftp.fromAgent(open(3, '/srv/in/a', PFLAG.WRITE)), true);
    refused(sftp.fromAgent(open(4, '/srv/in/a', PFLAG.APPEND)));
    assert.deepEqual(judged.at(-1)?.directions, ['download', 'upload'], 'APPEND without WRITE: the host opens for reading too');
    refused(sftp.fromAgent(open(5, '/srv/in/a', PFLAG.CREAT)));
    assert.deepEqual(judged.at(-1)?.directions, ['download', 'upload'], 'CREAT without WRITE: readable, and it creates');
    refused(sftp.fromAgent(open(6, '/srv/out/a', PFLAG.READ | 0x100)));
    assert.deepEqual(judged.at(-1)?.directions, ['download', 'upload'], 'a flag the draft does not define counts as writing');
    assert.equal(judged.at(-1)?.text, 'sftp open read,0x100 /srv/out/a (download and upload)');
  });

  test('a lookup (STAT, LSTAT, READLINK) is covered by a rule for either direction: clients look before they write', () => {
    const { filter: sftp, judged } = filter();
    forwarded(sftp.fromAgent(sftpPacket(PACKET.STAT, [1, '/srv/in/new.csv'])), true);
    forwarded(sftp.fromAgent(sftpPacket(PACKET.LSTAT, [2, '/srv/out/a'])), true);
    forwarded(sftp.fromAgent(sftpPacket(PACKET.READLINK, [3, '/srv/in/link'])), true);
    refused(sftp.fromAgent(sftpPacket(PACKET.STAT, [4, '/etc/shadow'])));
    refused(sftp.fromAgent(sftpPacket(PACKET.LSTAT, [5, '/srv/out/keys/id_rsa'])));
    assert.deepEqual(
      judged.map((facts) => facts.directions),
      [[], [], [], [], []],
    );
  });

  test('requests by path: listings are downloads, changes are uploads, a rename needs both paths', () => {
    const { filter: sftp, judged } = filter();
    forwarded(sftp.fromAgent(sftpPacket(PACKET.OPENDIR, [1, '/srv/out'])), true);
    forwarded(sftp.fromAgent(sftpPacket(PACKET.STAT, [2, '/srv/out/a'])), true);
    refused(sftp.fromAgent(sftpPacket(PACKET.REMOVE, [3, '/srv/out/a'])));
    forwarded(sftp.fromAgent(sftpPacket(PACKET.REMOVE, [4, '/srv/in/a'])), true);
    refused(sftp.fromAgent(sftpPacket(PACKET.RENAME, [5, '/srv/in/a', '/etc/cron.d/a'])));
    refused(sftp.fromAgent(sftpPacket(PACKET.EXTENDED, [6, 'posix-rename@openssh.com', '/srv/in/a', '/srv/out/a'])));
    refused(sftp.fromAgent(sftpPacket(PACKET.SYMLINK, [7, '/etc', '/srv/in/link'])));
    forwarded(sftp.fromAgent(sftpPacket(PACKET.MKDIR, [8, '/srv/in/new', 0])), true);
    refused(sftp.fromAgent(sftpPacket(PACKET.SETSTAT, [9, '/srv/out/a', 0])));
    assert.deepEqual(
      judged.map((facts) => [facts.text, facts.directions]),
      [
        ['sftp opendir /srv/out (download)', ['download']],
        ['sftp stat /srv/out/a (lookup)', []],
        ['sftp remove /srv/out/a (upload)', ['upload']],
        ['sftp remove /srv/in/a (upload)', ['upload']],
        ['sftp rename /srv/in/a /etc/cron.d/a (upload)', ['upload']],
        ['sftp posix-rename@openssh.com /srv/in/a /srv/out/a (upload)', ['upload']],
        ['sftp symlink /etc /srv/in/link (upload)', ['upload']],
        ['sftp mkdir /srv/in/new (upload)', ['upload']],
        ['sftp setstat /srv/out/a (upload)', ['upload']],
      ],
    );
  });

  test('READDIR needs a directory handle, WRITE a handle opened for writing, copy-data both', () => {
    const { filter: sftp } = filter();
    forwarded(sftp.fromAgent(sftpPacket(PACKET.OPENDIR, [1, '/srv/out'])));
    sftp.fromHost(handleReply(1, 'dir'));
    forwarded(sftp.fromAgent(sftpPacket(PACKET.READDIR, [2, 'dir'])));
    refused(sftp.fromAgent(read(3, 'dir')));
    forwarded(sftp.fromAgent(open(4, '/srv/out/a', PFLAG.READ)));
    sftp.fromHost(handleReply(4, 'r'));
    forwarded(sftp.fromAgent(open(5, '/srv/in/b', PFLAG.WRITE | PFLAG.CREAT)));
    sftp.fromHost(handleReply(5, 'w'));
    refused(sftp.fromAgent(sftpPacket(PACKET.READDIR, [6, 'r'])));
    forwarded(sftp.fromAgent(write(7, 'w')));
    forwarded(sftp.fromAgent(sftpPacket(PACKET.EXTENDED, [8, 'copy-data', 'r', 0n, 0n, 'w', 0n])));
    refused(sftp.fromAgent(sftpPacket(PACKET.EXTENDED, [9, 'copy-data', 'w', 0n, 0n, 'r', 0n])));
  });

  test('FSETSTAT: covered by an open for writing, else decided as an upload of the file', () => {
    const { filter: sftp, judged } = filter();
    forwarded(sftp.fromAgent(open(1, '/srv/out/a', PFLAG.READ)));
    sftp.fromHost(handleReply(1, 'r'));
    refused(sftp.fromAgent(sftpPacket(PACKET.FSETSTAT, [2, 'r', 0])));
    assert.equal(judged.at(-1)?.text, 'sftp fsetstat /srv/out/a (upload)');
    forwarded(sftp.fromAgent(open(3, '/srv/in/b', PFLAG.WRITE)));
    sftp.fromHost(handleReply(3, 'w'));
    const count = judged.length;
    forwarded(sftp.fromAgent(sftpPacket(PACKET.FSETSTAT, [4, 'w', 0])), false);
    assert.equal(judged.length, count);
    refused(sftp.fromAgent(sftpPacket(PACKET.FSETSTAT, [5, 'nope', 0])));
  });

  test('a deny rule wins; a held request is refused, saying approval is not offered per request', () => {
    const { filter: sftp } = filter();
    assert.match(refused(sftp.fromAgent(open(1, '/srv/out/keys/id_rsa', PFLAG.READ))).message, /rule no-keys.*Keys stay\./);
    assert.match(
      refused(sftp.fromAgent(open(2, '/srv/out/big/dump', PFLAG.READ))).message,
      /held for approval by ApprovalPolicy files rule review-big; approval is not offered for single SFTP requests/,
    );
  });
});

describe('paths', () => {
  test('.. never climbs out of an allowed tree, whatever it resolves to', () => {
    const { filter: sftp } = filter();
    refused(sftp.fromAgent(open(1, '/srv/out/../../etc/passwd', PFLAG.READ)));
    refused(sftp.fromAgent(open(2, '/srv/out/link/../x', PFLAG.READ)));
    refused(sftp.fromAgent(open(3, 'drop/../../etc/cron.d/x', PFLAG.WRITE)));
    forwarded(sftp.fromAgent(open(4, '//srv/./out//a', PFLAG.READ)), true);
  });

  test('relative paths match relative patterns only', () => {
    const { filter: sftp, judged } = filter();
    forwarded(sftp.fromAgent(open(1, './drop/a.txt', PFLAG.WRITE | PFLAG.CREAT)));
    assert.deepEqual(judged.at(-1)?.paths, ['drop/a.txt']);
    refused(sftp.fromAgent(open(2, 'srv/in/a.txt', PFLAG.WRITE | PFLAG.CREAT)));
  });

  test('a name that is not UTF-8 text, or holds a NUL, is unknown and refused', () => {
    const { filter: sftp, judged } = filter();
    refused(sftp.fromAgent(open(1, Buffer.from([0x2f, 0x73, 0x72, 0x76, 0x2f, 0x69, 0x6e, 0x2f, 0xff]), PFLAG.WRITE)));
    assert.ok(judged.at(-1)?.kinds.includes('unknown'));
    refused(sftp.fromAgent(open(2, Buffer.from('/srv/in/a\u0000/../../etc/x'), PFLAG.WRITE)));
    const long = `/srv/in/${'a'.repeat(MAX_PATH_BYTES)}`;
    refused(sftp.fromAgent(open(3, long, PFLAG.WRITE)));
    assert.equal(judged.at(-1)?.text, `sftp open write <${long.length} bytes> (upload)`, 'not matched, and not recorded whole');
  });

  test('REALPATH of the login directory goes with the channel; any other path is a lookup of that path', () => {
    const { filter: sftp, judged } = filter();
    forwarded(sftp.fromAgent(sftpPacket(PACKET.REALPATH, [1, '.'])), false);
    forwarded(sftp.fromAgent(sftpPacket(PACKET.REALPATH, [2, ''])), false);
    assert.equal(judged.length, 0);
    forwarded(sftp.fromAgent(sftpPacket(PACKET.REALPATH, [3, '/srv/in/x'])), true);
    assert.deepEqual(judged.at(-1)?.directions, [], 'a lookup has no direction');
    refused(sftp.fromAgent(sftpPacket(PACKET.REALPATH, [4, '/etc'])));
  });
});

describe('what the filter refuses or closes on', () => {
  test('unknown types and extensions: OP_UNSUPPORTED, recorded as unknown, never sent', () => {
    const { filter: sftp, judged } = filter();
    assert.equal(refused(sftp.fromAgent(sftpPacket(60, [1])), STATUS.OP_UNSUPPORTED).id, 1);
    refused(sftp.fromAgent(sftpPacket(PACKET.EXTENDED, [2, 'home-directory', 'root'])), STATUS.OP_UNSUPPORTED);
    assert.deepEqual(
      judged.map((facts) => [facts.text, facts.kinds]),
      [
        ['sftp type 60', ['subsystem', 'unknown']],
        ['sftp extension home-directory', ['subsystem', 'unknown']],
      ],
    );
  });

  test('INIT first and once; a request id reused while an open awaits its handle', () => {
    const early = new SftpFilter(() => assert.fail('nothing is decided before INIT'));
    assert.throws(() => early.fromAgent(open(1, '/srv/out/a', PFLAG.READ)), protocolError('SftpOutOfOrder'));
    const { filter: sftp } = filter();
    assert.throws(() => sftp.fromAgent(sftpPacket(PACKET.INIT, [3])), protocolError('SftpOutOfOrder'));
    forwarded(sftp.fromAgent(open(5, '/srv/out/a', PFLAG.READ)));
    assert.throws(() => sftp.fromAgent(open(5, '/srv/in/b', PFLAG.WRITE)), protocolError('SftpOutOfOrder'));
  });

  test('the reply that settles an open frees its id', () => {
    const { filter: sftp } = filter();
    forwarded(sftp.fromAgent(open(5, '/srv/out/missing', PFLAG.READ)));
    sftp.fromHost(sftpPacket(PACKET.STATUS, [5, STATUS.NO_SUCH_FILE, 'no', '']));
    forwarded(sftp.fromAgent(open(5, '/srv/out/a', PFLAG.READ)));
    sftp.fromHost(okStatus(99));
  });
});

describe('the host side', () => {
  test('VERSION: only version 3, its extensions cut to those the filter decides', () => {
    const sftp = new SftpFilter(() => assert.fail('no decision'));
    sftp.fromAgent(sftpPacket(PACKET.INIT, [3]));
    const version = sftp.fromHost(
      sftpPacket(PACKET.VERSION, [3, 'posix-rename@openssh.com', '1', 'home-directory', '1', 'limits@openssh.com', '1']),
    );
    assert.deepEqual(version, sftpPacket(PACKET.VERSION, [3, 'posix-rename@openssh.com', '1', 'limits@openssh.com', '1']));
    assert.throws(() => sftp.fromHost(sftpPacket(PACKET.VERSION, [3])), protocolError('SftpOutOfOrder'));
    const newer = new SftpFilter(() => assert.fail('no decision'));
    newer.fromAgent(sftpPacket(PACKET.INIT, [6]));
    assert.throws(() => newer.fromHost(sftpPacket(PACKET.VERSION, [6])), protocolError('SftpVersionUnsupported'));
    const early = new SftpFilter(() => assert.fail('no decision'));
    assert.throws(() => early.fromHost(okStatus(1)), protocolError('SftpOutOfOrder'));
  });

  test('the limits reply is cut to what the sidecar reads', () => {
    const { filter: sftp } = filter();
    forwarded(sftp.fromAgent(sftpPacket(PACKET.EXTENDED, [3, 'limits@openssh.com'])), false);
    const limits = sftp.fromHost(sftpPacket(PACKET.EXTENDED_REPLY, [3, 1n << 40n, 0n, 1024n, 64n]));
    const reader = new SftpReader(limits);
    reader.byte('type');
    assert.equal(reader.uint32('id'), 3);
    assert.deepEqual(
      [reader.uint64('packet'), reader.uint64('read'), reader.uint64('write'), reader.uint64('handles')],
      [256n * 1024n, BigInt(MAX_SFTP_DATA), 1024n, 64n],
    );
    const other = sftpPacket(PACKET.EXTENDED_REPLY, [4, 1n << 40n, 0n, 0n, 0n]);
    assert.equal(sftp.fromHost(other), other, 'a reply to another request passes as it is');
  });
});
