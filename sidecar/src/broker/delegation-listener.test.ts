/**
 * The delegation endpoint against a real HTTPS server speaking the broker protocol
 * (testing/fake-broker.ts) through the real BrokerClient, asked by real HTTP clients (fetch, and
 * curl where it matters what a command-line agent sends): what reaches the broker, what the agent
 * reads back, that it fails closed, and that no token ever reaches the log.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { BROKER_PATHS, type DelegationRequest, type SidecarConfig } from '@airlock/contracts/broker';
import { createLogger } from '@airlock/runtime';
import { Registry } from 'prom-client';
import { createSidecarMetrics, type SidecarMetrics } from '../core/observability/metrics.ts';
import { SqlClassifier } from '../protocols/postgres/sql/classifier.ts';
import { BrokerClient } from './broker-client.ts';
import { brokerSettingsFromEnv } from './broker-settings.ts';
import { startBrokerSidecar } from './broker-sidecar.ts';
import { type DelegationListener, MAX_DELEGATION_BODY_BYTES, startDelegationListener } from './delegation-listener.ts';
import { type DelegationAnswer, type FakeBroker, startFakeBroker } from './testing/fake-broker.ts';

const run = promisify(execFile);

const PARENT_TOKEN = 'parent-token-eyJhbGciOi';
const EXPIRES_AT = '2030-01-01T01:00:00.000Z';
const minted = (name: string) => `minted-token-for-${name}`;

/** The broker's side: refusals by the sub-agent's name, grants for everything else. */
function answerDelegation(request: DelegationRequest): DelegationAnswer {
  if (request.name === 'too-deep') {
    return {
      refuse: { code: 'AgentTokenRefused', reason: 'DelegationTooDeep', message: 'the chain may be 1 deep: ask without delegating' },
    };
  }
  if (request.name === 'Bad_Name') return { refuse: { code: 'Invalid', message: "name must be lowercase letters, digits, '-' and '.'" } };
  if (request.name === 'while-revoked') return { refuse: { code: 'Unauthenticated', message: 'the pod token is not valid' } };
  if (request.name === 'broken-broker') return { status: 500 };
  return {
    grant: {
      token: minted(request.name),
      expiresAt: EXPIRES_AT,
      targets: request.targets ?? ['orders-db', 'billing-db'],
      depth: request.agentToken === undefined ? 1 : 2,
    },
  };
}

const CONFIG: SidecarConfig = { targets: [], policies: [], maskingKeys: {} };

let broker: FakeBroker;
let client: BrokerClient;
let listener: DelegationListener;
let metrics: SidecarMetrics;
let registry: Registry;
const logLines: string[] = [];

before(async () => {
  broker = await startFakeBroker({ config: CONFIG, delegations: answerDelegation });
  client = new BrokerClient({ ...broker.client, retry: { attempts: 2, initialMs: 1, maxMs: 1 } });
  registry = new Registry();
  metrics = createSidecarMetrics(registry, { defaultMetrics: false });
  listener = await startDelegationListener({
    host: '127.0.0.1',
    port: 0,
    broker: client,
    logger: createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } }),
    metrics,
  });
});

after(async () => {
  await listener.close();
  client.close();
  await broker.close();
});

const url = (path = '/v1/delegations') => `http://127.0.0.1:${listener.port}${path}`;

