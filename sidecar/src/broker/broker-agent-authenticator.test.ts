/**
 * The broker-mode authenticator against a real HTTPS server speaking the broker protocol
 * (testing/fake-broker.ts) through the real BrokerClient: who a session is with and without a
 * token, what is cached and for how long, and what the agent reads when it is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentPrincipal, BROKER_PATHS, POD_IDENTITY_PASSWORD, type SidecarConfig } from '@airlock/contracts/broker';
import { createLogger } from '@airlock/runtime';
import { AgentAuthError } from '../core/agent-auth-error.ts';
import type { TargetConfig } from '../core/ports.ts';
import { StaticConfigSource } from '../in-process/static-config.ts';
import { PresentedTokens } from './agent-tokens.ts';
import { BrokerAgentAuthenticator } from './broker-agent-authenticator.ts';
import { BrokerClient } from './broker-client.ts';
import { type AgentTokenAnswer, type FakeBroker, startFakeBroker } from './testing/fake-broker.ts';

const targetOf = (name: string): TargetConfig => ({
  name,
  namespace: 'agents',
  labels: {},
  spec: { type: 'postgres', localPort: 5432, postgres: { host: 'db.example', database: name }, credentialsSecretRef: { name: 'c' } },
});
const ORDERS = targetOf('orders-db');
const BILLING = targetOf('billing-db');
const LEDGER = targetOf('ledger-db');

const POD: AgentPrincipal = {
  identity: 'ci-runner',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:runner',
  pod: { name: 'runner-1', uid: 'uid-1' },
  groups: [],
  targets: ['orders-db', 'ledger-db'],
};

/** The clock every test starts from (wall-clock milliseconds). */
const T0 = Date.parse('2030-01-01T00:00:00Z');

const tokenPrincipal = (identity: string, expiresAt: string, targets = ['orders-db', 'billing-db']): AgentPrincipal => ({
  ...POD,
  identity,
  onBehalfOf: 'alice@example.com',
  issuer: 'https://ci.example',
  targets,
  expiresAt,
});

/** Tokens the fake broker knows; anything else is refused as BadSignature. */
const ANSWERS: Readonly<Record<string, AgentTokenAnswer>> = {
  'token-main': { principal: tokenPrincipal('repo-main', new Date(T0 + 3_600_000).toISOString()) },
  'token-short': { principal: tokenPrincipal('repo-pr', new Date(T0 + 10_000).toISOString()) },
  // The broker's clock runs behind the sidecar's: it still says yes to a token that has expired.
  'token-stale': { principal: tokenPrincipal('repo-stale', new Date(T0 - 1_000).toISOString()) },
  'token-ledger-only': { principal: tokenPrincipal('ledger-only', new Date(T0 + 3_600_000).toISOString(), ['ledger-db']) },
  'token-expired': { refuse: { code: 'AgentTokenRefused', reason: 'Expired', message: 'the token expired at 2029-12-31T23:00:00Z' } },
  'token-broken-broker': { status: 500 },
};

const BASE_CONFIG: SidecarConfig = {
  principal: POD,
  tokenTargets: ['orders-db', 'billing-db'],
  targets: [ORDERS, BILLING, LEDGER],
  policies: [],
  maskingKeys: {},
};

let broker: FakeBroker;
const clients: BrokerClient[] = [];

before(async () => {
  broker = await startFakeBroker({
    config: BASE_CONFIG,
    agentTokens: (token) =>
      ANSWERS[token] ?? { refuse: { code: 'AgentTokenRefused', reason: 'BadSignature', message: 'the signature does not verify' } },
  });
});

after(async () => {
  for (const client of clients) client.close();
  await broker.close();
});

function authenticator(options: { config?: SidecarConfig; clock?: () => number; url?: string; maxCachedTokens?: number } = {}) {
  const config = new StaticConfigSource(options.config ?? BASE_CONFIG);
  const client = new BrokerClient({
    ...broker.client,
    ...(options.url ? { url: options.url } : {}),
    retry: { attempts: 2, initialMs: 1, maxMs: 1 },
  });
  clients.push(client);
  const tokens = new PresentedTokens();
  const auth = new BrokerAgentAuthenticator({
    config,
    broker: client,
    tokens,
    logger: createLogger({ level: 'silent' }),
    clock: options.clock ?? (() => T0),
    ...(options.maxCachedTokens ? { maxCachedTokens: options.maxCachedTokens } : {}),
  });
  return { auth, tokens, config };
}

