/**
 * Login certificates as the broker issues them for an ssh Target whose Secret holds a
 * certificateAuthorityKey, read back by the real OpenSSH tools: authority keys made by ssh-keygen
 * (OpenSSH and PEM formats, every key type), the sidecar's key made by ssh-keygen, and the
 * certificate checked with `ssh-keygen -L` (which also verifies its signature) and fingerprints
 * with `ssh-keygen -l`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readSshPrivateKey } from '@airlock/contracts/ssh-certificates';
import type { Target } from '@airlock/crds';
import { type SshLoginRequest, sshCredentials } from './credentials.ts';
import { BrokerHttpError } from './http-io.ts';
import { sshTarget } from './testing/objects.ts';
import { keyLines } from './testing/private-keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-ssh-certificate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** ssh-keygen's key pair: the private key file's text and the public key line. */
function keygen(name: string, args: readonly string[], passphrase = ''): { privateKey: string; publicKey: string; path: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', passphrase, '-C', name, '-f', path], { stdio: 'ignore' });
  return { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim(), path };
}

/** `ssh-keygen -l`: the SHA256 fingerprint of a public key file. */
const fingerprint = (pubFile: string): string =>
  execFileSync('ssh-keygen', ['-l', '-f', pubFile], { encoding: 'utf8' }).split(' ')[1] ?? '';

