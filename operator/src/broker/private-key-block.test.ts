import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { privateKeyProblem } from './private-key-block.ts';
import { keyLines, opensshKey, pemBlock } from './testing/private-keys.ts';

const PUBLIC = { type: 'spki', format: 'pem' } as const;
const locked = (cipher?: string) => (cipher ? { cipher, passphrase: 'a passphrase' } : {});
const rsa = (type: 'pkcs1' | 'pkcs8', cipher?: string): string =>
  generateKeyPairSync('rsa', {
    modulusLength: 1024,
    publicKeyEncoding: PUBLIC,
    privateKeyEncoding: { type, format: 'pem', ...locked(cipher) },
  }).privateKey;
const ec = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: PUBLIC, privateKeyEncoding: { type: 'sec1', format: 'pem' } })
    .privateKey;
const ed25519 = (cipher?: string): string =>
  generateKeyPairSync('ed25519', { publicKeyEncoding: PUBLIC, privateKeyEncoding: { type: 'pkcs8', format: 'pem', ...locked(cipher) } })
    .privateKey;

test('an unencrypted OpenSSH key, and PEM keys as OpenSSL writes them, are accepted', () => {
  for (const key of [
    opensshKey(),
    opensshKey().replaceAll('\n', '\r\n'),
    `\n  ${opensshKey()}\n\n`,
    rsa('pkcs1'),
    rsa('pkcs8'),
    ec(),
    ed25519(),
  ]) {
    assert.equal(privateKeyProblem(key), undefined, key.split('\n')[0]);
  }
});

test('a key with a passphrase is refused, in each format that can carry one', () => {
  for (const key of [opensshKey('aes256-ctr'), rsa('pkcs1', 'aes-256-cbc'), ed25519('aes-256-cbc')]) {
    assert.match(privateKeyProblem(key) ?? '', /encrypted with a passphrase.*ssh-keygen -p -N ""/, key.split('\n')[0]);
  }
});

test('what is not one private key block says what it is instead, and never quotes the text', () => {
  const cases: readonly [string, RegExp][] = [
    ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa5mW4sRyO7nQ0pXJfVZbkYx3k0pXl9Yv1n1qX2n3Yb deploy@build', /public key line/],
    ['hunter2-not-a-key', /not an unencrypted private key in OpenSSH format .* or PEM/],
    [opensshKey().replace('-----END OPENSSH PRIVATE KEY-----', ''), /not an unencrypted private key/],
    [pemBlock('CERTIFICATE', Buffer.from('a certificate, not a key')), /a CERTIFICATE block, not/],
    [opensshKey().replace('END OPENSSH', 'END RSA'), /BEGIN and END lines name different blocks/],
    [
      '-----BEGIN OPENSSH PRIVATE KEY-----\n(the deploy key of build-01; replace before applying)\n-----END OPENSSH PRIVATE KEY-----\n',
      /not base64/,
    ],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----', /not base64/],
    [pemBlock('OPENSSH PRIVATE KEY', Buffer.from('some other data entirely, no header')), /openssh-key-v1 header is missing/],
    [
      pemBlock('OPENSSH PRIVATE KEY', Buffer.concat([Buffer.from('openssh-key-v1\0'), Buffer.from([0, 0, 0, 40]), Buffer.from('no')])),
      /cut short/,
    ],
    [`${opensshKey()}${opensshKey()}`, /not base64/],
  ];
  for (const [key, expected] of cases) {
    const problem = privateKeyProblem(key);
    assert.match(problem ?? 'accepted', expected, key);
    for (const line of keyLines(key)) assert.ok(!problem?.includes(line), `the problem quotes the key: ${problem}`);
    assert.doesNotMatch(problem ?? '', /hunter2|deploy@build|replace before applying/);
  }
});
