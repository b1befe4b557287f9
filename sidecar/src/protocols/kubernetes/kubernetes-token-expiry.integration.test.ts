/**
 * A Kubernetes session (one agent connection) opened with the agent's own token ends when the token
 * expires (core/session/token-expiry.ts): a request from then on is answered 401 with a Status that
 * says so, and the connection closes; an idle kept-alive connection is closed by the sidecar at the
 * expiry; the recording's session.close says `token-expired`. A token without an expiry is
 * untouched. As in kubernetes-agent-token.integration.test.ts nothing listens upstream, so an
 * accepted request ends in the listener's 503: enough to tell it got past the session's checks.
 * No assertion is on time: the tests wait for the event (a close, an answer).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { SessionCloseEvent, StoredRecord } from '@airlock/contracts/recording';
import { eventually } from '@airlock/testkit';
import { TOKEN_EXPIRED_CODE, TOKEN_EXPIRED_REASON } from '../../core/session/token-expiry.ts';
import { type KubernetesSidecarFixture, PRINCIPAL, startKubernetesSidecar } from './testing/kubernetes-sidecar-fixture.ts';

const EVENT_TIMEOUT_MS = 30_000;
const fixtures: KubernetesSidecarFixture[] = [];
const agents: Agent[] = [];

after(async () => {
  for (const agent of agents) agent.destroy();
  for (const fixture of fixtures) await fixture.close();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: { reason?: string; message?: string; code?: number };
  readonly socket: Socket;
}

function get(fixture: KubernetesSidecarFixture, agent: Agent, token: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${fixture.url}/api/v1/namespaces/default/configmaps`,
      { agent, headers: { authorization: `Bearer ${token}` } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            socket: req.socket as Socket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Every record the sidecar wrote to its JSONL files so far. */
function readRecords(recordingsDir: string): StoredRecord[] {
  return readdirSync(recordingsDir)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) =>
      readFileSync(join(recordingsDir, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as StoredRecord),
    );
}

const closedSocket = (socket: Socket) =>
  socket.closed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));

/** The session.close of every session recorded so far. */
const closes = (fixture: KubernetesSidecarFixture) =>
  readRecords(fixture.recordingsDir)
    .map((record) => record.event)
    .filter((event): event is SessionCloseEvent => event.type === 'session.close');

async function start(agentTokens: Parameters<typeof startKubernetesSidecar>[0]['agentTokens'], clock?: () => number) {
  const fixture = await startKubernetesSidecar({
    credentials: { server: 'https://127.0.0.1:1', token: 'upstream-token' },
    agentTokens,
    ...(clock ? { clock } : {}),
  });
  fixtures.push(fixture);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return { fixture, agent };
}

describe('a Kubernetes session ends when the agent’s token expires', { timeout: 2 * EVENT_TIMEOUT_MS }, () => {
  test('an idle kept-alive connection is closed at the expiry and recorded as token-expired; a token without expiry is untouched', async () => {
    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const { fixture, agent } = await start({
      'expiring-token': { ...PRINCIPAL, identity: 'token-bot', expiresAt },
      'lasting-token': { ...PRINCIPAL, identity: 'lasting-bot' },
    });
    const lastingAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(lastingAgent);
    const lasting = await get(fixture, lastingAgent, 'lasting-token');
    const expiring = await get(fixture, agent, 'expiring-token');
    assert.equal(expiring.status, 503, JSON.stringify(expiring.body));
    await closedSocket(expiring.socket);
    await eventually('the session to be recorded as closed', () => (closes(fixture).length > 0 ? true : undefined), {
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    assert.deepEqual(
      closes(fixture).map((close) => close.reason),
      [TOKEN_EXPIRED_REASON],
    );
    const errors = readRecords(fixture.recordingsDir).filter((r) => r.event.type === 'error' && r.event.code === TOKEN_EXPIRED_CODE);
    assert.equal(errors.length, 1);
    assert.equal(
      errors[0]?.event.type === 'error' && errors[0].event.message,
      `your token expired at ${expiresAt}; reconnect with a fresh token`,
    );
    // The session without an expiry outlived the other: same connection, still served.
    const again = await get(fixture, lastingAgent, 'lasting-token');
    assert.equal(again.socket, lasting.socket, 'the same kept-alive connection');
    assert.equal(again.status, 503);
  });

  test('the clock decides: a request once the clock is past the expiry gets 401 saying so, and the connection closes', async () => {
    const expiresAt = '2030-01-01T00:00:00.000Z';
    // The sidecar's clock starts an hour before the expiry; the test moves it past.
    let offset = Date.parse(expiresAt) - 3_600_000 - Date.now();
    const { fixture, agent } = await start(
      { 'expiring-token': { ...PRINCIPAL, identity: 'token-bot', expiresAt } },
      () => Date.now() + offset,
    );
    const before = await get(fixture, agent, 'expiring-token');
    assert.equal(before.status, 503, JSON.stringify(before.body));
    offset += 3_600_000;
    const after = await get(fixture, agent, 'expiring-token');
    assert.equal(after.socket, before.socket, 'the same kept-alive connection');
    assert.equal(after.status, 401);
    assert.deepEqual(
      { reason: after.body.reason, code: after.body.code, message: after.body.message },
      { reason: 'Unauthorized', code: 401, message: `airlock: your token expired at ${expiresAt}; reconnect with a fresh token` },
    );
    assert.equal(after.headers.connection, 'close');
    await closedSocket(after.socket);
    await eventually('the session to be recorded as closed', () => (closes(fixture).length > 0 ? true : undefined), {
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    assert.deepEqual(
      closes(fixture).map((close) => close.reason),
      [TOKEN_EXPIRED_REASON],
    );
  });
});