/** `ssh-keygen -L` of a certificate line, its fields by name (times in UTC). */
function inspect(certificate: string): { fields: Record<string, string>; principals: string[]; extensions: string[] } {
  const file = join(dir, `inspect-${process.hrtime.bigint()}-cert.pub`);
  writeFileSync(file, `${certificate}\n`);
  const text = execFileSync('ssh-keygen', ['-L', '-f', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  const fields: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  let list: string[] | undefined;
  for (const line of text.split('\n').slice(1)) {
    const field = /^\s{8}([A-Za-z ]+):\s?(.*)$/.exec(line);
    if (field) {
      fields[field[1]!] = field[2]!.trim();
      list = lists[field[1]!] = [];
    } else if (line.trim() !== '') list?.push(line.trim());
  }
  return { fields, principals: lists.Principals ?? [], extensions: lists.Extensions ?? [] };
}

const caTarget = (ttl?: string): Target => {
  const target = sshTarget();
  return { ...target, spec: { ...target.spec, ssh: { ...target.spec.ssh!, ...(ttl ? { certificateTTL: ttl } : {}) } } };
};
const SIDECAR = keygen('sidecar', ['-t', 'ed25519']);
const SESSION = '5d6f0e9a-6a1b-4f3e-9a53-1c2d3e4f5a6b';
const NOW = Date.parse('2031-05-04T03:02:01.500Z');
const login = (extra: Partial<SshLoginRequest> = {}): SshLoginRequest => ({
  publicKey: SIDECAR.publicKey,
  sessionId: SESSION,
  namespace: 'agents',
  identity: 'build-bot',
  pod: 'build-7kq2x',
  now: NOW,
  ...extra,
});

const AUTHORITIES: readonly { name: string; args: string[]; type: string; using: string }[] = [
  { name: 'ed25519', args: ['-t', 'ed25519'], type: 'ED25519', using: 'ssh-ed25519' },
  { name: 'ecdsa-256', args: ['-t', 'ecdsa', '-b', '256'], type: 'ECDSA', using: 'ecdsa-sha2-nistp256' },
  { name: 'ecdsa-384', args: ['-t', 'ecdsa', '-b', '384'], type: 'ECDSA', using: 'ecdsa-sha2-nistp384' },
  { name: 'ecdsa-521', args: ['-t', 'ecdsa', '-b', '521'], type: 'ECDSA', using: 'ecdsa-sha2-nistp521' },
  { name: 'rsa-3072', args: ['-t', 'rsa', '-b', '3072'], type: 'RSA', using: 'rsa-sha2-512' },
  // The same kinds as PEM files (ssh-keygen -m PEM): PKCS#1 RSA and SEC1 EC.
  { name: 'ecdsa-256-pem', args: ['-t', 'ecdsa', '-b', '256', '-m', 'PEM'], type: 'ECDSA', using: 'ecdsa-sha2-nistp256' },
  { name: 'rsa-2048-pem', args: ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], type: 'RSA', using: 'rsa-sha2-512' },
];

test('ssh-keygen -L reads the certificate as issued: the sidecar key, the user, the window, permit-pty, the key id, the authority', () => {
  for (const authority of AUTHORITIES) {
    const ca = keygen(`ca-${authority.name}`, authority.args);
    const format = authority.name.endsWith('-pem') ? /^-----BEGIN (RSA|EC) PRIVATE KEY-----/ : /^-----BEGIN OPENSSH PRIVATE KEY-----/;
    assert.match(ca.privateKey, format, authority.name);
    const answer = sshCredentials(caTarget(), { username: 'deploy', certificateAuthorityKey: ca.privateKey }, login());
    assert.deepEqual(Object.keys(answer).sort(), ['certificate', 'type', 'username'], authority.name);
    const { fields, principals, extensions } = inspect(answer.certificate ?? '');
    assert.deepEqual(
      { ...fields, Serial: /^\d+$/.test(fields.Serial ?? '') ? 'a number' : fields.Serial },
      {
        Type: 'ssh-ed25519-cert-v01@openssh.com user certificate',
        'Public key': `ED25519-CERT ${fingerprint(`${SIDECAR.path}.pub`)}`,
        'Signing CA': `${authority.type} ${fingerprint(`${ca.path}.pub`)} (using ${authority.using})`,
        'Key ID': `"airlock:agents/build-bot/build-7kq2x/${SESSION}"`,
        Serial: 'a number',
        // 30 s before, 5 m after the signing second.
        Valid: 'from 2031-05-04T03:01:31 to 2031-05-04T03:07:01',
        Principals: '',
        'Critical Options': '(none)',
        Extensions: '',
      },
      authority.name,
    );
    assert.deepEqual(principals, ['deploy'], authority.name);
    assert.deepEqual(extensions, ['permit-port-forwarding', 'permit-pty'], authority.name);
    // The authority's private key is in no part of the answer: not the file, not its secret value in any encoding.
    // (Lines of the file are not compared: its first ones hold the public key, which the certificate names too.)
    const secret = Buffer.from(readSshPrivateKey(ca.privateKey).export({ format: 'jwk' }).d ?? '', 'base64url');
    const text = JSON.stringify(answer);
    assert.ok(secret.length >= 32, authority.name);
    assert.doesNotMatch(text, /PRIVATE KEY/, authority.name);
    for (const encoded of [
      secret.toString('base64').slice(0, 20),
      secret.toString('base64url').slice(0, 20),
      secret.toString('hex').slice(0, 20),
    ]) {
      assert.ok(!text.includes(encoded), authority.name);
    }
    assert.ok(!Buffer.from(answer.certificate?.split(' ')[1] ?? '', 'base64').includes(secret), authority.name);
  }
});

test("the Target's certificateTTL sets the window", () => {
  const ca = keygen('ca-ttl', ['-t', 'ed25519']);
  const answer = sshCredentials(caTarget('1h'), { username: 'deploy', certificateAuthorityKey: ca.privateKey }, login());
  assert.equal(inspect(answer.certificate ?? '').fields.Valid, 'from 2031-05-04T03:01:31 to 2031-05-04T04:02:01');
});

function refusal(fn: () => unknown): BrokerHttpError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof BrokerHttpError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

test('refusals name the key or the field, never a value: an encrypted or unreadable authority, a second login key, a request without a key', () => {
  const encrypted = keygen('ca-encrypted', ['-t', 'ed25519'], 'a-passphrase');
  const ca = keygen('ca-refusals', ['-t', 'ed25519']);
  const dsaLike = keygen('ca-other', ['-t', 'ed25519']).privateKey.replace('OPENSSH PRIVATE KEY', 'DSA PRIVATE KEY');
  const cases: readonly [Record<string, string>, SshLoginRequest, string, RegExp][] = [
    [
      { username: 'deploy', certificateAuthorityKey: encrypted.privateKey },
      login(),
      'CredentialsUnavailable',
      /key certificateAuthorityKey of Secret build-host-creds \(credentials of Target build-host\) is not a usable certificate authority key: it is encrypted with a passphrase/,
    ],
    [{ username: 'deploy', certificateAuthorityKey: dsaLike }, login(), 'CredentialsUnavailable', /not a usable certificate authority key/],
    [
      { username: 'deploy', certificateAuthorityKey: ca.privateKey, privateKey: SIDECAR.privateKey },
      login(),
      'CredentialsUnavailable',
      /has both privateKey and certificateAuthorityKey: remove certificateAuthorityKey to log in with the key, or privateKey to log in with certificates the operator signs/,
    ],
    [
      { username: 'deploy', certificateAuthorityKey: ca.privateKey, privateKey: SIDECAR.privateKey, password: 'hunter2-pw' },
      login(),
      'CredentialsUnavailable',
      /has privateKey, password and certificateAuthorityKey: keep only the one the sidecar logs in with/,
    ],
    [
      { username: 'deploy', certificateAuthorityKey: ca.privateKey },
      login({ publicKey: undefined }),
      'Invalid',
      /Target build-host logs in with certificates: send publicKey/,
    ],
    [
      { username: 'deploy', certificateAuthorityKey: ca.privateKey },
      login({ publicKey: keygen('sidecar-rsa', ['-t', 'rsa', '-b', '2048']).publicKey }),
      'Invalid',
      /cannot sign a login certificate for Target build-host: not an ssh-ed25519 public key line/,
    ],
    [{ username: 'deploy', certificateAuthorityKey: ca.privateKey }, login({ sessionId: 'x y' }), 'Invalid', /session id must be/],
    [
      { username: 'de ploy', certificateAuthorityKey: ca.privateKey },
      login(),
      'CredentialsUnavailable',
      /key username of Secret build-host-creds \(credentials of Target build-host\) cannot be a certificate principal/,
    ],
  ];
  for (const [secret, request, code, message] of cases) {
    const error = refusal(() => sshCredentials(caTarget(), secret, request));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    for (const line of [...keyLines(ca.privateKey), ...keyLines(encrypted.privateKey), ...keyLines(SIDECAR.privateKey)]) {
      assert.ok(!error.message.includes(line), `the refusal quotes a key: ${error.message}`);
    }
    assert.doesNotMatch(error.message, /hunter2/);
  }
  // A Secret with nothing to log in with names all three.
  assert.match(
    refusal(() => sshCredentials(caTarget(), { username: 'deploy' }, login())).message,
    /lacks privateKey, password or certificateAuthorityKey/,
  );
});
