/**
 * An SSH connection that logged in with the agent's own token ends when the token expires
 * (core/session/token-expiry.ts), against a real OpenSSH sshd with the ssh2 client as the agent
 * (several channels on one connection, exit statuses read exactly). The tokens are the static
 * authenticator's, mapped to principals that expire a few seconds after the fixture starts. It
 * ends as a graceful shutdown ends a connection: a held command is withdrawn and the agent reads
 * why, a running command has until the grace is over and is then told and closed with status 255,
 * and the connection closes; session.close says `token-expired`. A token without an expiry is
 * untouched. No assertion is on time: the tests wait for the event.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent } from '@airlock/contracts/recording';
import { eventually, type SshLoginUser, SshServer } from '@airlock/testkit';
import type { Client } from 'ssh2';
import { TOKEN_EXPIRED_CODE, TOKEN_EXPIRED_REASON } from '../../core/session/token-expiry.ts';
import type { HeldRequest } from '../../in-process/in-process-gate.ts';
import { EXIT_STATUS } from './session/agent-messages.ts';
import { eventsOf, PRINCIPAL, readRecords, type SshProxyFixture, startSshProxy } from './testing/ssh-proxy-fixture.ts';
import { connectAgent, execOn, openExec } from './testing/ssh2-agent.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';
const EVENT_TIMEOUT_MS = 30_000;
/** How long after the fixture starts its expiring token expires: long enough to log in and start a command. */
const TOKEN_LIFE_MS = 3_000;

let server: SshServer;
let user: SshLoginUser;
const fixtures: SshProxyFixture[] = [];
const clients: Client[] = [];

before(async () => {
  if (skip) return;
  server = await SshServer.start();
  user = server.users.deploy!;
});

after(async () => {
  for (const client of clients) client.end();
  for (const fixture of fixtures) await fixture.close();
  await server?.stop();
});

/** A sidecar whose `expiring` token expires TOKEN_LIFE_MS from now and whose `lasting` token never does. */
async function start(): Promise<{ proxy: SshProxyFixture; expiresAt: string }> {
  const expiresAt = new Date(Date.now() + TOKEN_LIFE_MS).toISOString();
  const proxy = await startSshProxy(server, {
    agentTokens: { expiring: { ...PRINCIPAL, identity: 'token-bot', expiresAt }, lasting: { ...PRINCIPAL, identity: 'lasting-bot' } },
  });
  fixtures.push(proxy);
  return { proxy, expiresAt };
}

async function login(proxy: SshProxyFixture, token: string): Promise<{ client: Client; closed: Promise<void> }> {
  const client = await connectAgent(proxy.port, token);
  clients.push(client);
  client.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  return { client, closed };
}

/** The events of the session that logged in as `identity`, once its session.close is recorded. */
async function sessionEvents(proxy: SshProxyFixture, identity: string): Promise<RecordedEvent[]> {
  return eventually(
    `the session of ${identity}, closed`,
    () => {
      const records = readRecords(proxy.recordingsDir);
      const opened = records.find(
        (record) => record.event.type === 'session.open' && record.event.principal.identity === identity,
      )?.session;
      const events = eventsOf(records.filter((record) => record.session === opened));
      return opened && events.some((event) => event.type === 'session.close') ? events : undefined;
    },
    { timeoutMs: EVENT_TIMEOUT_MS },
  );
}

const expiredLine = (expiresAt: string) => `airlock: your token expired at ${expiresAt}; reconnect with a fresh token\n`;

describe('an SSH connection ends when the agent’s token expires', { skip, timeout: 3 * EVENT_TIMEOUT_MS }, () => {
  test('a held command is withdrawn and the agent reads why; the connection closes; a token without expiry goes on', async () => {
    const { proxy, expiresAt } = await start();
    const lasting = await login(proxy, 'lasting');
    const expiring = await login(proxy, 'expiring');
    const requests: HeldRequest[] = [];
    proxy.gate.onRequest((request) => requests.push(request));
    const marker = join(user.home, `token-expiry-${Date.now()}`);
    const held = await openExec(expiring.client, `echo ran >> ${marker}`);
    held.channel.end();
    await eventually('the command to be held', () => requests[0], { timeoutMs: EVENT_TIMEOUT_MS });
    const result = await held.result;
    assert.equal(result.code, EXIT_STATUS.notApproved);
    assert.equal(
      result.stderr.slice(result.stderr.indexOf('airlock: your token')),
      `${expiredLine(expiresAt)}airlock: The request was withdrawn and the command was not run.\n`,
    );
    await expiring.closed;
    assert.equal(proxy.gate.get(requests[0]?.name ?? '')?.phase, 'Withdrawn');
    assert.equal(existsSync(marker), false, 'the held command never ran');
    const events = await sessionEvents(proxy, 'token-bot');
    const last = events.at(-1);
    assert.equal(last?.type === 'session.close' && last.reason, TOKEN_EXPIRED_REASON);
    assert.ok(events.some((event) => event.type === 'error' && event.code === TOKEN_EXPIRED_CODE));
    // The token without an expiry: the same connection still runs commands.
    assert.deepEqual(await execOn(lasting.client, 'echo still here'), { code: 0, signal: undefined, stdout: 'still here\n', stderr: '' });
  });

  test('a command still running when the grace is over is told why and closed with status 255, then the connection', async () => {
    const { proxy, expiresAt } = await start();
    const expiring = await login(proxy, 'expiring');
    const running = await openExec(expiring.client, 'echo started; sleep 60');
    const result = await running.result;
    assert.equal(result.stdout, 'started\n');
    assert.equal(result.code, EXIT_STATUS.upstreamFailed);
    assert.equal(
      result.stderr,
      `${expiredLine(expiresAt)}airlock: The session was closed while this channel was open: what ran in it may not have finished.\n`,
    );
    await expiring.closed;
    const events = await sessionEvents(proxy, 'token-bot');
    const last = events.at(-1);
    assert.equal(last?.type === 'session.close' && last.reason, TOKEN_EXPIRED_REASON);
  });
});
