import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import { test } from 'node:test';
import { SshKeyError } from './errors.ts';
import { ed25519PublicKey, sshPublicKeyBlob, sshPublicKeyLine } from './ssh-keys.ts';
import { SshReader } from './ssh-wire.ts';
import {
  certificateBlob,
  certificateLine,
  ED25519_CERTIFICATE,
  parseUserCertificate,
  signUserCertificate,
  type UserCertificateFields,
} from './user-certificate.ts';

const subject = generateKeyPairSync('ed25519');
const SUBJECT_LINE = sshPublicKeyLine(sshPublicKeyBlob(subject.publicKey));

const FIELDS: UserCertificateFields = {
  nonce: randomBytes(32),
  publicKey: ed25519PublicKey(SUBJECT_LINE),
  serial: 0xfedc_ba98_7654_3210n,
  keyId: 'airlock:agents/build-bot/build-7kq2x/3f1c',
  principals: ['deploy'],
  validAfter: 1_800_000_000n,
  validBefore: 1_800_000_300n,
  criticalOptions: [],
  extensions: [{ name: 'permit-pty' }],
};

const AUTHORITIES: readonly [string, KeyObject][] = [
  ['ed25519', generateKeyPairSync('ed25519').privateKey],
  ['ecdsa P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
  ['ecdsa P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey],
  ['ecdsa P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey],
  ['rsa 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
];

/** Checks an SSH signature blob with node:crypto, independently of the signer's encoding. */
function signatureHolds(ca: KeyObject, signed: Buffer, blob: Buffer): { algorithm: string; valid: boolean } {
  const reader = new SshReader(blob, 'the signature');
  const algorithm = reader.text();
  const raw = reader.string();
  reader.end();
  const pub = createPublicKey(ca);
  if (algorithm === 'ssh-ed25519') return { algorithm, valid: verify(null, signed, pub, raw) };
  if (algorithm === 'rsa-sha2-512') return { algorithm, valid: verify('sha512', signed, pub, raw) };
  // ECDSA: r and s as mpints; node:crypto takes them back to back at the field size.
  const parts = new SshReader(raw, 'the ECDSA signature');
  const [r, s] = [parts.mpint(), parts.mpint()];
  parts.end();
  const size = { 'ecdsa-sha2-nistp256': 32, 'ecdsa-sha2-nistp384': 48, 'ecdsa-sha2-nistp521': 66 }[algorithm] ?? 0;
  const pad = (bytes: Buffer) => Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
  const hash = { 'ecdsa-sha2-nistp256': 'sha256', 'ecdsa-sha2-nistp384': 'sha384', 'ecdsa-sha2-nistp521': 'sha512' }[algorithm] ?? '';
  return { algorithm, valid: verify(hash, signed, { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.concat([pad(r), pad(s)])) };
}

test('a certificate reads back as signed, and its signature holds for every kind of authority', () => {
  const expected: Readonly<Record<string, string>> = {
    ed25519: 'ssh-ed25519',
    'ecdsa P-256': 'ecdsa-sha2-nistp256',
    'ecdsa P-384': 'ecdsa-sha2-nistp384',
    'ecdsa P-521': 'ecdsa-sha2-nistp521',
    'rsa 2048': 'rsa-sha2-512',
  };
  for (const [name, ca] of AUTHORITIES) {
    const blob = signUserCertificate(FIELDS, ca);
    const parsed = parseUserCertificate(blob);
    assert.equal(parsed.type, 1, name);
    assert.deepEqual(
      { ...parsed, nonce: Buffer.from(parsed.nonce), publicKey: Buffer.from(parsed.publicKey) },
      {
        ...FIELDS,
        nonce: Buffer.from(FIELDS.nonce),
        publicKey: Buffer.from(FIELDS.publicKey),
        type: 1,
        signatureKey: sshPublicKeyBlob(ca),
        signature: parsed.signature,
        signedBytes: parsed.signedBytes,
      },
      name,
    );
    assert.deepEqual(signatureHolds(ca, parsed.signedBytes, parsed.signature), { algorithm: expected[name], valid: true }, name);
    // The signature covers every field: one changed byte breaks it.
    const tampered = Buffer.from(parsed.signedBytes);
    tampered[tampered.length - 40] = (tampered[tampered.length - 40] ?? 0) ^ 1;
    assert.equal(signatureHolds(ca, tampered, parsed.signature).valid, false, name);
  }
});

test('the line is the type and base64, with a comment when given, and reads back to the same blob', () => {
  const blob = signUserCertificate(FIELDS, AUTHORITIES[0]![1]);
  const line = certificateLine(blob, 'airlock:x');
  assert.match(line, /^ssh-ed25519-cert-v01@openssh\.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t[A-Za-z0-9+/=]+ airlock:x$/);
  assert.deepEqual(certificateBlob(line), blob);
  assert.equal(certificateLine(blob), `${ED25519_CERTIFICATE} ${blob.toString('base64')}`);
  assert.throws(() => certificateBlob(SUBJECT_LINE), { code: 'UnsupportedKey' });
});

test('options are written sorted by name, a value as a string inside the data, and read back the same', () => {
  const blob = signUserCertificate(
    {
      ...FIELDS,
      criticalOptions: [
        { name: 'source-address', value: '10.0.0.0/8' },
        { name: 'force-command', value: 'id' },
      ],
      extensions: [{ name: 'permit-pty' }, { name: 'permit-X11-forwarding' }],
    },
    AUTHORITIES[0]![1],
  );
  const parsed = parseUserCertificate(blob);
  assert.deepEqual(parsed.criticalOptions, [
    { name: 'force-command', value: 'id' },
    { name: 'source-address', value: '10.0.0.0/8' },
  ]);
  // Byte order, as OpenSSH compares them: upper case sorts before lower case.
  assert.deepEqual(
    parsed.extensions.map((e) => e.name),
    ['permit-X11-forwarding', 'permit-pty'],
  );
});

test('what OpenSSH would misread or refuse is not signed', () => {
  const ca = AUTHORITIES[0]![1];
  const refused = (fields: Partial<UserCertificateFields>, message: RegExp) =>
    assert.throws(
      () => signUserCertificate({ ...FIELDS, ...fields }, ca),
      (error: unknown) => error instanceof SshKeyError && error.code === 'InvalidRequest' && message.test(error.message),
    );
  refused({ principals: [] }, /no principal, which OpenSSH reads as valid for every user/);
  refused({ principals: ['deploy,root'] }, /principal "deploy,root" is not a user name/);
  refused({ principals: ['de ploy'] }, /is not a user name/);
  refused({ validAfter: 10n, validBefore: 10n }, /valid after is not before valid before/);
  refused({ nonce: Buffer.alloc(8) }, /nonce is 8 bytes/);
  refused({ publicKey: Buffer.alloc(31) }, /31 bytes, not 32/);
  refused({ keyId: 'line\nbreak' }, /key id/);
  refused({ extensions: [{ name: 'permit-pty' }, { name: 'permit-pty' }] }, /named twice/);
  refused({ serial: -1n }, /64 unsigned bits/);
});

test('an authority of an unsupported kind is refused with what to use instead', () => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  assert.throws(() => signUserCertificate(FIELDS, small), {
    code: 'UnsupportedKey',
    message: /RSA key of 1024 bits; use 2048 bits or more/,
  });
  const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey;
  assert.throws(() => signUserCertificate(FIELDS, dsa), { code: 'UnsupportedKey', message: /a dsa key; use ed25519, ECDSA/ });
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
  assert.throws(() => signUserCertificate(FIELDS, k1), { code: 'UnsupportedKey', message: /curve secp256k1/ });
});

test('a blob that is not a whole certificate is refused, not half read', () => {
  const blob = signUserCertificate(FIELDS, AUTHORITIES[0]![1]);
  assert.throws(() => parseUserCertificate(blob.subarray(0, blob.length - 1)), { code: 'Malformed', message: /cut short/ });
  assert.throws(() => parseUserCertificate(Buffer.concat([blob, Buffer.from([0])])), {
    code: 'Malformed',
    message: /1 bytes after its end/,
  });
  assert.throws(() => parseUserCertificate(sshPublicKeyBlob(subject.publicKey)), { code: 'UnsupportedKey' });
});
