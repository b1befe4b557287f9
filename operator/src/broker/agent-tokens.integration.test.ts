/**
 * Tokens agents present, checked by the broker end to end: a real control plane (identities,
 * pods and TokenRequest tokens bound to them, as a sidecar has), the broker in-process as the
 * operator's service account, and a real OIDC provider over HTTPS on loopback that issues
 * GitHub-Actions-shaped tokens. Requests go over HTTPS exactly as a sidecar sends them, so the
 * refusal bodies (code, reason, message) are what a sidecar would read.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { operationDigest } from '@airlock/contracts/approval';
import {
  type AgentTokenRefusal,
  type AgentTokenResponse,
  type ApprovalDraft,
  BROKER_PATHS,
  type BrokerErrorBody,
  type CreateApprovalResponse,
  type DelegationResponse,
  type SidecarConfig,
} from '@airlock/contracts/broker';
import type { AgentIdentity, ApprovalRequest } from '@airlock/crds';
import { createCertificateAuthority, OidcProvider } from '@airlock/testkit';
import { collectionPath, type KubeObject, objectPath } from '../kube/client.ts';
import { KINDS } from '../kube/kinds.ts';
import { type BrokerCluster, eventually, NS, startBrokerCluster, type TestPod } from './testing/broker-cluster.ts';

/** The CI runner's service account: its own identity reaches orders-db; a token of main reaches billing-db. */
const RUNNER_SA = 'gha-runner';
/** A service account whose only identity requires a token. */
const TOKEN_ONLY_SA = 'token-only';
const ACTOR = 'octocat';

let cluster: BrokerCluster;
let provider: OidcProvider;
let runner: TestPod;
let tokenOnlyPod: TestPod;

function identity(name: string, serviceAccountName: string, targets: string[], oidc?: AgentIdentity['spec']['oidc']): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: NS },
    spec: { serviceAccountName, groups: ['ci'], targets, ...(oidc ? { oidc } : {}) },
  };
}

/** GitHub Actions' claims for a run of `repository` on `ref`. */
function githubClaims(repository: string, ref: string): Record<string, unknown> {
  return {
    sub: `repo:${repository}:ref:${ref}`,
    repository,
    ref,
    job_workflow_ref: `${repository}/.github/workflows/deploy.yml@${ref}`,
    actor: ACTOR,
  };
}

before(async () => {
  const ca = await createCertificateAuthority('airlock agent-token test OIDC CA');
  [cluster, provider] = await Promise.all([startBrokerCluster(), OidcProvider.start({ ca })]);
  const gone = await OidcProvider.start({ ca });
  goneToken = await gone.issueToken(githubClaims('org/app', 'refs/heads/main'));
  await gone.stop();
  const oidc = (claims: { claim: string; equals: string }[], extra: Partial<NonNullable<AgentIdentity['spec']['oidc']>> = {}) => ({
    issuer: provider.issuer,
    audiences: ['airlock'],
    caBundle: provider.caPem,
    claims,
    onBehalfOfClaim: 'actor',
    required: true,
    ...extra,
  });
  const main = [
    { claim: 'repository', equals: 'org/app' },
    { claim: 'ref', equals: 'refs/heads/main' },
  ];
  for (const name of [RUNNER_SA, TOKEN_ONLY_SA, 'deploy-bot']) {
    await cluster.admin.create(`/api/v1/namespaces/${NS}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: NS },
    } as KubeObject);
  }
  const identities = [
    identity(RUNNER_SA, RUNNER_SA, ['orders-db']),
    identity('gha-main', RUNNER_SA, ['billing-db'], oidc(main)),
    // Same issuer, stricter: tokens older than a minute are refused, and its audience is its own.
    identity(
      'gha-release',
      RUNNER_SA,
      ['billing-db'],
      oidc([{ claim: 'ref', equals: 'refs/heads/release' }], { audiences: ['release-aud'], maxTokenAge: '1m' }),
    ),
    // A token of this repository is the deployer's, used from deploy-bot pods only.
    identity('deployer', 'deploy-bot', ['billing-db'], oidc([{ claim: 'repository', equals: 'org/deploy' }])),
    identity('gone-ci', RUNNER_SA, ['billing-db'], {
      issuer: gone.issuer,
      audiences: ['airlock'],
      caBundle: gone.caPem,
      required: true,
    }),
    identity('token-only-ci', TOKEN_ONLY_SA, ['orders-db'], oidc([{ claim: 'repository', equals: 'org/tok' }])),
  ];
  for (const object of identities) await cluster.admin.create(collectionPath(KINDS.agentIdentity, NS), object);
  await eventually(
    () => (cluster.catalog.identities(NS).length >= identities.length + 2 ? true : undefined),
    'the broker’s catalog to hold the identities',
  );
  [runner, tokenOnlyPod] = await Promise.all([cluster.createPod('gha-job', RUNNER_SA), cluster.createPod('tok-job', TOKEN_ONLY_SA)]);
});

let goneToken: string;

after(async () => {
  await provider?.stop();
  await cluster?.close();
});

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

/** POST as the pod's sidecar: its bound service-account token, the broker's CA. */
function post<T>(pod: TestPod, path: string, body: unknown): Promise<Answer<T>> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${cluster.brokerUrl}${path}`,
      {
        method: 'POST',
        ca: cluster.ca.certPem,
        headers: {
          authorization: `Bearer ${readFileSync(pod.tokenFile, 'utf8')}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as T }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** The first line of the pod's config stream. */
function firstConfig(pod: TestPod): Promise<SidecarConfig> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${cluster.brokerUrl}${BROKER_PATHS.config}`,
      { method: 'GET', ca: cluster.ca.certPem, headers: { authorization: `Bearer ${readFileSync(pod.tokenFile, 'utf8')}` } },
      (response) => {
        let buffered = '';
        response.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          const newline = buffered.indexOf('\n');
          if (newline < 0) return;
          const line = JSON.parse(buffered.slice(0, newline)) as { type: string; config?: SidecarConfig };
          req.destroy();
          if (line.type === 'config' && line.config) resolve(line.config);
          else reject(new Error(`the first line is not a config: ${buffered.slice(0, newline)}`));
        });
        response.on('error', () => undefined);
      },
    );
    req.on('error', () => undefined);
    req.end();
  });
}

