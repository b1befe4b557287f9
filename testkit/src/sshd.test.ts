/**
 * The OpenSSH server the SSH tests stand on, checked with the real OpenSSH client: key and
 * password logins as its test users, host key pinning, scp, every host key type; and nothing left
 * behind (sessions, users, temp dir, /run/sshd), neither after stop() nor when the test process is
 * killed outright.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isListening } from './ports.ts';
import { generateSshKeyPair, type SshKeyPair } from './ssh-keys.ts';
import { SshServer } from './sshd.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';
const log = (line: string) => process.stderr.write(`# ${line}\n`);
const PRIVSEP_MARKER = '/run/airlock-made-sshd-privsep-dir';
const privsepDirBefore = existsSync('/run/sshd');
const privsepMarkerBefore = existsSync(PRIVSEP_MARKER);

let scratch: string;
let key: SshKeyPair;
let keyFile: string;
before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'airlock-sshd-test-'));
  key = await generateSshKeyPair({ comment: 'sshd.test' });
  keyFile = write('id_ed25519', key.privateKey, 0o600);
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function write(name: string, content: string, mode = 0o644): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

interface ClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runClient(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ClientResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Options every client run gets: no config of the machine's, only this known_hosts file. */
function clientOptions(knownHosts: string, extra: string[] = []): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    ...extra.flatMap((o) => ['-o', o]),
  ];
}

const keyAuth = ['BatchMode=yes', 'IdentitiesOnly=yes', 'PreferredAuthentications=publickey'];

function sshWithKey(server: SshServer, user: string, knownHosts: string, command: string, extra: string[] = []): Promise<ClientResult> {
  const args = [...clientOptions(knownHosts, [...keyAuth, ...extra]), '-i', keyFile, '-p', String(server.port)];
  return runClient('ssh', [...args, `${user}@${server.host}`, command]);
}

function accountExists(database: 'passwd' | 'group', name: string): boolean {
  return spawnSync('getent', [database, name]).status === 0;
}

