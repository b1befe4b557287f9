/**
 * Just-in-time SSH user certificates against a real OpenSSH sshd that trusts a user CA
 * (TrustedUserCAKeys) and has no authorized_keys entry for the user: the sidecar makes a key pair
 * per upstream connect, gets a certificate signed for it (the broker's certificateAuthorityKey mode,
 * played in-process with the code the broker signs with) and logs in with it through ssh2. sshd's
 * own log shows the certificate login and its key id. Certificates the host must refuse (expired,
 * for another user) are refused by sshd, checked with the real `ssh` client too, and the agent
 * gets exit status 255 and a message that says what to check.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  certificateBlob,
  issueLoginCertificate,
  type LoginCertificate,
  parseUserCertificate,
  readSshPrivateKey,
  sshFingerprint,
} from '@airlock/contracts/ssh-certificates';
import { eventually, generateSshKeyPair, type SshKeyPair, type SshLoginUser, SshServer } from '@airlock/testkit';
import type { ClientChannel } from 'ssh2';
import type { CertificateAuthorityOptions } from './testing/certificate-authority-credentials.ts';
import { PRINCIPAL, readRecords, runSsh, type SshProxyFixture, startSshProxy } from './testing/ssh-proxy-fixture.ts';
import { connectAgent } from './testing/ssh2-agent.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';

let server: SshServer;
let user: SshLoginUser;
let ca: SshKeyPair;
let dir: string;

before(async () => {
  if (skip) return;
  ca = await generateSshKeyPair({ comment: 'airlock-test-user-ca' });
  server = await SshServer.start({ trustedUserCaKeys: [ca.publicKey] });
  user = server.users.deploy!;
  dir = mkdtempSync(join(tmpdir(), 'airlock-ssh-cert-client-'));
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A sidecar whose upstream logins are certificates of the test CA; `issued` collects what it was given. */
async function certificateProxy(
  options: Partial<CertificateAuthorityOptions> = {},
): Promise<{ proxy: SshProxyFixture; issued: LoginCertificate[] }> {
  const issued: LoginCertificate[] = [];
  const proxy = await startSshProxy(server, {
    certificateAuthority: { privateKey: ca.privateKey, onIssued: (certificate) => issued.push(certificate), ...options },
  });
  return { proxy, issued };
}

/** Waits until sshd's log has a line matching `pattern` (its lines reach the file through a pipe). */
const logLine = (what: string, pattern: RegExp) =>
  eventually(
    what,
    () =>
      server
        .logTail(100_000)
        .split('\n')
        .find((line) => pattern.test(line)),
    { timeoutMs: 5000 },
  );

/**
 * Why sshd refused the certificate with this key id: at LogLevel VERBOSE it logs
 * "Certificate invalid: <reason>" and then "Failed publickey for <user> ... ID <key id> (serial N)".
 */
async function refusalOf(certificate: LoginCertificate): Promise<string> {
  const failed = new RegExp(
    `^Failed publickey for ${user.name} .*ED25519-CERT .* ID ${certificate.keyId} \\(serial ${certificate.serial}\\)`,
  );
  return eventually(
    `sshd's refusal of ${certificate.keyId}`,
    () => {
      const lines = server.logTail(100_000).split('\n');
      const at = lines.findIndex((line) => failed.test(line));
      return at > 0 ? /^Certificate invalid: (.*)$/.exec(lines[at - 1] ?? '')?.[1] : undefined;
    },
    { timeoutMs: 5000 },
  );
}

describe('an exec through the sidecar logs in with a certificate', { skip }, () => {
  test("the host accepts it as the Target's user, no authorized_keys entry is involved, and sshd logs the key id", async () => {
    assert.equal(readFileSync(join(server.dir, 'authorized_keys', user.name), 'utf8'), '', 'the user authorizes no key');
    const { proxy, issued } = await certificateProxy();
    try {
      const result = await runSsh(proxy, 'id -un');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.toString().trim(), user.name);
      assert.equal(issued.length, 1);
      const [certificate] = issued as [LoginCertificate];
      const session = readRecords(proxy.recordingsDir)[0]?.session;
      assert.equal(certificate.keyId, `airlock:${PRINCIPAL.namespace}/${PRINCIPAL.identity}/${PRINCIPAL.pod.name}/${session}`);
      const caFingerprint = sshFingerprint(Buffer.from(ca.publicKey.split(' ')[1]!, 'base64'));
      assert.equal(certificate.authority, caFingerprint);
      const accepted = await logLine('the certificate login in sshd log', new RegExp(`Accepted publickey for ${user.name} .*ED25519-CERT`));
      assert.ok(accepted.includes(`ID ${certificate.keyId} (serial ${certificate.serial}) CA ED25519 ${caFingerprint}`), accepted);
    } finally {
      await proxy.close();
    }
  });

  test('every upstream connect gets a certificate of its own, for a key of its own', async () => {
    const { proxy, issued } = await certificateProxy();
    try {
      for (const word of ['one', 'two', 'three']) {
        const result = await runSsh(proxy, `echo ${word}`);
        assert.equal(result.stdout.toString(), `${word}\n`, result.stderr);
      }
      assert.equal(issued.length, 3);
      assert.equal(new Set(issued.map((c) => c.serial)).size, 3);
      const keys = issued.map((c) => Buffer.from(parseUserCertificate(certificateBlob(c.certificate)).publicKey).toString('hex'));
      assert.equal(new Set(keys).size, 3, 'each certificate certifies another key');
      for (const certificate of issued) {
        await logLine(`the login of ${certificate.keyId}`, new RegExp(`ID ${certificate.keyId} \\(serial ${certificate.serial}\\)`));
      }
    } finally {
      await proxy.close();
    }
  });
});

