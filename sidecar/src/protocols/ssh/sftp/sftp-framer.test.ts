import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SftpProtocolError } from './sftp-error.ts';
import { sftpPacket } from './sftp-fields.ts';
import { SftpFramer } from './sftp-framer.ts';
import { MAX_SFTP_PACKET, PACKET } from './sftp-protocol.ts';
import { readRequest } from './sftp-request.ts';

const open = (id: number, path: string, pflags: number) => sftpPacket(PACKET.OPEN, [id, path, pflags, 0]);
const lengthOnly = (length: number) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return header;
};
const refusal = (code: string) => (error: unknown) => error instanceof SftpProtocolError && error.code === code;

describe('SftpFramer', () => {
  test('whole packets, however the stream is cut', () => {
    const packets = [sftpPacket(PACKET.INIT, [3]), open(1, '/srv/a', 1), sftpPacket(PACKET.WRITE, [2, 'h', 0n, Buffer.alloc(5000, 7)])];
    const stream = Buffer.concat(packets);
    for (const size of [1, 3, 4, 5, 17, 4096, stream.length]) {
      const framer = new SftpFramer(MAX_SFTP_PACKET);
      const got: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) got.push(...framer.push(stream.subarray(at, at + size)));
      assert.deepEqual(got, packets, `cut every ${size} bytes`);
      assert.equal(framer.pending, 0);
    }
  });

  test('a truncated packet is held, never returned in part', () => {
    const framer = new SftpFramer(MAX_SFTP_PACKET);
    const packet = open(1, '/srv/a', 1);
    assert.deepEqual(framer.push(packet.subarray(0, packet.length - 1)), []);
    assert.equal(framer.pending, packet.length - 1);
    assert.deepEqual(framer.push(packet.subarray(packet.length - 1)), [packet]);
  });

  test('a length over the limit is refused from its four bytes, before any body is buffered', () => {
    const framer = new SftpFramer(MAX_SFTP_PACKET);
    assert.throws(() => framer.push(lengthOnly(MAX_SFTP_PACKET + 1)), refusal('SftpPacketTooLarge'));
    assert.throws(() => new SftpFramer(MAX_SFTP_PACKET).push(lengthOnly(0xffffffff).subarray(0, 4)), refusal('SftpPacketTooLarge'));
    const exact = Buffer.concat([lengthOnly(MAX_SFTP_PACKET), Buffer.alloc(MAX_SFTP_PACKET)]);
    assert.equal(new SftpFramer(MAX_SFTP_PACKET).push(exact).length, 1, 'the limit itself is allowed');
  });

  test('a packet of length 0 has no type: malformed', () => {
    assert.throws(() => new SftpFramer(MAX_SFTP_PACKET).push(lengthOnly(0)), refusal('SftpMalformed'));
  });
});

describe('readRequest', () => {
  test('reads the names, handles and flags a decision needs', () => {
    assert.deepEqual(readRequest(open(7, '/srv/a b', 0x1a)), {
      type: PACKET.OPEN,
      id: 7,
      name: 'open',
      paths: [Buffer.from('/srv/a b')],
      handles: [],
      pflags: 0x1a,
      known: true,
    });
    const rename = readRequest(sftpPacket(PACKET.EXTENDED, [8, 'posix-rename@openssh.com', '/a', '/b']));
    assert.deepEqual([rename.name, rename.paths.map(String)], ['posix-rename@openssh.com', ['/a', '/b']]);
    const copy = readRequest(sftpPacket(PACKET.EXTENDED, [9, 'copy-data', 'r', 0n, 10n, 'w', 0n]));
    assert.deepEqual(copy.handles.map(String), ['r', 'w']);
  });

  test('a packet shorter than its fields is malformed', () => {
    const whole = open(1, '/srv/a', 1);
    // Cut inside the path, with the length field saying so.
    const cut = Buffer.from(whole.subarray(0, 12));
    cut.writeUInt32BE(cut.length - 4);
    assert.throws(() => readRequest(cut), refusal('SftpMalformed'));
    assert.throws(() => readRequest(Buffer.from([0, 0, 0, 1, PACKET.OPEN])), refusal('SftpMalformed'), 'no request id');
    const lying = sftpPacket(PACKET.REMOVE, [1, '/x']);
    lying.writeUInt32BE(1000, 9);
    assert.throws(() => readRequest(lying), refusal('SftpMalformed'), 'a string longer than the packet');
  });

  test('an unknown type or extension is read as far as its id, to be refused', () => {
    assert.deepEqual(readRequest(sftpPacket(42, [5, 'whatever'])), {
      type: 42,
      id: 5,
      name: 'type 42',
      paths: [],
      handles: [],
      known: false,
    });
    const extension = readRequest(sftpPacket(PACKET.EXTENDED, [6, 'home-directory\n\u0000x', 'root']));
    assert.equal(extension.known, false);
    assert.equal(extension.name, 'extension home-directory??x');
  });

  test('a reply type from the agent is not SFTP', () => {
    for (const type of [PACKET.VERSION, PACKET.STATUS, PACKET.HANDLE, PACKET.DATA, PACKET.NAME, PACKET.ATTRS, PACKET.EXTENDED_REPLY]) {
      assert.throws(() => readRequest(sftpPacket(type, [1])), refusal('SftpOutOfOrder'), `type ${type}`);
    }
  });
});