async function post(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; response: Response }> {
  const response = await fetch(url(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, response };
}

/** The body of the last delegation the broker received. */
const lastForwarded = () => broker.callsTo(BROKER_PATHS.delegations).at(-1)?.body as Record<string, unknown> | undefined;

async function counted(outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('airlock_sidecar_delegations_total')?.get();
  return metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

describe('a parent asks for a sub-agent token', () => {
  test("name, targets and lifetime reach the broker with the parent's bearer token as agentToken; the agent gets the grant", async () => {
    const granted = await counted('granted');
    const answer = await post({ name: 'sql-writer', targets: ['orders-db'], ttlSeconds: 600 }, { authorization: `Bearer ${PARENT_TOKEN}` });
    assert.equal(answer.status, 201);
    assert.deepEqual(answer.body, { token: minted('sql-writer'), expiresAt: EXPIRES_AT, targets: ['orders-db'], depth: 2 });
    assert.equal(answer.response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(lastForwarded(), { agentToken: PARENT_TOKEN, name: 'sql-writer', targets: ['orders-db'], ttlSeconds: 600 });
    assert.equal(await counted('granted'), granted + 1);
  });

  test("without a bearer token the parent is the pod's own identity: no agentToken goes to the broker", async () => {
    const answer = await post({ name: 'planner' });
    assert.equal(answer.status, 201);
    assert.equal(answer.body.depth, 1);
    assert.deepEqual(lastForwarded(), { name: 'planner' });
    // The word other listeners take for "the pod's own identity" means the same here.
    assert.equal((await post({ name: 'planner-2' }, { authorization: 'Bearer pod-identity' })).status, 201);
    assert.deepEqual(lastForwarded(), { name: 'planner-2' });
  });

  test('curl, as a shell agent would call it, gets the grant', async () => {
    const { stdout } = await run('curl', [
      '--silent',
      '--show-error',
      '--write-out',
      '\n%{http_code}',
      '--header',
      'Content-Type: application/json',
      '--header',
      `Authorization: Bearer ${PARENT_TOKEN}`,
      '--data',
      JSON.stringify({ name: 'reporter', targets: ['billing-db'] }),
      url(),
    ]);
    const [body, status] = stdout.split('\n');
    assert.equal(status, '201');
    assert.deepEqual(JSON.parse(body ?? ''), { token: minted('reporter'), expiresAt: EXPIRES_AT, targets: ['billing-db'], depth: 2 });
    assert.deepEqual(lastForwarded(), { agentToken: PARENT_TOKEN, name: 'reporter', targets: ['billing-db'] });
  });

  test("a grant is logged with the sub-agent's name, depth, targets and expiry, and neither token is anywhere in the log", async () => {
    await post({ name: 'logged-one', targets: ['orders-db'] }, { authorization: `Bearer ${PARENT_TOKEN}` });
    const grant = logLines.map((line) => JSON.parse(line)).find((entry) => entry.subAgent === 'logged-one');
    assert.ok(grant, 'the grant was logged');
    assert.equal(grant.level, 'info');
    assert.equal(grant.depth, 2);
    assert.deepEqual(grant.targets, ['orders-db']);
    assert.equal(grant.expiresAt, EXPIRES_AT);
    const log = logLines.join('');
    assert.ok(!log.includes(PARENT_TOKEN), "the parent's token is not logged");
    assert.ok(!log.includes('minted-token-for-'), 'no minted token is logged');
  });
});

describe('the broker refuses', () => {
  test('a refusal comes back with the broker’s status, code, reason and message', async () => {
    const refused = await counted('refused');
    const answer = await post({ name: 'too-deep' }, { authorization: `Bearer ${PARENT_TOKEN}` });
    assert.equal(answer.status, 403);
    assert.deepEqual(answer.body, {
      code: 'AgentTokenRefused',
      reason: 'DelegationTooDeep',
      message: 'the chain may be 1 deep: ask without delegating',
    });
    assert.equal(await counted('refused'), refused + 1);
  });

  test('a request the broker finds invalid is answered 400 with its message', async () => {
    const answer = await post({ name: 'Bad_Name' });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { code: 'Invalid', message: "name must be lowercase letters, digits, '-' and '.'" });
  });

  test("the broker refusing the sidecar's own credential is 503, never a 401 the agent would take for its token", async () => {
    const answer = await post({ name: 'while-revoked' }, { authorization: `Bearer ${PARENT_TOKEN}` });
    assert.equal(answer.status, 503);
    assert.equal(answer.body.code, 'Unavailable');
    assert.match(String(answer.body.message), /Unauthenticated: the pod token is not valid.*retry later/);
  });

  test('a broker in trouble (500) is 503 Unavailable', async () => {
    const answer = await post({ name: 'broken-broker' });
    assert.equal(answer.status, 503);
    assert.equal(answer.body.code, 'Unavailable');
  });
});

describe('fails closed', () => {
  test('broker unreachable: 503 Unavailable, and no token', async (t) => {
    const closedPort = await freePort();
    const down = new BrokerClient({
      ...broker.client,
      url: `https://127.0.0.1:${closedPort}`,
      retry: { attempts: 2, initialMs: 1, maxMs: 1 },
    });
    const orphan = await startDelegationListener({
      host: '127.0.0.1',
      port: 0,
      broker: down,
      logger: createLogger({ level: 'silent' }),
      metrics,
    });
    t.after(async () => {
      await orphan.close();
      down.close();
    });
    const unavailable = await counted('unavailable');
    const response = await fetch(`http://127.0.0.1:${orphan.port}/v1/delegations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sql-writer' }),
    });
    assert.equal(response.status, 503);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.code, 'Unavailable');
    assert.equal(body.token, undefined);
    assert.match(String(body.message), /cannot ask the operator's broker.*Unreachable.*retry later/);
    assert.equal(await counted('unavailable'), unavailable + 1);
  });

  test('a broker without the route (an older operator) is 503, not a 404 the agent would take for a wrong URL', async (t) => {
    const old = await startFakeBroker({ config: CONFIG });
    const oldClient = new BrokerClient(old.client);
    const endpoint = await startDelegationListener({
      host: '127.0.0.1',
      port: 0,
      broker: oldClient,
      logger: createLogger({ level: 'silent' }),
    });
    t.after(async () => {
      await endpoint.close();
      oldClient.close();
      await old.close();
    });
    const response = await fetch(`http://127.0.0.1:${endpoint.port}/v1/delegations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"sql-writer"}',
    });
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { code: string }).code, 'Unavailable');
  });
});

