import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import type { TargetSpec } from '@airlock/crds';
import {
  certificateTtlSeconds,
  issueLoginCertificate,
  type LoginCertificateRequest,
  loginCertificateProblem,
  loginKeyId,
} from './login-certificate.ts';
import { sshFingerprint, sshPublicKeyBlob, sshPublicKeyLine } from './ssh-keys.ts';
import { readSshPrivateKey } from './ssh-private-key.ts';
import { certificateBlob, certificateLine, parseUserCertificate, signUserCertificate } from './user-certificate.ts';

const ca = generateKeyPairSync('ed25519').privateKey;
const lineOf = (key = generateKeyPairSync('ed25519').publicKey) => sshPublicKeyLine(sshPublicKeyBlob(key));
const SIDECAR_KEY = lineOf();
const NOW = Date.UTC(2027, 0, 1, 12, 0, 0, 400);

const REQUEST: LoginCertificateRequest = {
  publicKey: SIDECAR_KEY,
  username: 'deploy',
  keyId: { namespace: 'agents', identity: 'build-bot', pod: 'build-7kq2x', session: '0b9f3c1e-2d4a-4c6b-9e8f-1a2b3c4d5e6f' },
  ttlSeconds: 300,
  now: NOW,
};

test('a login certificate: this key, this user only, from 30 s ago for the TTL, permit-pty only, a key id sshd logs', () => {
  const issued = issueLoginCertificate(ca, REQUEST);
  const parsed = parseUserCertificate(certificateBlob(issued.certificate));
  const now = Math.floor(NOW / 1000);
  assert.equal(issued.keyId, 'airlock:agents/build-bot/build-7kq2x/0b9f3c1e-2d4a-4c6b-9e8f-1a2b3c4d5e6f');
  assert.deepEqual(
    {
      keyId: parsed.keyId,
      principals: parsed.principals,
      validAfter: parsed.validAfter,
      validBefore: parsed.validBefore,
      criticalOptions: parsed.criticalOptions,
      extensions: parsed.extensions,
      serial: parsed.serial.toString(),
      authority: sshFingerprint(parsed.signatureKey),
    },
    {
      keyId: issued.keyId,
      principals: ['deploy'],
      validAfter: BigInt(now - 30),
      validBefore: BigInt(now + 300),
      criticalOptions: [],
      extensions: [{ name: 'permit-port-forwarding' }, { name: 'permit-pty' }],
      serial: issued.serial,
      authority: issued.authority,
    },
  );
  assert.deepEqual([issued.validAfter, issued.validBefore], [now - 30, now + 300]);
  assert.ok(issued.certificate.endsWith(` ${issued.keyId}`), 'the line carries the key id as its comment');
  assert.equal(loginCertificateProblem(issued.certificate, { publicKey: SIDECAR_KEY, username: 'deploy' }), undefined);
});

test('every certificate has its own nonce and serial', () => {
  const [a, b] = [issueLoginCertificate(ca, REQUEST), issueLoginCertificate(ca, REQUEST)];
  const [pa, pb] = [parseUserCertificate(certificateBlob(a.certificate)), parseUserCertificate(certificateBlob(b.certificate))];
  assert.notEqual(a.serial, b.serial);
  assert.notDeepEqual(pa.nonce, pb.nonce);
  assert.equal(pa.nonce.length, 32);
});

