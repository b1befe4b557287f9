/**
 * File transfers through the sidecar against a real OpenSSH sshd, with the real clients as the
 * agent: scp (SFTP, OpenSSH 9's default), scp -O (the legacy scp -t/-f commands), sftp -b and
 * rsync -e ssh. Each file operation is decided by its direction and paths: downloads from `out/`,
 * uploads into `in/`, nothing from `out/secret/`. What is refused never reaches the host (the file
 * is not there afterwards), what is allowed arrives intact, and the recording names every file.
 * Then what a client could send that the filter must not pass: an oversized or malformed packet,
 * an unknown request, a handle it never opened.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { eventually, type SshLoginUser, SshServer } from '@airlock/testkit';
import type { Client, ClientChannel } from 'ssh2';
import type { HeldRequest } from '../../in-process/in-process-gate.ts';
import { sftpPacket } from './sftp/sftp-fields.ts';
import { PACKET, STATUS } from './sftp/sftp-protocol.ts';
import { eventsOf, readRecords, runSftp, type SshProxyFixture, startSshProxy } from './testing/ssh-proxy-fixture.ts';
import { connectAgent } from './testing/ssh2-agent.ts';
import { onTarget, runRsync, runScp } from './testing/transfer-clients.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';

let server: SshServer;
let proxy: SshProxyFixture;
let user: SshLoginUser;
/** The agent's side: files to upload, and where downloads land. */
let local: string;
let out: string;
let inbox: string;
const CONTENT = randomBytes(300 * 1024);

function policy(home: string): ApprovalPolicySpec {
  const transfers = { requestTypes: ['exec', 'subsystem'] as ('exec' | 'subsystem')[], subsystems: ['sftp'], programs: ['scp', 'rsync'] };
  return {
    rules: [
      { name: 'no-secrets', match: { ssh: { paths: [`${home}/out/secret/**`] } }, action: 'deny', message: 'Secrets stay on the host.' },
      { name: 'downloads', match: { ssh: { ...transfers, directions: ['download'], paths: [`${home}/out/**`] } }, action: 'allow' },
      { name: 'uploads', match: { ssh: { ...transfers, directions: ['upload'], paths: [`${home}/in/**`] } }, action: 'allow' },
    ],
    defaultAction: 'deny',
  };
}

/** A directory or file on the host, owned by the test user. */
function hostFile(path: string, content?: Buffer): void {
  if (content === undefined) mkdirSync(path, { recursive: true });
  else writeFileSync(path, content);
  chownSync(path, user.uid, user.gid);
}

before(async () => {
  if (skip) return;
  server = await SshServer.start();
  user = server.users.deploy!;
  out = join(user.home, 'out');
  inbox = join(user.home, 'in');
  hostFile(out);
  hostFile(join(out, 'secret'));
  hostFile(inbox);
  hostFile(join(out, 'a.bin'), CONTENT);
  hostFile(join(out, 'secret', 'key'), Buffer.from('do not take me\n'));
  local = mkdtempSync(join(tmpdir(), 'airlock-transfer-agent-'));
  writeFileSync(join(local, 'up.bin'), CONTENT);
  proxy = await startSshProxy(server, { policy: policy(user.home) });
});

after(async () => {
  await proxy?.close();
  await server?.stop();
  if (local) rmSync(local, { recursive: true, force: true });
});

/** The statements the sessions recorded so far, with the decision each got (the last, for a text seen twice). */
function decidedStatements(): Map<string, string> {
  const events = eventsOf(readRecords(proxy.recordingsDir));
  const texts = new Map<number, string>();
  const decided = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'statement') texts.set(event.statementIndex, event.text);
    if (event.type === 'decision') {
      const text = texts.get(event.statementIndex);
      if (text !== undefined) decided.set(text, event.effective);
    }
  }
  return decided;
}

/** The decision recorded for `text`, once the recording has it (records are written in batches). */
const decisionOf = (text: string): Promise<string> =>
  eventually(`the decision of ${text}`, () => decidedStatements().get(text), { timeoutMs: 10_000 });