/** Asserts a refusal of the token for `reason`, and that nothing of the token comes back. */
function assertRefused(answer: Answer<BrokerErrorBody>, reason: AgentTokenRefusal, token: string): BrokerErrorBody {
  assert.equal(answer.status, 403, JSON.stringify(answer.body));
  assert.equal(answer.body.code, 'AgentTokenRefused');
  assert.equal(answer.body.reason, reason, answer.body.message);
  for (const part of token.split('.').filter((p) => p.length > 8))
    assert.ok(!answer.body.message.includes(part), 'the refusal quotes the token');
  return answer.body;
}

const presentToken = (pod: TestPod, token: string) => post<AgentTokenResponse & BrokerErrorBody>(pod, BROKER_PATHS.agentTokens, { token });

function draft(text: string, target: string, identityName: string): ApprovalDraft {
  return {
    target: { name: target, type: 'postgres' },
    operation: {
      text,
      summary: text,
      digest: operationDigest({ text, target: { namespace: NS, name: target }, identity: { namespace: NS, name: identityName } }),
      sessionID: 'agent-token-test-session',
    },
    policy: { name: 'orders', rule: 'drop-table' },
    requiredApprovals: 1,
    approvers: { groups: ['db-owners'] },
    scope: 'once',
    ttlSeconds: 600,
  } as ApprovalDraft;
}