/** Running processes of a uid; zombies do not count (this machine's init may reap them late). */
function processesOfUid(uid: number): number[] {
  const ps = spawnSync('ps', ['-U', String(uid), '-u', String(uid), '-o', 'pid=,stat='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, stat]) => pid && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

describe('a running server', { skip }, () => {
  let server: SshServer;
  let knownHosts: string;
  before(async () => {
    server = await SshServer.start({ log });
    server.users.deploy!.authorize(key.publicKey);
    knownHosts = write('known_hosts', `${server.knownHostsLine()}\n`);
  });
  after(() => server?.stop());

  test('a key login as the test user runs the command; the log names the key', async () => {
    const user = server.users.deploy!;
    const result = await sshWithKey(server, user.name, knownHosts, 'echo hello; id -un; pwd');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `hello\n${user.name}\n${user.home}\n`);
    assert.match(server.logTail(100), new RegExp(`Accepted publickey for ${user.name} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519`));
  });

  test('listens on 127.0.0.1, with an ed25519 host key in the form a Target takes', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.equal(server.hostKeys.length, 1);
    assert.match(server.hostKeys[0]!, /^ssh-ed25519 [A-Za-z0-9+/=]+$/);
    assert.equal(server.knownHostsLine(), `[127.0.0.1]:${server.port} ${server.hostKeys[0]}`);
    const printed = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', write('host.pub', `${server.hostKeys[0]}\n`)], {
      encoding: 'utf8',
    });
    assert.equal(printed.stdout.split(' ')[1], server.hostKeyFingerprints[0]);
  });

  test('a known_hosts with another key for the address refuses the server', async () => {
    const other = await generateSshKeyPair();
    const wrong = write('known_hosts_wrong', `[127.0.0.1]:${server.port} ${other.publicKey}\n`);
    const result = await sshWithKey(server, server.users.deploy!.name, wrong, 'echo hello');
    assert.equal(result.code, 255);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  test('a key that is not authorized is refused', async () => {
    const stranger = await generateSshKeyPair();
    const strangerFile = write('id_stranger', stranger.privateKey, 0o600);
    const args = [...clientOptions(knownHosts, keyAuth), '-i', strangerFile, '-p', String(server.port)];
    const result = await runClient('ssh', [...args, `${server.users.deploy!.name}@127.0.0.1`, 'echo hello']);
    assert.equal(result.code, 255);
    assert.match(result.stderr, /Permission denied \(publickey,password\)/);
  });

  test('a password login works through SSH_ASKPASS; a wrong password is refused', async () => {
    const user = server.users.deploy!;
    const askpass = write('askpass.sh', '#!/bin/sh\nprintf "%s\\n" "$TEST_SSH_PASSWORD"\n', 0o700);
    const login = (password: string) =>
      runClient(
        'ssh',
        [
          ...clientOptions(knownHosts, ['PreferredAuthentications=password', 'PubkeyAuthentication=no', 'NumberOfPasswordPrompts=1']),
          '-p',
          String(server.port),
          `${user.name}@127.0.0.1`,
          'id -un',
        ],
        { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', TEST_SSH_PASSWORD: password },
      );
    const right = await login(user.password);
    assert.equal(right.code, 0, right.stderr);
    assert.equal(right.stdout, `${user.name}\n`);
    assert.match(server.logTail(100), new RegExp(`Accepted password for ${user.name} `));
    const wrong = await login(`${user.password}x`);
    assert.equal(wrong.code, 255);
    assert.match(wrong.stderr, /Permission denied/);

    user.setPassword('changed-in-the-test');
    assert.equal((await login('changed-in-the-test')).code, 0);
  });

  test('scp copies a file into the home directory, owned by the user', async () => {
    const user = server.users.deploy!;
    const source = write('payload.txt', 'copied over SFTP\n');
    const args = [...clientOptions(knownHosts, keyAuth), '-i', keyFile, '-P', String(server.port)];
    const result = await runClient('scp', [...args, source, `${user.name}@127.0.0.1:payload.txt`]);
    assert.equal(result.code, 0, result.stderr);
    const copied = join(user.home, 'payload.txt');
    assert.equal(readFileSync(copied, 'utf8'), 'copied over SFTP\n');
    assert.equal(statSync(copied).uid, user.uid);
    assert.match(server.logTail(100), new RegExp(`Starting session: subsystem 'sftp' for ${user.name} `));
  });

  test('root may not log in', async () => {
    const result = await sshWithKey(server, 'root', knownHosts, 'id -un');
    assert.equal(result.code, 255);
  });
});

describe('stop()', { skip }, () => {
  test('ends open sessions and removes the users, their groups and the temp dir; the port closes', async () => {
    const server = await SshServer.start({ users: ['alice', 'bob'], hostKeyTypes: ['ed25519', 'rsa', 'ecdsa'], log });
    try {
      const { alice, bob } = server.users;
      assert.ok(alice && bob);
      assert.notEqual(alice.uid, bob.uid);
      alice.authorize(key.publicKey);
      assert.deepEqual(
        server.hostKeys.map((k) => k.split(' ')[0]),
        ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256'],
      );
      // Each host key on its own in known_hosts, and the client offered only its algorithm.
      for (const [hostKey, algorithm] of [
        [server.hostKeys[0]!, 'ssh-ed25519'],
        [server.hostKeys[1]!, 'rsa-sha2-512'],
        [server.hostKeys[2]!, 'ecdsa-sha2-nistp256'],
      ] as const) {
        const known = write(`known_hosts_${algorithm}`, `${server.knownHostsLine(hostKey)}\n`);
        const result = await sshWithKey(server, alice.name, known, 'id -un', [`HostKeyAlgorithms=${algorithm}`]);
        assert.equal(result.code, 0, `${algorithm}: ${result.stderr}`);
        assert.equal(result.stdout, `${alice.name}\n`);
      }

      const known = write('known_hosts_stop', `${server.knownHostsLine()}\n`);
      const session = spawn(
        'ssh',
        [...clientOptions(known, keyAuth), '-i', keyFile, '-p', String(server.port), `${alice.name}@127.0.0.1`, 'sleep 300'],
        {
          stdio: 'ignore',
        },
      );
      const sessionEnded = new Promise((resolve) => session.once('exit', resolve));
      try {
        await waitFor(() => processesOfUid(alice.uid).length > 0, 'the session to start');
        await server.stop();
        assert.equal(await isListening(server.port), false);
        assert.equal(existsSync(server.dir), false, `${server.dir} left behind`);
        for (const user of [alice, bob]) {
          assert.equal(accountExists('passwd', user.name), false, `user ${user.name} left behind`);
          assert.equal(accountExists('group', user.name), false, `group ${user.name} left behind`);
          assert.deepEqual(processesOfUid(user.uid), [], `processes of ${user.name} left behind`);
        }
        await sessionEnded;
        await server.stop(); // twice is fine
      } finally {
        session.kill();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('a killed test process', { skip }, () => {
  test('leaves no sshd, session, user or temp dir behind', { timeout: 120_000 }, async () => {
    const script = `
      import { SshServer } from ${JSON.stringify(join(import.meta.dirname, 'sshd.ts'))};
      const server = await SshServer.start({ users: ['victim'] });
      server.users.victim.authorize(process.env.PUBLIC_KEY);
      const { name, uid } = server.users.victim;
      process.stdout.write(JSON.stringify({ dir: server.dir, port: server.port, knownHosts: server.knownHostsLine(), name, uid }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, PUBLIC_KEY: key.publicKey },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let session: ReturnType<typeof spawn> | undefined;
    try {
      const started = await new Promise<{ dir: string; port: number; knownHosts: string; name: string; uid: number }>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
        child.once('exit', (code) => reject(new Error(`the harness process exited with ${code} before starting sshd`)));
      });
      const known = write('known_hosts_killed', `${started.knownHosts}\n`);
      session = spawn(
        'ssh',
        [...clientOptions(known, keyAuth), '-i', keyFile, '-p', String(started.port), `${started.name}@127.0.0.1`, 'sleep 300'],
        {
          stdio: 'ignore',
        },
      );
      await waitFor(() => processesOfUid(started.uid).length > 0, 'the session to start');
      assert.equal(await isListening(started.port), true);

      child.kill('SIGKILL');
      await waitFor(
        async () =>
          !existsSync(started.dir) &&
          !accountExists('passwd', started.name) &&
          processesOfUid(started.uid).length === 0 &&
          !(await isListening(started.port)),
        'the watchdog to clean up',
        60_000,
      );
      assert.equal(accountExists('group', started.name), false, `group ${started.name} left behind`);
    } finally {
      child.kill('SIGKILL');
      session?.kill();
    }
  });
});

test('/run/sshd is as it was before, unless another harness had made it', { skip }, async (t) => {
  // A server of a test file running in parallel still needs it, or is stopping; the last harness to stop removes it.
  const expected = privsepDirBefore && !privsepMarkerBefore;
  await waitFor(
    () => sshdRunning() || (!existsSync(PRIVSEP_MARKER) && existsSync('/run/sshd') === expected),
    'a stopping harness',
    10_000,
  ).catch(() => {});
  if (sshdRunning()) return t.skip('another sshd runs');
  assert.equal(existsSync(PRIVSEP_MARKER), false);
  assert.equal(existsSync('/run/sshd'), expected);
});

function sshdRunning(): boolean {
  return spawnSync('pgrep', ['-x', 'sshd']).status === 0;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