const tokenChecks = () => broker.callsTo(BROKER_PATHS.agentTokens).length;

/** The AgentAuthError `promise` rejects with; fails when it resolves or rejects with anything else. */
async function refusal(promise: Promise<unknown>): Promise<AgentAuthError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AgentAuthError, `expected an AgentAuthError, got ${String(error)}`);
    return error;
  }
  return assert.fail('the agent was accepted');
}

describe('pod identity', () => {
  test('without a token, or with the pod-identity password, the session is the pod, and the broker is not asked', async () => {
    const { auth, tokens } = authenticator();
    const before = tokenChecks();
    assert.equal(auth.requiresToken(ORDERS), true);
    assert.equal(auth.requiresToken(LEDGER), false);
    assert.equal(await auth.authenticate({ target: ORDERS, user: 'app' }), POD);
    assert.equal(await auth.authenticate({ target: ORDERS, user: 'app', token: POD_IDENTITY_PASSWORD }), POD);
    // A listener that asks for no token: whatever the agent sends, it is the pod.
    assert.equal(await auth.authenticate({ target: LEDGER, user: 'app', token: 'token-main' }), POD);
    assert.equal(tokens.tokenOf(POD), undefined, 'the pod principal carries no token');
    assert.equal(tokenChecks(), before);
  });

  test('a config without a principal refuses a session without a token and says how to send one', async () => {
    const { principal: _none, ...tokenOnly } = BASE_CONFIG;
    const { auth } = authenticator({ config: tokenOnly });
    for (const token of [undefined, POD_IDENTITY_PASSWORD]) {
      const error = await refusal(auth.authenticate({ target: ORDERS, user: 'app', ...(token ? { token } : {}) }));
      assert.match(error.message, /every identity of this pod requires a token: send your OIDC token as the password/);
      assert.match(error.message, /Authorization: Bearer/);
    }
    // The token path still works on that pod.
    assert.equal((await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' })).identity, 'repo-main');
  });

  test('the pod principal is held to its targets too', async () => {
    const { auth } = authenticator();
    const error = await refusal(auth.authenticate({ target: BILLING, user: 'app' }));
    assert.match(error.message, /identity ci-runner may not use target billing-db; the targets it may use: orders-db, ledger-db/);
    assert.match(error.message, /sends its token as the password/);
  });
});

describe('agent tokens', () => {
  test('a token the broker accepts is its principal; the principal remembers the token it came from', async () => {
    const { auth, tokens } = authenticator();
    const before = broker.callsTo(BROKER_PATHS.agentTokens).length;
    const principal = await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(principal.identity, 'repo-main');
    assert.equal(principal.onBehalfOf, 'alice@example.com');
    assert.equal(tokens.tokenOf(principal), 'token-main');
    const sent = broker.callsTo(BROKER_PATHS.agentTokens).slice(before);
    assert.deepEqual(
      sent.map((call) => call.body),
      [{ token: 'token-main' }],
    );
  });

  test('two sessions with the same token ask the broker once, at the same time or one after the other', async () => {
    const { auth } = authenticator();
    const before = tokenChecks();
    const [a, b] = await Promise.all([
      auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' }),
      auth.authenticate({ target: BILLING, user: 'app', token: 'token-main' }),
    ]);
    assert.equal(a, b);
    assert.equal(tokenChecks() - before, 1);
    const c = await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(c, a);
    assert.equal(tokenChecks() - before, 1, 'the second session was answered from the cache');
  });

  test('a new config drops the cached answers: the next session with the token asks the broker again', async () => {
    const { auth, config } = authenticator();
    const before = tokenChecks();
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(tokenChecks() - before, 1);
    config.set({ ...BASE_CONFIG });
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(tokenChecks() - before, 2, 'asked again after the config changed');
  });

  test('the cache keeps an answer a minute at most, and never past the token’s expiry', async () => {
    let now = T0;
    const { auth } = authenticator({ clock: () => now });
    const before = tokenChecks();
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' });
    assert.equal(tokenChecks() - before, 2);
    // 9.999 s: both cached.
    now = T0 + 9_999;
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' });
    assert.equal(tokenChecks() - before, 2);
    // 10 s: token-short expired, so it is asked about again (and refused: it has expired by the sidecar's clock); token-main is still within its minute.
    now = T0 + 10_000;
    await refusal(auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' }));
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(tokenChecks() - before, 3);
    // 60 s after the first answer, token-main is asked about again, although it expires in an hour.
    now = T0 + 60_000;
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(tokenChecks() - before, 4);
    now = T0 + 60_001;
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(tokenChecks() - before, 4, 'the new answer is cached again');
  });

  test('the cache is bounded: past its size the oldest token is asked about again', async () => {
    const { auth } = authenticator({ maxCachedTokens: 1 });
    const before = tokenChecks();
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' });
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' });
    assert.equal(tokenChecks() - before, 2);
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-main' });
    assert.equal(tokenChecks() - before, 3, 'token-main was evicted by token-short');
  });

  test('a refused token: the agent reads the reason and the broker’s message; refusals are not cached', async () => {
    const { auth } = authenticator();
    const before = tokenChecks();
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await refusal(auth.authenticate({ target: ORDERS, user: 'app', token: 'token-expired' }));
      assert.equal(error.message, 'token refused (Expired): the token expired at 2029-12-31T23:00:00Z');
    }
    assert.equal(tokenChecks() - before, 2);
    const bad = await refusal(auth.authenticate({ target: ORDERS, user: 'app', token: 'not-a-token' }));
    assert.equal(bad.message, 'token refused (BadSignature): the signature does not verify');
    assert.doesNotMatch(bad.message, /not-a-token/);
  });

  test('a principal whose token expired by the sidecar’s clock is refused, though the broker said yes; it is not cached', async () => {
    let now = T0;
    const { auth } = authenticator({ clock: () => now });
    const before = tokenChecks();
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await refusal(auth.authenticate({ target: ORDERS, user: 'app', token: 'token-stale' }));
      assert.equal(error.message, 'token refused (Expired): your token expired at 2029-12-31T23:59:59.000Z; reconnect with a fresh token');
    }
    assert.equal(tokenChecks() - before, 2, 'the broker was asked each time');
    // A cached principal is refused from the moment its token expires, before the cache would ask again.
    await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' });
    now = T0 + 9_999;
    assert.equal((await auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' })).identity, 'repo-pr');
    now = T0 + 10_000;
    const expired = await refusal(auth.authenticate({ target: ORDERS, user: 'app', token: 'token-short' }));
    assert.match(expired.message, /^token refused \(Expired\): your token expired at 2030-01-01T00:00:10\.000Z/);
  });

  test('a broker in trouble or out of reach refuses the session (fail closed) and tells the agent to retry', async () => {
    const { auth } = authenticator();
    const troubled = await refusal(auth.authenticate({ target: ORDERS, user: 'app', token: 'token-broken-broker' }));
    assert.match(troubled.message, /^the control plane cannot check the token now \(BadResponse\); retry$/);
    // Nothing listens on port 1: the broker cannot be reached at all.
    const down = authenticator({ url: 'https://127.0.0.1:1' }).auth;
    const unreachable = await refusal(down.authenticate({ target: ORDERS, user: 'app', token: 'token-main' }));
    assert.match(unreachable.message, /^the control plane cannot check the token now \(Unreachable\); retry$/);
    assert.doesNotMatch(unreachable.message, /token-main/);
  });

  test('a token principal is held to its targets, named in the refusal', async () => {
    const { auth } = authenticator();
    const error = await refusal(auth.authenticate({ target: ORDERS, user: 'app', token: 'token-ledger-only' }));
    assert.equal(error.message, 'identity ledger-only may not use target orders-db; the targets it may use: ledger-db');
  });
});