describe('what the sidecar refuses itself, without asking the broker', () => {
  const refusals: [string, () => Promise<Response>, number, string, RegExp][] = [
    [
      'a body that is not JSON',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' }),
      400,
      'Invalid',
      /not JSON/,
    ],
    [
      'a JSON list',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["sql-writer"]' }),
      400,
      'Invalid',
      /must be a JSON object/,
    ],
    [
      'no name',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"targets":["orders-db"]}' }),
      400,
      'Invalid',
      /name is required/,
    ],
    [
      'a misspelt field',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a","ttl":60}' }),
      400,
      'Invalid',
      /unknown field ttl: the fields are name, targets, ttlSeconds/,
    ],
    [
      'targets that are not names',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a","targets":"orders-db"}' }),
      400,
      'Invalid',
      /targets must be a list/,
    ],
    [
      'a lifetime that is not a whole number of seconds',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a","ttlSeconds":1.5}' }),
      400,
      'Invalid',
      /ttlSeconds must be a whole number/,
    ],
    [
      'an Authorization header that is not Bearer',
      () =>
        fetch(url(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Basic c2VjcmV0LXBhc3N3b3Jk' },
          body: '{"name":"a"}',
        }),
      400,
      'Invalid',
      /must be "Bearer <your token>"/,
    ],
    [
      'a body that is not application/json',
      () => fetch(url(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"name":"a"}' }),
      415,
      'UnsupportedMediaType',
      /Content-Type: application\/json/,
    ],
    ['GET', () => fetch(url()), 405, 'MethodNotAllowed', /GET is not served: POST \/v1\/delegations/],
    [
      'another path',
      () => fetch(url('/v1/tokens'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' }),
      404,
      'NotFound',
      /nothing at \/v1\/tokens/,
    ],
  ];
  for (const [name, send, status, code, message] of refusals) {
    test(`${name}: ${status} ${code}`, async () => {
      const forwarded = broker.callsTo(BROKER_PATHS.delegations).length;
      const response = await send();
      assert.equal(response.status, status);
      const body = (await response.json()) as { code: string; message: string };
      assert.equal(body.code, code);
      assert.match(body.message, message);
      assert.ok(!body.message.includes('c2VjcmV0'), 'the message never repeats the header');
      if (status === 405) assert.equal(response.headers.get('allow'), 'POST');
      assert.equal(broker.callsTo(BROKER_PATHS.delegations).length, forwarded, 'nothing went to the broker');
    });
  }

  test('a body over 16 KiB: 413 TooLarge from curl, and nothing reaches the broker', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-delegation-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'body.json');
    writeFileSync(file, JSON.stringify({ name: 'a', targets: ['x'.repeat(MAX_DELEGATION_BODY_BYTES)] }));
    const forwarded = broker.callsTo(BROKER_PATHS.delegations).length;
    const { stdout } = await run('curl', [
      '--silent',
      '--write-out',
      '\n%{http_code}',
      '--header',
      'Content-Type: application/json',
      '--data-binary',
      `@${file}`,
      url(),
    ]);
    const [body, status] = stdout.split('\n');
    assert.equal(status, '413');
    assert.equal(JSON.parse(body ?? '').code, 'TooLarge');
    assert.equal(broker.callsTo(BROKER_PATHS.delegations).length, forwarded);
  });
});

