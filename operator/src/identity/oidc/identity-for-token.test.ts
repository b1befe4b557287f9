import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentIdentity, OIDCIdentity } from '@airlock/crds';
import { identityForToken } from './identity-for-token.ts';
import type { VerifiedToken } from './token-verifier.ts';

const ISSUER = 'https://token.actions.githubusercontent.com';

function identity(name: string, oidc: Partial<OIDCIdentity> | undefined): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: 'ci' },
    spec: {
      serviceAccountName: name,
      targets: ['orders-db'],
      ...(oidc ? { oidc: { issuer: ISSUER, audiences: ['airlock'], ...oidc } } : {}),
    },
  };
}

function token(claims: Record<string, unknown>, overrides: Partial<VerifiedToken> = {}): VerifiedToken {
  return {
    issuer: ISSUER,
    subject: String(claims.sub ?? 'repo:org/app:ref:refs/heads/main'),
    audiences: ['airlock'],
    issuedAt: 1_700_000_000,
    expiresAt: 1_700_000_300,
    claims,
    ...overrides,
  };
}

const main = identity('app-main', {
  claims: [
    { claim: 'repository', equals: 'org/app' },
    { claim: 'ref', equals: 'refs/heads/main' },
  ],
  onBehalfOfClaim: 'actor',
});
const branches = identity('app-branches', {
  claims: [
    { claim: 'repository', equals: 'org/app' },
    { claim: 'ref', pattern: 'refs/heads/feature/*' },
  ],
});

describe('identityForToken', () => {
  test('two identities of the same issuer are told apart by their claims', () => {
    const fromMain = identityForToken([main, branches], token({ repository: 'org/app', ref: 'refs/heads/main', actor: 'octocat' }));
    assert.ok(fromMain.ok);
    assert.equal(fromMain.value.identity.metadata.name, 'app-main');
    assert.equal(fromMain.value.onBehalfOf, 'octocat');

    const fromFeature = identityForToken(
      [main, branches],
      token({ repository: 'org/app', ref: 'refs/heads/feature/login', actor: 'octocat' }),
    );
    assert.ok(fromFeature.ok);
    assert.equal(fromFeature.value.identity.metadata.name, 'app-branches');
    assert.equal(fromFeature.value.onBehalfOf, undefined, 'app-branches names no onBehalfOfClaim');
  });

  test('two identities that both accept the token are refused as ambiguous, by name', () => {
    const anyRef = identity('app-any', { claims: [{ claim: 'repository', equals: 'org/app' }] });
    const result = identityForToken([main, anyRef, branches], token({ repository: 'org/app', ref: 'refs/heads/main' }));
    assert.ok(!result.ok);
    assert.equal(result.code, 'AmbiguousIdentity');
    assert.match(result.message, /AgentIdentities app-any, app-main all accept this token/);
    assert.match(result.message, /narrow their spec\.oidc\.claims/);
  });

  test('none matching says, per identity of the issuer, what did not match', () => {
    const result = identityForToken([main, branches], token({ repository: 'org/app', ref: 'refs/heads/release' }));
    assert.ok(!result.ok);
    assert.equal(result.code, 'NoIdentity');
    assert.match(result.message, /AgentIdentity app-branches: claim ref \(refs\/heads\/release\) does not match refs\/heads\/feature\/\*/);
    assert.match(result.message, /AgentIdentity app-main: claim ref \(refs\/heads\/release\) does not equal refs\/heads\/main/);
  });

  test('no identity of the issuer says to add one; pod identities and other issuers do not count', () => {
    const podOnly = identity('pod-agent', undefined);
    const otherIssuer: AgentIdentity = {
      ...main,
      metadata: { name: 'gitlab', namespace: 'ci' },
      spec: { ...main.spec, oidc: { ...main.spec.oidc!, issuer: 'https://gitlab.com' } },
    };
    const result = identityForToken([podOnly, otherIssuer], token({ repository: 'org/app', ref: 'refs/heads/main' }));
    assert.ok(!result.ok);
    assert.equal(result.code, 'NoIdentity');
    assert.match(result.message, /no AgentIdentity here accepts tokens from issuer https:\/\/token\.actions\.githubusercontent\.com/);
  });

  test('an identity whose audiences the token lacks does not accept it', () => {
    const result = identityForToken([main], token({ repository: 'org/app', ref: 'refs/heads/main' }, { audiences: ['sts.amazonaws.com'] }));
    assert.ok(!result.ok);
    assert.match(result.message, /app-main: it accepts audiences airlock, the token is for sts\.amazonaws\.com/);
  });

  test('an identity with no claim matchers accepts every token of its issuer and audience', () => {
    const open = identity('any-job', {});
    const result = identityForToken([open], token({ repository: 'someone/else' }));
    assert.ok(result.ok);
  });

  test('onBehalfOf comes only from the configured claim and only as a string', () => {
    const result = identityForToken([main], token({ repository: 'org/app', ref: 'refs/heads/main', actor: ['octocat'] }));
    assert.ok(result.ok);
    assert.equal(result.value.onBehalfOf, undefined);
  });
});