test('a session id that is not a plain token, or a key that is not ed25519, is refused', () => {
  for (const session of ['', 'a b', 'x\ny', 'a/b', 'é']) {
    assert.throws(() => issueLoginCertificate(ca, { ...REQUEST, keyId: { ...REQUEST.keyId, session } }), {
      code: 'InvalidRequest',
      message: /session id must be 1 to 128 letters/,
    });
  }
  const ecdsa = lineOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  assert.throws(() => issueLoginCertificate(ca, { ...REQUEST, publicKey: ecdsa }), {
    code: 'UnsupportedKey',
    message: /not an ssh-ed25519 public key line .* type ecdsa-sha2-nistp256/,
  });
  assert.throws(() => issueLoginCertificate(ca, { ...REQUEST, publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==' }), {
    code: 'Malformed',
  });
  assert.equal(
    loginKeyId({ namespace: 'n', identity: 'i', pod: 'p', session: 's' }),
    'airlock:n/i/p/s',
    'the key id reads namespace, identity, pod, session',
  );
});

test('the TTL: 5m unless the Target says, 30s to 1h', () => {
  const spec = (certificateTTL?: string): TargetSpec => ({
    type: 'ssh',
    localPort: 2222,
    ssh: { host: 'h', hostKeys: ['ssh-ed25519 AAAA'], ...(certificateTTL ? { certificateTTL } : {}) },
  });
  assert.equal(certificateTtlSeconds(spec()), 300);
  assert.equal(certificateTtlSeconds(spec('30s')), 30);
  assert.equal(certificateTtlSeconds(spec('1h')), 3600);
  assert.equal(certificateTtlSeconds(spec('1m30s')), 90);
  assert.throws(() => certificateTtlSeconds(spec('29s')), { code: 'InvalidRequest', message: /29s is outside 30s to 1h/ });
  assert.throws(() => certificateTtlSeconds(spec('61m')), { code: 'InvalidRequest' });
  assert.throws(() => certificateTtlSeconds(spec('soon')), { code: 'InvalidRequest', message: /invalid duration/ });
});

test('the sidecar presents only a user certificate of its own key, for exactly its user, without critical options', () => {
  const expected = { publicKey: SIDECAR_KEY, username: 'deploy' };
  const issued = issueLoginCertificate(ca, REQUEST);
  assert.match(loginCertificateProblem(issued.certificate, { ...expected, publicKey: lineOf() }) ?? '', /another key than the sidecar's/);
  assert.match(loginCertificateProblem(issued.certificate, { ...expected, username: 'root' }) ?? '', /for deploy, not for exactly root/);
  const sign = (fields: Partial<Parameters<typeof signUserCertificate>[0]>) => {
    const parsed = parseUserCertificate(certificateBlob(issued.certificate));
    return certificateLine(signUserCertificate({ ...parsed, ...fields }, ca));
  };
  assert.match(
    loginCertificateProblem(sign({ principals: ['deploy', 'root'] }), expected) ?? '',
    /for deploy, root, not for exactly deploy/,
  );
  assert.match(
    loginCertificateProblem(sign({ criticalOptions: [{ name: 'force-command', value: 'id' }] }), expected) ?? '',
    /critical options \(force-command\)/,
  );
  assert.match(loginCertificateProblem(SIDECAR_KEY, expected) ?? '', /not an ssh-ed25519-cert-v01@openssh.com certificate line/);
  assert.match(loginCertificateProblem('ssh-ed25519-cert-v01@openssh.com AAAA', expected) ?? '', /cut short/);
});

test('a PEM authority key reads as the key it is; encrypted or foreign text is refused without quoting it', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  assert.deepEqual(sshPublicKeyBlob(readSshPrivateKey(pem)), sshPublicKeyBlob(privateKey));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  assert.deepEqual(sshPublicKeyBlob(readSshPrivateKey(rsa.export({ format: 'pem', type: 'pkcs1' }).toString())), sshPublicKeyBlob(rsa));
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  assert.deepEqual(sshPublicKeyBlob(readSshPrivateKey(ec.export({ format: 'pem', type: 'sec1' }).toString())), sshPublicKeyBlob(ec));
  const encrypted = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
  assert.throws(() => readSshPrivateKey(encrypted), { code: 'EncryptedKey', message: /ssh-keygen -p -N ""/ });
  const body = pem.split('\n')[1] ?? '';
  for (const text of ['hunter2', pem.replace(body, `${body.slice(0, 10)}!!${body.slice(12)}`), SIDECAR_KEY]) {
    assert.throws(
      () => readSshPrivateKey(text),
      (error: unknown) => (error as { code?: string }).code === 'Malformed' && !(error as Error).message.includes(body.slice(0, 16)),
    );
  }
});