describe('wired into the broker-mode sidecar', () => {
  let classifier: SqlClassifier;
  before(async () => {
    classifier = await SqlClassifier.create();
  });

  test('served where asked for, counted on the sidecar metrics, and closed with the sidecar', async () => {
    const sidecar = await startBrokerSidecar({
      broker: broker.client,
      classifier,
      logger: createLogger({ level: 'silent' }),
      listenHost: '127.0.0.1',
      delegation: { port: 0 },
    });
    const port = sidecar.delegation?.port;
    assert.ok(port, 'the delegation endpoint listens');
    const response = await fetch(`http://127.0.0.1:${port}/v1/delegations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"wired"}',
    });
    assert.equal(response.status, 201);
    assert.match(await sidecar.sidecar.registry.metrics(), /^airlock_sidecar_delegations_total\{outcome="granted"\} 1$/m);
    await sidecar.close({ graceMs: 1000 });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/delegations`, { method: 'POST', body: '{}' }));
  });

  test('not served without AIRLOCK_DELEGATION_PORT', async () => {
    const sidecar = await startBrokerSidecar({
      broker: broker.client,
      classifier,
      logger: createLogger({ level: 'silent' }),
      listenHost: '127.0.0.1',
    });
    assert.equal(sidecar.delegation, undefined);
    await sidecar.close();
  });

  test('AIRLOCK_DELEGATION_PORT is read as a port, and anything else is a settings problem', () => {
    const env = {
      AIRLOCK_BROKER_URL: 'https://broker.example:8443',
      AIRLOCK_BROKER_CA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      AIRLOCK_TOKEN_FILE: '/token',
    };
    const readFile = () => 'a-token';
    assert.equal(brokerSettingsFromEnv(env, readFile).delegationPort, undefined);
    assert.equal(brokerSettingsFromEnv({ ...env, AIRLOCK_DELEGATION_PORT: '15470' }, readFile).delegationPort, 15470);
    for (const wrong of ['0', '70000', 'http']) {
      assert.throws(
        () => brokerSettingsFromEnv({ ...env, AIRLOCK_DELEGATION_PORT: wrong }, readFile),
        (error: Error) => error.message.includes(`AIRLOCK_DELEGATION_PORT=${wrong} is not a port number (1-65535)`),
      );
    }
  });
});

/** A port nothing listens on: bound once and released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