describe('POST agent-tokens', () => {
  test('a GitHub Actions token of org/app on main: the pod as gha-main, acting for the actor, held to gha-main’s Targets', async () => {
    const token = await provider.issueToken(githubClaims('org/app', 'refs/heads/main'));
    const exp = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp;
    const answer = await presentToken(runner, token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.principal, {
      identity: 'gha-main',
      namespace: NS,
      serviceAccount: `system:serviceaccount:${NS}:${RUNNER_SA}`,
      pod: { name: runner.name, uid: runner.uid },
      groups: ['ci'],
      labels: {},
      targets: ['billing-db'],
      onBehalfOf: ACTOR,
      issuer: provider.issuer,
      expiresAt: new Date(exp * 1000).toISOString(),
    });
  });

  test('the same repository on a feature branch: NoIdentity, saying which claim did not match', async () => {
    const token = await provider.issueToken(githubClaims('org/app', 'refs/heads/feature'));
    const body = assertRefused(await presentToken(runner, token), 'NoIdentity', token);
    assert.match(body.message, /AgentIdentity gha-main: .*ref/);
  });

  test('a token whose identity selects another service account (replayed from elsewhere): NotForThisPod, naming both', async () => {
    const token = await provider.issueToken(githubClaims('org/deploy', 'refs/heads/main'));
    const body = assertRefused(await presentToken(runner, token), 'NotForThisPod', token);
    assert.match(body.message, /AgentIdentity deployer's, which may be used only from pods of service account deploy-bot/);
    assert.match(body.message, new RegExp(`this pod runs as service account ${RUNNER_SA}`));
  });

  test('expired: Expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await provider.issueToken(githubClaims('org/app', 'refs/heads/main'), { issuedAt: now - 1200, expiresAt: now - 600 });
    assertRefused(await presentToken(runner, token), 'Expired', token);
  });

  test('for an audience no identity of the issuer accepts: WrongAudience', async () => {
    const token = await provider.issueToken(githubClaims('org/app', 'refs/heads/main'), { audience: 'someone-else' });
    const body = assertRefused(await presentToken(runner, token), 'WrongAudience', token);
    assert.match(body.message, /airlock, release-aud/);
  });

  test('unsigned (alg none): UnsupportedAlgorithm', async () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: provider.issuer, aud: 'airlock', iat: now, exp: now + 300, ...githubClaims('org/app', 'refs/heads/main') })}.`;
    assertRefused(await presentToken(runner, token), 'UnsupportedAlgorithm', token);
  });

  test('an issuer no identity names: NoIdentity; a token that is no JWT: Malformed', async () => {
    const foreign = await provider.signToken({
      iss: 'https://ci.elsewhere.example',
      sub: 'x',
      aud: 'airlock',
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    const body = assertRefused(await presentToken(runner, foreign), 'NoIdentity', foreign);
    assert.match(body.message, /no AgentIdentity in namespace agents accepts tokens from issuer "https:\/\/ci\.elsewhere\.example"/);
    assertRefused(await presentToken(runner, 'hunter2'), 'Malformed', 'hunter2');
  });

  test('verified with the mapped identity’s own settings: its audience is accepted, its maxTokenAge enforced', async () => {
    const now = Math.floor(Date.now() / 1000);
    const fresh = await provider.issueToken(githubClaims('org/app', 'refs/heads/release'), { audience: 'release-aud' });
    const accepted = await presentToken(runner, fresh);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.principal.identity, 'gha-release');
    // Valid for gha-main's settings (no age limit), which the first verification uses; not for gha-release's.
    const old = await provider.issueToken(githubClaims('org/app', 'refs/heads/release'), {
      audience: 'release-aud',
      issuedAt: now - 600,
      expiresAt: now + 600,
    });
    assertRefused(await presentToken(runner, old), 'TooOld', old);
  });

  test('an issuer that cannot be reached: IssuerUnavailable, and the agent is told to retry (fail closed)', async () => {
    const body = assertRefused(await presentToken(runner, goneToken), 'IssuerUnavailable', goneToken);
    assert.match(body.message, /retry once the issuer answers/);
  });

  test('a body without a token: 400', async () => {
    const answer = await post<BrokerErrorBody>(runner, BROKER_PATHS.agentTokens, { token: '' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'Invalid');
  });
});

describe('configs of pods with token identities', () => {
  test('a pod whose only identity requires a token: no principal, its Targets as tokenTargets', async () => {
    const config = await firstConfig(tokenOnlyPod);
    assert.equal(config.principal, undefined);
    assert.deepEqual(config.tokenTargets, ['orders-db']);
    assert.deepEqual(
      config.targets.map((t) => t.name),
      ['orders-db'],
    );
  });

  test('a pod with its own identity and token identities: its own principal, and the token identities’ Targets', async () => {
    const config = await firstConfig(runner);
    assert.equal(config.principal?.identity, RUNNER_SA);
    assert.deepEqual(config.principal?.targets, ['orders-db']);
    assert.deepEqual(config.tokenTargets, ['billing-db']);
  });
});

describe('approvals with an agent token', () => {
  test('the requester is the token’s identity, with the human and issuer it names; a retry finds the same request', async () => {
    const token = await provider.issueToken(githubClaims('org/app', 'refs/heads/main'));
    const body = { idempotencyKey: 'gha-1', draft: draft('DROP TABLE invoices', 'billing-db', 'gha-main'), agentToken: token };
    const created = await post<CreateApprovalResponse>(runner, BROKER_PATHS.approvals, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const stored = await cluster.admin.get<ApprovalRequest>(objectPath(KINDS.approvalRequest, NS, created.body.name));
    assert.deepEqual(stored.spec.requester, {
      identity: 'gha-main',
      serviceAccount: `system:serviceaccount:${NS}:${RUNNER_SA}`,
      pod: { name: runner.name, uid: runner.uid },
      onBehalfOf: ACTOR,
      issuer: provider.issuer,
    });
    assert.equal(stored.metadata.labels?.['airlock.dev/identity'], 'gha-main');
    const again = await post<CreateApprovalResponse>(runner, BROKER_PATHS.approvals, body);
    assert.equal(again.status, 200);
    assert.equal(again.body.name, created.body.name);
  });

  test('without the token the pod is its own identity, which may not use the token identity’s Target: Forbidden', async () => {
    const answer = await post<BrokerErrorBody>(runner, BROKER_PATHS.approvals, {
      idempotencyKey: 'gha-2',
      draft: draft('DROP TABLE invoices', 'billing-db', RUNNER_SA),
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, 'Forbidden');
    assert.match(
      answer.body.message,
      new RegExp(`Target billing-db is not one of this pod's targets that AgentIdentity ${RUNNER_SA} may use`),
    );
  });

  test('a digest computed for another identity than the token’s: 400', async () => {
    const token = await provider.issueToken(githubClaims('org/app', 'refs/heads/main'));
    const answer = await post<BrokerErrorBody>(runner, BROKER_PATHS.approvals, {
      idempotencyKey: 'gha-3',
      draft: draft('DROP TABLE invoices', 'billing-db', RUNNER_SA),
      agentToken: token,
    });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /digest does not match/);
  });

  test('a token-only pod without a token: NoIdentity; an expired token: AgentTokenRefused Expired', async () => {
    const bare = await post<BrokerErrorBody>(tokenOnlyPod, BROKER_PATHS.approvals, {
      idempotencyKey: 'tok-1',
      draft: draft('DROP TABLE orders', 'orders-db', 'token-only-ci'),
    });
    assert.equal(bare.status, 403);
    assert.equal(bare.body.code, 'NoIdentity');
    assert.match(bare.body.message, /oidc\.required: the agent must present its token/);
    const now = Math.floor(Date.now() / 1000);
    const expired = await provider.issueToken(githubClaims('org/tok', 'refs/heads/main'), { issuedAt: now - 1200, expiresAt: now - 600 });
    const refused = await post<BrokerErrorBody>(tokenOnlyPod, BROKER_PATHS.approvals, {
      idempotencyKey: 'tok-1',
      draft: draft('DROP TABLE orders', 'orders-db', 'token-only-ci'),
      agentToken: expired,
    });
    assertRefused(refused, 'Expired', expired);
    const token = await provider.issueToken(githubClaims('org/tok', 'refs/heads/main'));
    const created = await post<CreateApprovalResponse>(tokenOnlyPod, BROKER_PATHS.approvals, {
      idempotencyKey: 'tok-1',
      draft: draft('DROP TABLE orders', 'orders-db', 'token-only-ci'),
      agentToken: token,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
});

describe('credentials with an agent token', () => {
  test('only for the token identity’s Targets; without the token only for the pod’s own', async () => {
    const token = await provider.issueToken(githubClaims('org/app', 'refs/heads/main'));
    const billing = await post<{ username?: string }>(runner, BROKER_PATHS.credentials, { target: 'billing-db', agentToken: token });
    assert.equal(billing.status, 200, JSON.stringify(billing.body));
    assert.equal(billing.body.username, cluster.postgres.users.scram_user.user);
    const orders = await post<BrokerErrorBody>(runner, BROKER_PATHS.credentials, { target: 'orders-db', agentToken: token });
    assert.equal(orders.status, 403);
    assert.equal(orders.body.code, 'Forbidden');
    assert.match(
      orders.body.message,
      /Target orders-db is not one of this pod's targets that AgentIdentity gha-main \(from the agent token\) may use \(it reaches billing-db\)/,
    );
    const own = await post<BrokerErrorBody>(runner, BROKER_PATHS.credentials, { target: 'billing-db' });
    assert.equal(own.status, 403);
    assert.match(own.body.message, new RegExp(`AgentIdentity ${RUNNER_SA} may use \\(it reaches orders-db\\)`));
    const ownOrders = await post<{ username?: string }>(runner, BROKER_PATHS.credentials, { target: 'orders-db' });
    assert.equal(ownOrders.status, 200);
    const refused = await post<BrokerErrorBody>(runner, BROKER_PATHS.credentials, { target: 'billing-db', agentToken: 'not-a-token' });
    assertRefused(refused, 'Malformed', 'not-a-token');
  });
});

describe('metrics', () => {
  test('every presented token is counted by outcome', async () => {
    const metrics = await cluster.registry.getSingleMetricAsString('airlock_operator_broker_agent_tokens_total');
    for (const outcome of [
      'accepted',
      'NoIdentity',
      'NotForThisPod',
      'Expired',
      'WrongAudience',
      'UnsupportedAlgorithm',
      'TooOld',
      'IssuerUnavailable',
      'Malformed',
    ]) {
      assert.match(metrics, new RegExp(`outcome="${outcome}"`), metrics);
    }
  });
});

describe('delegation to sub-agents', () => {
  const PLANNER_SA = 'planner';
  let planner: TestPod;
  const delegate = (pod: TestPod, body: Record<string, unknown>) =>
    post<DelegationResponse & BrokerErrorBody>(pod, BROKER_PATHS.delegations, body);
  const refusal = (answer: Answer<DelegationResponse & BrokerErrorBody>, reason: AgentTokenRefusal) => {
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'AgentTokenRefused');
    assert.equal(answer.body.reason, reason, answer.body.message);
    return answer.body.message;
  };

  before(async () => {
    await cluster.admin.create(`/api/v1/namespaces/${NS}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: PLANNER_SA, namespace: NS },
    } as KubeObject);
    const planning = identity('planner', PLANNER_SA, ['orders-db', 'billing-db']);
    planning.spec.delegation = { maxDepth: 2, maxTTL: '10m' };
    // A portal starts agents for a person: its token names them, and its sub-agents keep that.
    const portal = identity('portal-agent', PLANNER_SA, ['orders-db'], {
      issuer: provider.issuer,
      audiences: ['airlock'],
      caBundle: provider.caPem,
      claims: [{ claim: 'repository', equals: 'org/portal' }],
      onBehalfOfClaim: 'actor',
      required: true,
    });
    portal.spec.delegation = { maxDepth: 1 };
    for (const object of [planning, portal]) await cluster.admin.create(collectionPath(KINDS.agentIdentity, NS), object);
    await eventually(
      () => (cluster.catalog.identities(NS).some((i) => i.metadata.name === 'portal-agent') ? true : undefined),
      'the broker’s catalog to hold the delegating identities',
    );
    planner = await cluster.createPod('planner-1', PLANNER_SA);
  });

  test('a parent (its pod’s own identity) hands a sub-agent a narrower token; presented from the same pod it is the parent’s identity with the chain', async () => {
    const granted = await delegate(planner, { name: 'researcher', targets: ['orders-db'], ttlSeconds: 300 });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    assert.deepEqual(granted.body.targets, ['orders-db']);
    assert.equal(granted.body.depth, 1);
    const presented = await presentToken(planner, granted.body.token);
    assert.equal(presented.status, 200, JSON.stringify(presented.body));
    const { principal } = presented.body;
    assert.equal(principal.identity, 'planner');
    assert.deepEqual(principal.targets, ['orders-db']);
    assert.deepEqual(principal.delegation, { depth: 1, chain: ['researcher'] });
    assert.equal(principal.expiresAt, granted.body.expiresAt);
    const secret = await cluster.admin.get<KubeObject & { type?: string }>(
      objectPath(KINDS.secret, 'airlock-system', 'airlock-delegation-key'),
    );
    assert.equal(secret.type, 'airlock.dev/delegation-key');
  });

  test('a sub-agent delegates further with its own token: deeper chain, never a target its parent lacks, never past maxDepth', async () => {
    const first = await delegate(planner, { name: 'researcher', targets: ['orders-db'] });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const broader = await delegate(planner, { name: 'sql-writer', targets: ['billing-db'], agentToken: first.body.token });
    assert.match(refusal(broader, 'DelegationTooBroad'), /billing-db/);
    const second = await delegate(planner, { name: 'sql-writer', agentToken: first.body.token });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.deepEqual(second.body.targets, ['orders-db']);
    const principal = (await presentToken(planner, second.body.token)).body.principal;
    assert.deepEqual(principal.delegation, { depth: 2, chain: ['researcher', 'sql-writer'] });
    const third = await delegate(planner, { name: 'helper', agentToken: second.body.token });
    assert.match(refusal(third, 'DelegationTooDeep'), /researcher → sql-writer → helper/);
  });

  test('a delegated token presented from any other pod is refused: it is bound to the pod its parent asked in', async () => {
    const granted = await delegate(planner, { name: 'researcher' });
    const otherPlanner = await cluster.createPod('planner-2', PLANNER_SA);
    assertRefused(await presentToken(otherPlanner, granted.body.token), 'NotForThisPod', granted.body.token);
    assertRefused(await presentToken(runner, granted.body.token), 'NotForThisPod', granted.body.token);
  });

  test('an identity without spec.delegation cannot delegate; a tampered delegated token is refused', async () => {
    assert.match(refusal(await delegate(runner, { name: 'helper' }), 'DelegationNotAllowed'), /spec\.delegation\.maxDepth/);
    const granted = await delegate(planner, { name: 'researcher', targets: ['orders-db'] });
    const [header, payload, signature] = granted.body.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    claims.airlock.targets = ['orders-db', 'billing-db'];
    const widened = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    assertRefused(await presentToken(planner, widened), 'BadSignature', widened);
  });

  test('lifetime and name: longer than maxTTL is too broad, a bad name is 400', async () => {
    refusal(await delegate(planner, { name: 'researcher', ttlSeconds: 3600 }), 'DelegationTooBroad');
    const bad = await delegate(planner, { name: 'Not A Name' });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
  });

  test('a sub-agent of an agent acting for a person acts for that person too; its held command names the whole chain', async () => {
    const parentToken = await provider.issueToken(githubClaims('org/portal', 'refs/heads/main'));
    const granted = await delegate(planner, { name: 'analyst', agentToken: parentToken });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    const principal = (await presentToken(planner, granted.body.token)).body.principal;
    assert.equal(principal.identity, 'portal-agent');
    assert.equal(principal.onBehalfOf, ACTOR);
    assert.equal(principal.issuer, provider.issuer);
    assert.deepEqual(principal.delegation, { depth: 1, chain: ['analyst'] });
    const created = await post<CreateApprovalResponse>(planner, BROKER_PATHS.approvals, {
      idempotencyKey: 'analyst-1',
      draft: draft('DELETE FROM orders', 'orders-db', 'portal-agent'),
      agentToken: granted.body.token,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const stored = await cluster.admin.get<ApprovalRequest>(objectPath(KINDS.approvalRequest, NS, created.body.name));
    assert.deepEqual(stored.spec.requester, {
      identity: 'portal-agent',
      serviceAccount: `system:serviceaccount:${NS}:${PLANNER_SA}`,
      pod: { name: planner.name, uid: planner.uid },
      onBehalfOf: ACTOR,
      issuer: provider.issuer,
      delegation: { depth: 1, chain: ['analyst'] },
    });
  });
});

describe('the cluster’s own issuer: a nested agent running as its own service account', () => {
  test('its service-account token, presented in a pod the identity selects, is that identity; a token of another service account maps to none', async () => {
    for (const name of ['nested-agent', 'someone-else']) {
      await cluster.admin.create(`/api/v1/namespaces/${NS}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace: NS },
      } as KubeObject);
    }
    const nested = identity('nested-agent', RUNNER_SA, ['orders-db'], {
      issuer: cluster.plane.server,
      audiences: ['airlock'],
      claims: [{ claim: 'sub', equals: `system:serviceaccount:${NS}:nested-agent` }],
      required: true,
    });
    await cluster.admin.create(collectionPath(KINDS.agentIdentity, NS), nested);
    await eventually(
      () => (cluster.catalog.identities(NS).some((i) => i.metadata.name === 'nested-agent') ? true : undefined),
      'the broker’s catalog to hold the nested agent’s identity',
    );
    const tokenOf = async (serviceAccount: string) => {
      const made = await cluster.plane.kubectl(['create', 'token', serviceAccount, '-n', NS, '--audience=airlock', '--duration=10m']);
      assert.equal(made.code, 0, made.stderr);
      return made.stdout.trim();
    };
    const token = await tokenOf('nested-agent');
    const answer = await presentToken(runner, token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.principal.identity, 'nested-agent');
    assert.equal(answer.body.principal.issuer, cluster.plane.server);
    assert.deepEqual(answer.body.principal.targets, ['orders-db']);
    const other = await tokenOf('someone-else');
    assertRefused(await presentToken(runner, other), 'NoIdentity', other);
    // Deleted service account: the API server refuses its tokens whatever their expiry, once its
    // own cache of reviewed tokens (10 s for a success) forgets this one.
    const deleted = await cluster.plane.kubectl(['delete', 'serviceaccount', 'nested-agent', '-n', NS]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const refused = await eventually(async () => {
      const again = await presentToken(runner, token);
      return again.status === 403 ? again : undefined;
    }, 'the deleted service account’s token to be refused');
    assertRefused(refused, 'BadSignature', token);
  });
});