describe('scp, in its default SFTP mode', { skip }, () => {
  test('a download from out/ arrives intact', async () => {
    const result = await runScp(proxy, [onTarget(`${out}/a.bin`), join(local, 'scp-a.bin')]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(readFileSync(join(local, 'scp-a.bin')).equals(CONTENT));
    assert.equal(await decisionOf(`sftp open read ${out}/a.bin (download)`), 'allow');
  });

  test('an upload into out/ is refused and the file never appears; into in/ it arrives', async () => {
    const refused = await runScp(proxy, [join(local, 'up.bin'), onTarget(`${out}/scp-up.bin`)]);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /airlock: sftp open write,create .*scp-up\.bin \(upload\): denied by ApprovalPolicy ssh-policy default action/,
    );
    assert.ok(!existsSync(join(out, 'scp-up.bin')));
    assert.equal(await decisionOf(`sftp open write,create ${out}/scp-up.bin (upload)`), 'deny');

    const allowed = await runScp(proxy, [join(local, 'up.bin'), onTarget(`${inbox}/scp-up.bin`)]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok(readFileSync(join(inbox, 'scp-up.bin')).equals(CONTENT));
  });

  test('a recursive upload into in/: the directory is made, each file opened, all of it decided', async () => {
    const tree = join(local, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'sub', 'b.txt'), 'b\n');
    const result = await runScp(proxy, ['-r', tree, onTarget(`${inbox}/`)]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(inbox, 'tree', 'sub', 'b.txt'), 'utf8'), 'b\n');
    assert.equal(await decisionOf(`sftp mkdir ${inbox}/tree/sub (upload)`), 'allow');
  });

  test('a download the deny rule names is refused', async () => {
    const result = await runScp(proxy, [onTarget(`${out}/secret/key`), join(local, 'key')]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Secrets stay on the host/);
    assert.ok(!existsSync(join(local, 'key')));
  });
});

describe('scp -O, the legacy scp -t/-f commands', { skip }, () => {
  test('a download (scp -f) from out/ arrives intact', async () => {
    const result = await runScp(proxy, ['-O', onTarget(`${out}/a.bin`), join(local, 'legacy-a.bin')]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(readFileSync(join(local, 'legacy-a.bin')).equals(CONTENT));
    assert.equal(await decisionOf(`scp -f ${out}/a.bin`), 'allow');
  });

  test('an upload (scp -t) into out/ is refused before the host runs it; into in/ it arrives', async () => {
    const refused = await runScp(proxy, ['-O', join(local, 'up.bin'), onTarget(`${out}/legacy-up.bin`)]);
    assert.notEqual(refused.code, 0);
    assert.ok(!existsSync(join(out, 'legacy-up.bin')));
    assert.equal(await decisionOf(`scp -t ${out}/legacy-up.bin`), 'deny');

    const allowed = await runScp(proxy, ['-O', join(local, 'up.bin'), onTarget(`${inbox}/legacy-up.bin`)]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok(readFileSync(join(inbox, 'legacy-up.bin')).equals(CONTENT));
  });

  test('a recursive upload (scp -r -t) into in/ is one decision for its target', async () => {
    const tree = join(local, 'legacy-tree');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'c.txt'), 'c\n');
    const result = await runScp(proxy, ['-O', '-r', tree, onTarget(`${inbox}/`)]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(inbox, 'legacy-tree', 'c.txt'), 'utf8'), 'c\n');
    assert.equal(await decisionOf(`scp -r -t ${inbox}/`), 'allow');
  });
});

describe('sftp -b', { skip }, () => {
  test('put, get and rm: each decided by its direction and path, the refused ones never reach the host', async () => {
    hostFile(join(inbox, 'remove-me'), Buffer.from('x'));
    const batch = [
      `put ${join(local, 'up.bin')} ${inbox}/sftp-up.bin`,
      `get ${out}/a.bin ${join(local, 'sftp-a.bin')}`,
      `rm ${inbox}/remove-me`,
      // `-`: sftp goes on after a command that fails.
      `-put ${join(local, 'up.bin')} ${out}/sftp-evil.bin`,
      `-rm ${out}/a.bin`,
      `-rename ${out}/a.bin ${inbox}/moved.bin`,
      `-get ${out}/secret/key ${join(local, 'sftp-key')}`,
      `-mkdir ${user.home}/elsewhere`,
    ].join('\n');
    const result = await runSftp(proxy, `${batch}\n`);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(readFileSync(join(inbox, 'sftp-up.bin')).equals(CONTENT), 'the allowed put arrived');
    assert.ok(readFileSync(join(local, 'sftp-a.bin')).equals(CONTENT), 'the allowed get arrived');
    assert.ok(!existsSync(join(inbox, 'remove-me')), 'the allowed rm removed');
    assert.ok(!existsSync(join(out, 'sftp-evil.bin')), 'the refused put wrote nothing');
    assert.ok(existsSync(join(out, 'a.bin')), 'the refused rm and rename removed nothing');
    assert.ok(!existsSync(join(inbox, 'moved.bin')));
    assert.ok(!existsSync(join(local, 'sftp-key')), 'the refused get read nothing');
    assert.ok(!existsSync(join(user.home, 'elsewhere')), 'the refused mkdir made nothing');

    const expected: [string, string][] = [
      [`sftp open write,create,truncate ${inbox}/sftp-up.bin (upload)`, 'allow'],
      [`sftp open read ${out}/a.bin (download)`, 'allow'],
      [`sftp remove ${inbox}/remove-me (upload)`, 'allow'],
      [`sftp open write,create,truncate ${out}/sftp-evil.bin (upload)`, 'deny'],
      [`sftp remove ${out}/a.bin (upload)`, 'deny'],
      [`sftp posix-rename@openssh.com ${out}/a.bin ${inbox}/moved.bin (upload)`, 'deny'],
      // The deny rule refuses the lstat sftp sends first, so the open never comes.
      [`sftp lstat ${out}/secret/key (lookup)`, 'deny'],
      [`sftp mkdir ${user.home}/elsewhere (upload)`, 'deny'],
    ];
    for (const [text, action] of expected) assert.equal(await decisionOf(text), action, text);
  });
});