describe('a forwarding through a certificate login', { skip }, () => {
  test('a destination a rule allows is reached: the certificate permits port forwarding, the sidecar decides it', async () => {
    const web = createServer((_request, response) => response.end('through the tunnel\n'));
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
    const port = (web.address() as AddressInfo).port;
    const issued: LoginCertificate[] = [];
    const proxy = await startSshProxy(server, {
      certificateAuthority: { privateKey: ca.privateKey, onIssued: (certificate) => issued.push(certificate) },
      policy: {
        rules: [{ name: 'web', match: { ssh: { requestTypes: ['port-forward'], destinations: [`127.0.0.1:${port}`] } }, action: 'allow' }],
        defaultAction: 'deny',
      },
    });
    const client = await connectAgent(proxy.port);
    try {
      const stream = await new Promise<ClientChannel>((resolve, reject) =>
        client.forwardOut('127.0.0.1', 40000, '127.0.0.1', port, (error, channel) => (error ? reject(error) : resolve(channel))),
      );
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.end('GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
      await once(stream, 'close');
      assert.match(Buffer.concat(chunks).toString(), /through the tunnel/);
      assert.equal(issued.length, 1, 'one certificate for the one upstream connection');
    } finally {
      client.end();
      await proxy.close();
      web.close();
    }
  });
});

describe('certificates the host must refuse', { skip }, () => {
  test('an expired certificate: sshd refuses it, and the agent gets 255 and what to check', async () => {
    const hourAgo = () => Date.now() - 3600_000;
    const { proxy, issued } = await certificateProxy({ clock: hourAgo });
    try {
      const result = await runSsh(proxy, 'id -un');
      assert.equal(result.code, 255);
      assert.equal(result.stdout.length, 0);
      assert.match(result.stderr, /^airlock: cannot reach target orders-bastion: /);
      assert.match(
        result.stderr,
        new RegExp(
          `did not accept the certificate for ${user.name} \\(key id airlock:agents/release-bot/release-7kq2x/[0-9a-f-]+, valid until \\S+Z\\) signed by the certificate authority of Target orders-bastion: check that the host trusts that authority \\(sshd TrustedUserCAKeys\\), lets ${user.name} log in by it, and that its clock is right`,
        ),
      );
      assert.equal(issued.length, 1);
      assert.equal(await refusalOf(issued[0]!), 'expired');
    } finally {
      await proxy.close();
    }
  });

  test('a certificate for another user is never presented by the sidecar: 255, and the host sees no login', async () => {
    const before = (server.logTail(100_000).match(/Connection from/g) ?? []).length;
    const { proxy } = await certificateProxy({ principal: 'root' });
    try {
      const result = await runSsh(proxy, 'id -un');
      assert.equal(result.code, 255);
      assert.match(
        result.stderr,
        new RegExp(
          `the certificate the broker sent for target orders-bastion cannot be used: it is for root, not for exactly ${user.name}`,
        ),
      );
      await sleep(300);
      assert.equal((server.logTail(100_000).match(/Connection from/g) ?? []).length, before, 'the sidecar did not connect');
    } finally {
      await proxy.close();
    }
  });
});

/** The real OpenSSH client with a key and a certificate file, nothing else (no agent, no config, the server's host key only). */
function sshWithCertificate(
  key: SshKeyPair,
  certificate: string,
  login: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const keyFile = join(dir, `key-${Math.random().toString(36).slice(2)}`);
  writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
  writeFileSync(`${keyFile}-cert.pub`, `${certificate}\n`);
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${server.knownHostsLine()}\n`);
  const args = [
    '-F',
    'none',
    '-i',
    keyFile,
    '-o',
    `CertificateFile=${keyFile}-cert.pub`,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-p',
    String(server.port),
    `${login}@${server.host}`,
    'id -un',
  ];
  const { SSH_AUTH_SOCK: _agent, ...env } = process.env;
  return new Promise((resolve) => {
    execFile('ssh', args, { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe("the encoder's certificates in the real ssh client", { skip }, () => {
  const sign = (key: SshKeyPair, username: string, now = Date.now()) =>
    issueLoginCertificate(readSshPrivateKey(ca.privateKey), {
      publicKey: key.publicKey,
      username,
      keyId: { namespace: 'agents', identity: 'cli-test', pod: 'none', session: `cli-${Date.now()}` },
      ttlSeconds: 300,
      now,
    });

  test('a valid one logs in; sshd names the certificate', async () => {
    const key = await generateSshKeyPair();
    const certificate = sign(key, user.name);
    const result = await sshWithCertificate(key, certificate.certificate, user.name);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), user.name);
    await logLine('the login of the client certificate', new RegExp(`ID ${certificate.keyId} \\(serial ${certificate.serial}\\)`));
  });

  test('one for another principal is refused', async () => {
    const key = await generateSshKeyPair();
    const certificate = sign(key, 'someone-else');
    const result = await sshWithCertificate(key, certificate.certificate, user.name);
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Permission denied \(publickey/);
    assert.equal(await refusalOf(certificate), 'name is not a listed principal');
  });

  test('an expired one is refused, even 30 s of allowed clock skew later', async () => {
    const key = await generateSshKeyPair();
    // Signed 6 minutes ago with a 5-minute TTL: it ended a minute ago.
    const certificate = sign(key, user.name, Date.now() - 360_000);
    const result = await sshWithCertificate(key, certificate.certificate, user.name);
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Permission denied \(publickey/);
    assert.equal(await refusalOf(certificate), 'expired');
  });
});
