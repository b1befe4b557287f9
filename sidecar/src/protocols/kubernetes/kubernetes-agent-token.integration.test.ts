/**
 * How the Kubernetes listener answers an agent the authenticator refuses: 401 with a Status whose
 * reason is Unauthorized and whose message says why, as the API server answers a bad token, so
 * kubectl prints it and a client's credential plugin renews the token. A fresh token on the same
 * kept-alive connection is then accepted (the refusal is not remembered for the connection).
 * Nothing listens upstream: an accepted agent gets the listener's 503, which is enough to tell
 * that it got past authentication.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, test } from 'node:test';
import { type KubernetesSidecarFixture, PRINCIPAL, startKubernetesSidecar } from './testing/kubernetes-sidecar-fixture.ts';

let fixture: KubernetesSidecarFixture;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

before(async () => {
  fixture = await startKubernetesSidecar({
    // Port 1 on loopback: nothing listens, so an accepted request ends in a 503 from the sidecar.
    credentials: { server: 'https://127.0.0.1:1', token: 'upstream-token' },
    agentTokens: { 'agent-token-1': { ...PRINCIPAL, identity: 'token-bot' } },
  });
});

after(async () => {
  agent.destroy();
  await fixture?.close();
});

interface Answer {
  readonly status: number;
  readonly body: { reason?: string; message?: string; code?: number };
  readonly socketPort: number | undefined;
}

function get(authorization?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${fixture.url}/api/v1/namespaces/default/configmaps`,
      { agent, headers: authorization ? { authorization } : {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            socketPort: req.socket?.localPort,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a refused agent gets 401 Unauthorized with the reason; a good token on the same connection is then accepted', async () => {
  const missing = await get();
  assert.equal(missing.status, 401);
  assert.equal(missing.body.reason, 'Unauthorized');
  assert.equal(missing.body.code, 401);
  assert.match(missing.body.message ?? '', /^airlock: the agent could not be authenticated: the token sent as the password is not valid/);
  const wrong = await get('Bearer not-the-token');
  assert.equal(wrong.status, 401);
  assert.doesNotMatch(wrong.body.message ?? '', /not-the-token/);
  const accepted = await get('Bearer agent-token-1');
  assert.equal(accepted.socketPort, wrong.socketPort, 'the same kept-alive connection');
  assert.equal(accepted.status, 503, JSON.stringify(accepted.body));
  assert.equal(accepted.body.reason, 'ServiceUnavailable');
});