describe('rsync -e ssh', { skip }, () => {
  test('a download (rsync --server --sender) from out/ arrives intact', async () => {
    const result = await runRsync(proxy, [onTarget(`${out}/a.bin`), join(local, 'rsync-a.bin')]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(readFileSync(join(local, 'rsync-a.bin')).equals(CONTENT));
    const download = await eventually('the rsync download in the recording', () =>
      [...decidedStatements()].find(([text]) => text.startsWith('rsync --server --sender') && text.endsWith(`. ${out}/a.bin`)),
    );
    assert.equal(download[1], 'allow');
  });

  test('an upload (rsync --server) into out/ is refused before the host runs it; into in/ it arrives', async () => {
    const refused = await runRsync(proxy, [join(local, 'up.bin'), onTarget(`${out}/rsync-up.bin`)]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /airlock: denied/);
    assert.ok(!existsSync(join(out, 'rsync-up.bin')));

    const allowed = await runRsync(proxy, [join(local, 'up.bin'), onTarget(`${inbox}/rsync-up.bin`)]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok(readFileSync(join(inbox, 'rsync-up.bin')).equals(CONTENT));
  });
});

interface RawSftp {
  readonly client: Client;
  readonly channel: ClientChannel;
  /** The next whole packet the sidecar sends. */
  next(): Promise<Buffer>;
  stderr(): string;
  /** Resolves when the channel closed. */
  readonly closed: Promise<void>;
}

/** An sftp channel through the sidecar, driven packet by packet (the ssh2 client, reading all the while). */
async function rawSftp(): Promise<RawSftp> {
  const client = await connectAgent(proxy.port);
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.subsys('sftp', (error, opened) => (error ? reject(error) : resolve(opened))),
  );
  let stderr = '';
  let received = Buffer.alloc(0);
  let arrived: () => void = () => undefined;
  channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  channel.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    arrived();
  });
  const closed = new Promise<void>((resolve) => channel.on('close', () => resolve()));
  const whole = () => received.length >= 4 && received.length >= 4 + received.readUInt32BE(0);
  const next = async (): Promise<Buffer> => {
    while (!whole()) await new Promise<void>((resolve) => (arrived = resolve));
    const length = 4 + received.readUInt32BE(0);
    const packet = received.subarray(0, length);
    received = received.subarray(length);
    return packet;
  };
  return { client, channel, next, stderr: () => stderr, closed };
}

const status = (packet: Buffer) => ({ type: packet[4], id: packet.readUInt32BE(5), code: packet.readUInt32BE(9) });

