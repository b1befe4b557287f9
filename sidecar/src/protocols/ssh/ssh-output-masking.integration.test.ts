/**
 * Values masked in what a host prints, end to end: the real OpenSSH `ssh` as the agent, the
 * sidecar, a real sshd. The policy's detector rules apply to stdout and stderr; the agent never
 * gets a secret the whole-text masking would hide, also when the host's output arrives in many
 * channel packets that cut secrets apart; the recording holds the masked bytes, never the secret,
 * and a `masking` event with the counts; output that nothing can match (random bytes) passes byte
 * for byte. Colour is no way round it: a token that GNU grep highlights in part (its escape
 * sequences inside the token) is masked whole.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chownSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent, StoredRecord } from '@airlock/contracts/recording';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { eventually, type SshLoginUser, SshServer } from '@airlock/testkit';
import { runSsh, type SshProxyFixture, startSshProxy, TEST_POLICY } from './testing/ssh-proxy-fixture.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';

const POLICY: ApprovalPolicySpec = {
  ...TEST_POLICY,
  // grep, for output coloured by the host.
  rules: [...(TEST_POLICY.rules ?? []), { name: 'search', match: { ssh: { programs: ['grep'] } }, action: 'allow' }],
  masking: {
    rules: [
      { name: 'keys', detectors: ['apiKey'] },
      { name: 'cards', detectors: ['cardNumber'], strategy: 'partial', keepLast: 4 },
    ],
  },
};

/** A GitHub token shape the apiKey detector knows: ghp_ and 36 letters and digits. */
const token = (): string =>
  `ghp_${randomBytes(27)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 36)}`;

let server: SshServer;
let proxy: SshProxyFixture;
let user: SshLoginUser;
const files: string[] = [];

before(async () => {
  if (skip) return;
  server = await SshServer.start();
  proxy = await startSshProxy(server, { policy: POLICY });
  user = server.users.deploy as SshLoginUser;
});

after(async () => {
  for (const file of files) rmSync(file, { force: true });
  await proxy?.close();
  await server?.stop();
});

/** A file in the login user's home, readable by the command that cats it. */
function hostFile(name: string, content: Buffer | string): string {
  const path = join(user.home, name);
  writeFileSync(path, content);
  chownSync(path, user.uid, user.gid);
  files.push(path);
  return path;
}

/** Every output byte the recording holds, decoded, across the sidecar's session files. */
function recordedEvents(): RecordedEvent[] {
  return readdirSync(proxy.recordingsDir)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) =>
      readFileSync(join(proxy.recordingsDir, file), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as StoredRecord<RecordedEvent>).event),
    );
}

function recordedOutput(): string {
  return recordedEvents()
    .flatMap((event) => (event.type === 'output' ? [Buffer.from(event.data, 'base64').toString('utf8')] : []))
    .join('');
}

describe('output masking over SSH', { skip }, () => {
  test('a token on stdout and a card number on stderr reach the agent masked, and the recording holds no secret', async () => {
    const secret = token();
    const run = await runSsh(proxy, `printf 'deploy token: ${secret}\\n'; printf 'card 4111 1111 1111 1111 charged\\n' >&2`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.toString(), 'deploy token: ****\n');
    assert.match(run.stderr, /card \*+1111 charged/);
    assert.ok(!run.stderr.includes('4111 1111 1111 1111'));
    const masking = await eventually('the masking event', () => recordedEvents().find((event) => event.type === 'masking'));
    assert.deepEqual(masking.maskedByRule, { 'ssh-policy/keys': 1, 'ssh-policy/cards': 1 });
    const recorded = recordedOutput();
    assert.ok(recorded.includes('deploy token: ****'), 'the masked output is recorded');
    assert.ok(!recorded.includes(secret), 'the recording holds the token');
  });

  test('secrets cut apart by the channel packets of a long output are all masked', async () => {
    // About 600 KB: many SSH packets and pipe reads, so packet edges fall inside secrets.
    const secrets = Array.from({ length: 8000 }, token);
    const text = secrets.map((secret, i) => `line ${i} uses ${secret} to push\n`).join('');
    const file = hostFile('tokens.txt', text);
    const run = await runSsh(proxy, `cat ${file}`);
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout.toString();
    const leaked = secrets.filter((secret) => out.includes(secret.slice(4)));
    assert.deepEqual(leaked.slice(0, 3), [], `${leaked.length} of ${secrets.length} tokens reached the agent`);
    assert.equal(out, secrets.map((_secret, i) => `line ${i} uses **** to push\n`).join(''));
  });

  test('a token that grep --color=always highlights in part reaches neither the agent nor the recording', async () => {
    const secret = token();
    const file = hostFile('colour.env', `TOKEN=${secret}\nother=1\n`);
    // The last 12 characters of a line: the highlight starts inside the token, and the command
    // line names no part of it. sshd starts the command with a clean environment: grep's default colours.
    const run = await runSsh(proxy, `grep --color=always -E '.{12}$' ${file}`);
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout.toString();
    // Red and clear-to-end-of-line where the match began, then the reset: kept, after the mask.
    assert.equal(out, 'TOKEN=****\x1b[01;31m\x1b[K\x1b[m\x1b[K\n');
    await eventually('the output recorded', () => recordedOutput().includes('TOKEN=****\x1b[01;31m'));
    const recording = readdirSync(proxy.recordingsDir)
      .map((name) => readFileSync(join(proxy.recordingsDir, name), 'utf8'))
      .join('');
    const recorded = recordedOutput();
    // Any 8 characters of the token after its prefix would be a part of it.
    for (let at = 4; at + 8 <= secret.length; at += 4) {
      const part = secret.slice(at, at + 8);
      assert.ok(!out.includes(part), `the agent got ${part} of the token`);
      assert.ok(!recorded.includes(part), `the recorded output holds ${part} of the token`);
      assert.ok(!recording.includes(part), `the recording holds ${part} of the token`);
    }
  });

  test('output no detector can match passes byte for byte', async () => {
    const bytes = randomBytes(512 * 1024);
    const file = hostFile('random.bin', bytes);
    const run = await runSsh(proxy, `cat ${file}`);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.equals(bytes), 'random bytes were changed on the way');
  });
});
