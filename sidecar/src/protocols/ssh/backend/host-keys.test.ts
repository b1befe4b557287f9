import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sshFingerprint } from '@airlock/contracts/ssh-certificates';
import { blobKeyType, hostKeyAlgorithms, parseHostKeys, verifyHostKey } from './host-keys.ts';

/** An SSH public-key blob built by hand: the type as an SSH string, then key bytes. */
function blob(type: string, body: Buffer = randomBytes(32)): Buffer {
  const name = Buffer.from(type, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, body]);
}

const entry = (type: string, key: Buffer = blob(type)) => `${type} ${key.toString('base64')}`;

describe('parseHostKeys', () => {
  test('reads the key types ssh2 verifies, with or without a comment', () => {
    const ed = blob('ssh-ed25519');
    const parsed = parseHostKeys([`${entry('ssh-ed25519', ed)} root@host`, entry('ecdsa-sha2-nistp256'), `  ${entry('ssh-rsa')}  `]);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(
      parsed.keys.map((key) => key.type),
      ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'],
    );
    assert.ok(parsed.keys[0]?.blob.equals(ed));
  });

  test('an entry that is not a usable key is a problem, never a wildcard', () => {
    const parsed = parseHostKeys([
      '',
      'ssh-ed25519',
      'ssh-ed25519 not*base64',
      entry('ssh-ed25519', blob('ssh-rsa')),
      entry('sk-ssh-ed25519@openssh.com'),
      `ssh-ed25519 ${Buffer.from([0, 0, 0]).toString('base64')}`,
    ]);
    assert.equal(parsed.keys.length, 0);
    assert.equal(parsed.problems.length, 6);
    assert.match(parsed.problems[3] ?? '', /says ssh-ed25519 but its key is ssh-rsa/);
    assert.match(parsed.problems[4] ?? '', /cannot verify/);
  });
});

describe('verifyHostKey', () => {
  const trusted = parseHostKeys([entry('ssh-ed25519'), entry('ecdsa-sha2-nistp256')]).keys;

  test('the presented blob must equal a trusted one byte for byte', () => {
    const key = trusted[1]!;
    assert.deepEqual(verifyHostKey(trusted, Buffer.from(key.blob)), { trusted: true, key });
    for (let i = 0; i < key.blob.length; i++) {
      const flipped = Buffer.from(key.blob);
      flipped[i] = (flipped[i] ?? 0) ^ 1;
      assert.equal(verifyHostKey(trusted, flipped).trusted, false, `byte ${i} changed`);
    }
    assert.equal(verifyHostKey(trusted, key.blob.subarray(0, key.blob.length - 1)).trusted, false);
    assert.equal(verifyHostKey(trusted, Buffer.concat([key.blob, Buffer.from([0])])).trusted, false);
  });

  test('a refused key is named by its type and SHA256 fingerprint', () => {
    const other = blob('ssh-ed25519');
    const expected = `SHA256:${createHash('sha256').update(other).digest('base64').replace(/=+$/, '')}`;
    assert.deepEqual(verifyHostKey(trusted, other), { trusted: false, presented: { type: 'ssh-ed25519', fingerprint: expected } });
    assert.deepEqual(verifyHostKey([], Buffer.from('junk')), {
      trusted: false,
      presented: { type: 'unknown', fingerprint: sshFingerprint(Buffer.from('junk')) },
    });
  });

  test('no trusted key trusts nothing', () => {
    assert.equal(verifyHostKey([], blob('ssh-ed25519')).trusted, false);
  });
});

test('hostKeyAlgorithms offers the trusted types only, RSA with SHA-2 signatures only', () => {
  const keys = parseHostKeys([entry('ssh-rsa'), entry('ssh-ed25519'), entry('ssh-rsa')]).keys;
  assert.deepEqual(hostKeyAlgorithms(keys), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519']);
  assert.deepEqual(hostKeyAlgorithms([]), []);
});

test('blobKeyType reads the leading SSH string and refuses what is not one', () => {
  assert.equal(blobKeyType(blob('ssh-ed25519')), 'ssh-ed25519');
  assert.equal(blobKeyType(Buffer.from([0, 0, 0, 9, 0x61])), undefined);
  assert.equal(blobKeyType(Buffer.from([0, 0, 0, 0])), undefined);
  assert.equal(blobKeyType(blob('ssh ed25519')), undefined);
  assert.equal(blobKeyType(Buffer.alloc(2)), undefined);
});