describe('what the filter does not pass', { skip }, () => {
  test('a packet over the size limit closes the channel, with the reason on stderr', async () => {
    const { client, channel, next, stderr, closed } = await rawSftp();
    try {
      channel.write(sftpPacket(PACKET.INIT, [3]));
      await next();
      const header = Buffer.alloc(4);
      header.writeUInt32BE(0x7fffffff);
      channel.write(header);
      await closed;
      assert.match(stderr(), /the SFTP session was closed: an SFTP packet of 2147483647 bytes is over/);
      await eventually('the error in the recording', () =>
        eventsOf(readRecords(proxy.recordingsDir)).find((event) => event.type === 'error' && event.code === 'SftpPacketTooLarge'),
      );
    } finally {
      client.end();
    }
  });

  test('a request before INIT closes the channel', async () => {
    const { client, channel, stderr, closed } = await rawSftp();
    try {
      channel.write(sftpPacket(PACKET.REMOVE, [1, `${inbox}/anything`]));
      await closed;
      assert.match(stderr(), /the agent sent remove before INIT/);
    } finally {
      client.end();
    }
  });

  test('an unknown request type, an unknown extension and a handle never opened are answered, not sent', async () => {
    const { client, channel, next } = await rawSftp();
    try {
      channel.write(sftpPacket(PACKET.INIT, [3]));
      await next();
      channel.write(sftpPacket(50, [7]));
      assert.deepEqual(status(await next()), { type: PACKET.STATUS, id: 7, code: STATUS.OP_UNSUPPORTED });
      channel.write(sftpPacket(PACKET.EXTENDED, [8, 'home-directory', 'root']));
      assert.deepEqual(status(await next()), { type: PACKET.STATUS, id: 8, code: STATUS.OP_UNSUPPORTED });
      channel.write(sftpPacket(PACKET.WRITE, [9, Buffer.from([0, 0, 0, 0]), 0n, 'x']));
      assert.deepEqual(status(await next()), { type: PACKET.STATUS, id: 9, code: STATUS.PERMISSION_DENIED });
      // The channel still works: an allowed stat is answered by the host.
      channel.write(sftpPacket(PACKET.STAT, [10, `${out}/a.bin`]));
      const attrs = await next();
      assert.deepEqual([attrs[4], attrs.readUInt32BE(5)], [PACKET.ATTRS, 10]);
    } finally {
      client.end();
    }
  });
});

describe('an sftp session held for approval', { skip }, () => {
  const OPS = { approvers: { groups: ['ops'] }, requiredApprovals: 1, ttl: '5m' };
  const heldPolicy = (home: string): ApprovalPolicySpec => ({
    rules: [
      { name: 'no-secrets', match: { ssh: { paths: [`${home}/out/secret/**`] } }, action: 'deny', message: 'Secrets stay on the host.' },
      { name: 'sftp-sessions', match: { ssh: { subsystems: ['sftp'] } }, action: 'requireApproval', approval: OPS },
    ],
    defaultAction: 'deny',
  });

  /** Runs the batch in sftp; resolves with its result and the ApprovalRequest the session waited on. */
  async function heldSftp(held: SshProxyFixture, batch: string, answer: (name: string) => void) {
    const requests: HeldRequest[] = [];
    const stop = held.gate.onRequest((request) => {
      requests.push(request);
      // As a reviewer would: a moment after the request exists.
      setTimeout(() => answer(request.name), 100);
    });
    try {
      const result = await runSftp(held, `${batch}\n`);
      return { result, request: requests[0] };
    } finally {
      stop();
    }
  }

  test('approved: the session opens once, what needs approval in it is covered, what a rule denies stays denied', async () => {
    const held = await startSshProxy(server, { policy: heldPolicy(user.home) });
    try {
      const target = join(local, 'held-a.bin');
      const batch = [`get ${out}/a.bin ${target}`, `-get ${out}/secret/key ${join(local, 'held-key')}`].join('\n');
      const { result, request } = await heldSftp(held, batch, (name) => held.gate.approve(name, { user: 'alice', groups: ['ops'] }));
      assert.ok(request, 'the sftp session was not held');
      assert.deepEqual([request.spec.operation.kind, request.spec.operation.text], ['subsystem', 'subsystem sftp']);
      assert.match(request.spec.operation.summary, /orders-bastion: sftp session/);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(readFileSync(target).equals(CONTENT), 'the approved session could not read');
      assert.ok(!existsSync(join(local, 'held-key')), 'the denied get read the secret');
      assert.match(result.stderr, /Secrets stay on the host/);
    } finally {
      await held.close();
    }
  });

  test('denied by the reviewer: the session never reaches the host and sftp fails', async () => {
    const held = await startSshProxy(server, { policy: heldPolicy(user.home) });
    try {
      const target = join(local, 'refused-a.bin');
      const { result, request } = await heldSftp(held, `get ${out}/a.bin ${target}`, (name) =>
        held.gate.deny(name, { user: 'alice', groups: ['ops'] }, 'no transfers today'),
      );
      assert.ok(request);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /no transfers today/);
      assert.ok(!existsSync(target));
    } finally {
      await held.close();
    }
  });
});
