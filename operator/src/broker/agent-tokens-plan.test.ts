import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentTokenRefusal } from '@airlock/contracts/broker';
import type { AgentIdentity } from '@airlock/crds';
import type { PodFacts } from '../identity/resolve-identity.ts';
import {
  identitySettings,
  issuerCandidates,
  mappingSettings,
  notForThisPod,
  sameSettings,
  tokenPrincipal,
  unverifiedIssuer,
} from './agent-tokens-plan.ts';
import { BrokerHttpError } from './http-io.ts';
import { NS } from './testing/objects.ts';

const ISSUER = 'https://token.actions.githubusercontent.com';

/** A JWT-shaped string built by hand: the plan reads only the unverified claims. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'k1' })}.${part(claims)}.${Buffer.from('not a real signature').toString('base64url')}`;
}

function oidcIdentity(
  name: string,
  oidc: Partial<NonNullable<AgentIdentity['spec']['oidc']>> = {},
  extra: Partial<AgentIdentity['spec']> = {},
): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: NS },
    spec: { serviceAccountName: 'ci-runner', targets: ['orders-db'], oidc: { issuer: ISSUER, audiences: ['airlock'], ...oidc }, ...extra },
  };
}

function refusedWith(reason: AgentTokenRefusal, fn: () => unknown): BrokerHttpError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof BrokerHttpError, String(error));
    assert.equal(error.code, 'AgentTokenRefused');
    assert.equal(error.status, 403);
    assert.equal(error.reason, reason, error.message);
    return error;
  }
  assert.fail(`expected a refusal ${reason}`);
}

/** As the broker does it: the unverified issuer, then the identities that name it. */
const issuerCandidatesOf = (token: string, identities: readonly AgentIdentity[], namespace: string) =>
  issuerCandidates(unverifiedIssuer(token), identities, namespace);

describe('issuerCandidates', () => {
  const identities = [
    oidcIdentity('zeta'),
    oidcIdentity('alpha'),
    oidcIdentity('gitlab', { issuer: 'https://gitlab.example' }),
    { ...oidcIdentity('pod-only'), spec: { serviceAccountName: 'ci-runner', targets: ['orders-db'] } },
  ];

  test('the identities naming the token’s issuer, by name', () => {
    const names = issuerCandidatesOf(jwt({ iss: ISSUER, sub: 'x' }), identities, NS).map((i) => i.metadata.name);
    assert.deepEqual(names, ['alpha', 'zeta']);
  });

  test('an issuer no identity names: NoIdentity, naming the namespace and issuer, never the token', () => {
    const token = jwt({ iss: 'https://elsewhere.example', sub: 'secret-subject-value' });
    const error = refusedWith('NoIdentity', () => issuerCandidatesOf(token, identities, NS));
    assert.match(error.message, /no AgentIdentity in namespace agents accepts tokens from issuer "https:\/\/elsewhere\.example"/);
    for (const part of token.split('.')) assert.ok(!error.message.includes(part));
  });

  test('no iss claim: NoIdentity; not a JWT, or too long: Malformed', () => {
    refusedWith('NoIdentity', () => issuerCandidatesOf(jwt({ sub: 'x' }), identities, NS));
    refusedWith('NoIdentity', () => issuerCandidatesOf(jwt({ iss: 42, sub: 'x' }), identities, NS));
    refusedWith('Malformed', () => issuerCandidatesOf('pod-identity', identities, NS));
    refusedWith('Malformed', () => issuerCandidatesOf('', identities, NS));
    refusedWith('Malformed', () => issuerCandidatesOf(jwt({ iss: ISSUER, pad: 'x'.repeat(20_000) }), identities, NS));
  });

  test('a very long unverified issuer is clipped in the message', () => {
    const error = refusedWith('NoIdentity', () => issuerCandidatesOf(jwt({ iss: `https://${'a'.repeat(5000)}` }), identities, NS));
    assert.ok(error.message.length < 600, `message of ${error.message.length} characters`);
  });
});

describe('settings to verify with', () => {
  test('an identity’s own: its spec.oidc, nothing more', () => {
    assert.deepEqual(identitySettings(oidcIdentity('a', { caBundle: 'PEM', maxTokenAge: '15m', jwksURL: 'https://keys.example/jwks' })), {
      issuer: ISSUER,
      audiences: ['airlock'],
      caBundle: 'PEM',
      maxTokenAge: '15m',
      jwksURL: 'https://keys.example/jwks',
    });
  });

  test('before mapping: the first candidate’s keys, every candidate’s audiences, no maxTokenAge', () => {
    const candidates = [
      oidcIdentity('a', { caBundle: 'PEM-A', maxTokenAge: '5m', audiences: ['airlock'] }),
      oidcIdentity('b', { caBundle: 'PEM-B', audiences: ['sts.example', 'airlock'] }),
    ];
    assert.deepEqual(mappingSettings(candidates), { issuer: ISSUER, caBundle: 'PEM-A', audiences: ['airlock', 'sts.example'] });
  });

  test('the second verification is skipped only when it would check exactly the same', () => {
    const one = identitySettings(oidcIdentity('a'));
    assert.equal(sameSettings(mappingSettings([oidcIdentity('a')]), one), true);
    assert.equal(sameSettings(one, { ...one, audiences: ['airlock', 'airlock'] }), true);
    assert.equal(sameSettings(one, { ...one, maxTokenAge: '1h' }), false);
    assert.equal(sameSettings(one, { ...one, audiences: ['airlock', 'other'] }), false);
    assert.equal(sameSettings(one, { ...one, caBundle: 'PEM' }), false);
    assert.equal(sameSettings(one, { ...one, jwksURL: 'https://keys.example/jwks' }), false);
    assert.equal(
      sameSettings(mappingSettings([oidcIdentity('a', { maxTokenAge: '5m' })]), identitySettings(oidcIdentity('a', { maxTokenAge: '5m' }))),
      false,
    );
  });
});

describe('notForThisPod', () => {
  const facts = (serviceAccountName: string, labels: Record<string, string> = {}): PodFacts => ({
    namespace: NS,
    serviceAccountName,
    labels,
    annotations: {},
  });

  test('another service account: names the identity, what it selects, and what this pod runs as', () => {
    const error = notForThisPod(oidcIdentity('deployer', {}, { serviceAccountName: 'deploy-bot' }), facts('ci-runner'));
    assert.equal(error.reason, 'NotForThisPod');
    assert.match(
      error.message,
      /AgentIdentity deployer's, which may be used only from pods of service account deploy-bot, and this pod runs as service account ci-runner/,
    );
  });

  test('the service account matches but labels are missing: names the missing ones', () => {
    const identity = oidcIdentity('deployer', {}, { podSelector: { team: 'payments', tier: 'ci' } });
    const error = notForThisPod(identity, facts('ci-runner', { team: 'payments' }));
    assert.match(error.message, /pods of service account ci-runner labeled team=payments, tier=ci, and this pod lacks tier=ci/);
  });
});

describe('tokenPrincipal', () => {
  const base = {
    identity: 'deployer',
    namespace: NS,
    serviceAccount: `system:serviceaccount:${NS}:ci-runner`,
    pod: { name: 'job-1', uid: 'uid-1' },
    groups: [],
    labels: {},
    targets: ['orders-db'],
  };
  const verified = {
    issuer: ISSUER,
    subject: 'repo:org/app:ref:refs/heads/main',
    audiences: ['airlock'],
    expiresAt: 1_700_000_300,
    claims: {},
  };

  test('adds the issuer, the expiry as RFC 3339, and the human when the token names one', () => {
    assert.deepEqual(tokenPrincipal(base, verified, 'octocat'), {
      ...base,
      onBehalfOf: 'octocat',
      issuer: ISSUER,
      expiresAt: '2023-11-14T22:18:20.000Z',
    });
    assert.equal('onBehalfOf' in tokenPrincipal(base, verified, undefined), false);
  });
});
