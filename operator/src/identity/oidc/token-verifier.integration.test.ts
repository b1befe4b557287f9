/**
 * The verifier against a real OIDC provider (oidc-provider over HTTPS on loopback, started here):
 * discovery, key fetching, rotation, the provider going away, and every way a token must be refused
 * (issue 18, section 3). Time moves only through the verifier's injected clock.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AgentIdentity } from '@airlock/crds';
import { createCertificateAuthority, OidcProvider } from '@airlock/testkit';
import { SignJWT } from 'jose';
import { identityForToken } from './identity-for-token.ts';
import { OidcTokenError, type OidcTokenErrorCode } from './oidc-errors.ts';
import { type OidcIssuerSettings, OidcTokenVerifier, type OidcTokenVerifierOptions } from './token-verifier.ts';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A clock the test moves by hand, starting at the real time the provider also uses. */
function manualClock(): { clock: () => number; advanceSeconds: (seconds: number) => void } {
  let now = Date.now();
  return {
    clock: () => now,
    advanceSeconds: (seconds) => {
      now += seconds * 1000;
    },
  };
}

async function refused(promise: Promise<unknown>, code: OidcTokenErrorCode, token?: string): Promise<OidcTokenError> {
  const error = await promise.then(
    () => assert.fail(`the token was accepted; expected ${code}`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof OidcTokenError, `expected an OidcTokenError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (token) {
    for (const part of token.split('.').filter((p) => p.length > 8))
      assert.ok(!error.message.includes(part), 'the message quotes the token');
  }
  return error;
}

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function oidcIdentity(name: string, oidc: NonNullable<AgentIdentity['spec']['oidc']>): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: 'agents' },
    spec: { serviceAccountName: 'ci-runner', oidc, targets: ['orders-db'] },
  };
}

describe('OidcTokenVerifier against a real OIDC provider', () => {
  let provider: OidcProvider;
  let other: OidcProvider;
  let settings: OidcIssuerSettings;

  before(async () => {
    const ca = await createCertificateAuthority('airlock test OIDC CA');
    provider = await OidcProvider.start({ ca });
    other = await OidcProvider.start({ ca });
    settings = { issuer: provider.issuer, audiences: ['airlock'], caBundle: provider.caPem };
  });
  after(async () => {
    await provider?.stop();
    await other?.stop();
  });

  function verifier(t: { after: (fn: () => Promise<void>) => void }, options: OidcTokenVerifierOptions = {}): OidcTokenVerifier {
    const created = new OidcTokenVerifier(options);
    t.after(() => created.close());
    return created;
  }

  test('a token the provider issued verifies, with its claims', async (t) => {
    const token = await provider.issueToken({ sub: 'agent-7', team: 'payments' });
    const verified = await verifier(t).verify(token, settings);
    assert.equal(verified.issuer, provider.issuer);
    assert.equal(verified.subject, 'agent-7');
    assert.deepEqual(verified.audiences, ['airlock']);
    assert.equal(typeof verified.issuedAt, 'number');
    assert.ok(verified.expiresAt > nowSeconds());
    assert.equal(verified.claims.team, 'payments');
    assert.ok(Object.isFrozen(verified.claims));
  });

  test('the audience may be one of several the token carries and one of several the identity accepts', async (t) => {
    const token = await provider.issueToken({}, { audience: ['https://other.example', 'airlock-ci'] });
    const verified = await verifier(t).verify(token, { ...settings, audiences: ['airlock', 'airlock-ci'] });
    assert.deepEqual(verified.audiences, ['https://other.example', 'airlock-ci']);
  });

  describe('CI tokens mapped to an identity by claims', () => {
    const onlyMainOfApp = () =>
      oidcIdentity('app-main', {
        issuer: provider.issuer,
        audiences: ['airlock'],
        claims: [
          { claim: 'repository', equals: 'org/app' },
          { claim: 'ref', equals: 'refs/heads/main' },
        ],
        onBehalfOfClaim: 'actor',
      });
    const gitHubClaims = (ref: string) => ({
      sub: `repo:org/app:ref:${ref}`,
      repository: 'org/app',
      ref,
      job_workflow_ref: `org/app/.github/workflows/deploy.yml@${ref}`,
      actor: 'octocat',
    });

    test('a GitHub Actions token of main of org/app is that identity, acting for the actor', async (t) => {
      const verified = await verifier(t).verify(await provider.issueToken(gitHubClaims('refs/heads/main')), settings);
      assert.equal(verified.subject, 'repo:org/app:ref:refs/heads/main');
      const mapped = identityForToken([onlyMainOfApp()], verified);
      assert.ok(mapped.ok, mapped.ok ? '' : mapped.message);
      assert.equal(mapped.value.identity.metadata.name, 'app-main');
      assert.equal(mapped.value.onBehalfOf, 'octocat');
    });

    test('the same repository from another branch is refused, saying which claim', async (t) => {
      const verified = await verifier(t).verify(await provider.issueToken(gitHubClaims('refs/heads/feature')), settings);
      const mapped = identityForToken([onlyMainOfApp()], verified);
      assert.equal(mapped.ok, false);
      assert.ok(!mapped.ok && mapped.code === 'NoIdentity');
      assert.match(mapped.message, /app-main: claim ref \(refs\/heads\/feature\) does not equal refs\/heads\/main/);
    });

    test('a GitLab CI token matched by a project pattern and the ref type', async (t) => {
      const identity = oidcIdentity('group-branches', {
        issuer: provider.issuer,
        audiences: ['airlock'],
        claims: [
          { claim: 'project_path', pattern: 'group/*' },
          { claim: 'ref_type', equals: 'branch' },
          { claim: 'pipeline_source', equals: 'push' },
        ],
      });
      const token = await provider.issueToken({
        sub: 'project_path:group/service:ref_type:branch:ref:main',
        project_path: 'group/service',
        ref: 'main',
        ref_type: 'branch',
        pipeline_source: 'push',
      });
      const mapped = identityForToken([identity], await verifier(t).verify(token, settings));
      assert.ok(mapped.ok, mapped.ok ? '' : mapped.message);
      // `*` stops at `/`: a project in a subgroup is not group/*.
      const nested = await provider.issueToken({ project_path: 'group/sub/service', ref_type: 'branch', pipeline_source: 'push' });
      const refusedMapping = identityForToken([identity], await verifier(t).verify(nested, settings));
      assert.equal(refusedMapping.ok, false);
    });

    test('nested claims (act.sub) and list claims (groups) match, and act.sub names the human', async (t) => {
      const identity = oidcIdentity('delegated', {
        issuer: provider.issuer,
        audiences: ['airlock'],
        claims: [
          { claim: 'act.sub', pattern: '*@example.com' },
          { claim: 'groups', pattern: 'eng-*' },
        ],
        onBehalfOfClaim: 'act.sub',
      });
      const token = await provider.issueToken({ act: { sub: 'alice@example.com' }, groups: ['ops', 'eng-payments'] });
      const mapped = identityForToken([identity], await verifier(t).verify(token, settings));
      assert.ok(mapped.ok, mapped.ok ? '' : mapped.message);
      assert.equal(mapped.value.onBehalfOf, 'alice@example.com');

      const outsider = await provider.issueToken({ act: { sub: 'alice@example.com' }, groups: ['ops', 'sales'] });
      const refusedMapping = identityForToken([identity], await verifier(t).verify(outsider, settings));
      assert.ok(!refusedMapping.ok);
      assert.match(refusedMapping.message, /no element of claim groups \(\[ops, sales\]\) does not match eng-\*/);
    });
  });

  describe('time', () => {
    test('an expired token is refused; one expired within the clock skew is not', async (t) => {
      const now = nowSeconds();
      const expired = await provider.issueToken({}, { issuedAt: now - 1200, expiresAt: now - 600 });
      const error = await refused(verifier(t).verify(expired, settings), 'Expired', expired);
      assert.match(error.message, /expired at .* \(allowing 60 s of clock skew\)/);
      const justExpired = await provider.issueToken({}, { issuedAt: now - 600, expiresAt: now - 30 });
      await verifier(t).verify(justExpired, settings);
    });

    test('a token not valid before a time beyond the skew is refused; within the skew it is not', async (t) => {
      const now = nowSeconds();
      const later = await provider.issueToken({}, { notBefore: now + 600, expiresAt: now + 1200 });
      await refused(verifier(t).verify(later, settings), 'NotYetValid', later);
      const soon = await provider.issueToken({}, { notBefore: now + 30 });
      await verifier(t).verify(soon, settings);
    });

    test('a token issued in the future beyond the skew is refused', async (t) => {
      const now = nowSeconds();
      const future = await provider.issueToken({}, { issuedAt: now + 600, expiresAt: now + 1200 });
      await refused(verifier(t).verify(future, settings), 'NotYetValid', future);
    });

    test('a token issued longer ago than maxTokenAge is refused, however long it lives', async (t) => {
      const now = nowSeconds();
      const old = await provider.issueToken({}, { issuedAt: now - 600, expiresAt: now + 3600 });
      const error = await refused(verifier(t).verify(old, { ...settings, maxTokenAge: '5m' }), 'TooOld', old);
      assert.match(error.message, /longer ago than the 5m this identity allows/);
      await verifier(t).verify(old, { ...settings, maxTokenAge: '1h' });
    });

    test('maxTokenAge makes iat required', async (t) => {
      // oidc-provider always sets iat: this token is signed with its key but written here.
      const noIat = await provider.signToken({ iss: provider.issuer, sub: 'agent-7', aud: 'airlock', exp: nowSeconds() + 300 });
      await verifier(t).verify(noIat, settings);
      await refused(verifier(t).verify(noIat, { ...settings, maxTokenAge: '1h' }), 'MissingClaim', noIat);
    });

    test('a token without exp is refused, however fresh', async (t) => {
      const token = await provider.issueToken({ exp: null });
      const error = await refused(verifier(t).verify(token, settings), 'MissingClaim', token);
      assert.match(error.message, /no exp claim/);
    });
  });

  describe('who issued it, and for whom', () => {
    test('a token for another audience is refused', async (t) => {
      const token = await provider.issueToken({}, { audience: 'someone-else' });
      const error = await refused(verifier(t).verify(token, settings), 'WrongAudience', token);
      assert.match(error.message, /for audience "someone-else", and this identity accepts airlock/);
    });

    test('a token of another provider is refused before anything is fetched from either', async (t) => {
      const token = await other.issueToken({ sub: 'repo:org/app:ref:refs/heads/main' });
      const fetchedBefore = other.requestCount('/jwks') + provider.requestCount('/jwks');
      const error = await refused(verifier(t).verify(token, settings), 'WrongIssuer', token);
      assert.ok(error.message.includes(other.issuer) && error.message.includes(provider.issuer), error.message);
      assert.equal(other.requestCount('/jwks') + provider.requestCount('/jwks'), fetchedBefore);
    });

    test('a token without sub is refused', async (t) => {
      const token = await provider.issueToken({ sub: null });
      await refused(verifier(t).verify(token, settings), 'MissingClaim', token);
    });
  });

  describe('forgeries', () => {
    test('alg none is refused before any key is looked at', async (t) => {
      const fresh = verifier(t);
      const before = provider.requestCount('/jwks') + provider.requestCount('/.well-known/openid-configuration');
      const token = `${encodePart({ alg: 'none', typ: 'JWT' })}.${encodePart({ iss: provider.issuer, sub: 'x', aud: 'airlock', exp: nowSeconds() + 300 })}.`;
      const error = await refused(fresh.verify(token, settings), 'UnsupportedAlgorithm', token);
      assert.match(error.message, /alg none/);
      assert.equal(provider.requestCount('/jwks') + provider.requestCount('/.well-known/openid-configuration'), before);
    });

    test("HS256 signed with the provider's public key as the secret is refused before any key is looked at", async (t) => {
      const fresh = verifier(t);
      const before = provider.requestCount('/jwks') + provider.requestCount('/.well-known/openid-configuration');
      const token = await new SignJWT({ sub: 'repo:org/app:ref:refs/heads/main', repository: 'org/app', ref: 'refs/heads/main' })
        .setProtectedHeader({ alg: 'HS256', kid: provider.keyId })
        .setIssuer(provider.issuer)
        .setAudience('airlock')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(provider.publicKeyPem));
      const error = await refused(fresh.verify(token, settings), 'UnsupportedAlgorithm', token);
      assert.match(error.message, /signed with "HS256"; airlock accepts only RS256/);
      assert.equal(provider.requestCount('/jwks') + provider.requestCount('/.well-known/openid-configuration'), before);
    });

    test('a token whose payload was changed after signing fails its signature', async (t) => {
      const token = await provider.issueToken({ repository: 'org/app', ref: 'refs/heads/feature' });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const tampered = `${header}.${encodePart({ ...claims, ref: 'refs/heads/main' })}.${signature}`;
      await verifier(t).verify(token, settings);
      await refused(verifier(t).verify(tampered, settings), 'BadSignature', tampered);
    });

    test('what is not a JWT is refused as malformed', async (t) => {
      const fresh = verifier(t);
      await refused(fresh.verify('not-a-token', settings), 'Malformed');
      await refused(fresh.verify(`${encodePart({ alg: 'RS256' })}.bm90IGpzb24.c2ln`, settings), 'Malformed');
      await refused(fresh.verify('a'.repeat(20_000), settings), 'Malformed');
    });
  });

  describe('keys', () => {
    test('without the CA in caBundle the issuer is not trusted, and the message says to add it', async (t) => {
      const token = await provider.issueToken();
      const { caBundle: _dropped, ...withoutCa } = settings;
      const error = await refused(verifier(t).verify(token, withoutCa), 'IssuerUnavailable', token);
      assert.match(error.message, /spec\.oidc\.caBundle/);
      assert.match(error.message, /certificate/);
      const strangerCa = await createCertificateAuthority('another CA');
      await refused(verifier(t).verify(token, { ...settings, caBundle: strangerCa.certPem }), 'IssuerUnavailable', token);
    });

    test('a token without kid verifies while the issuer publishes one key', async (t) => {
      const token = await provider.signToken(
        { iss: provider.issuer, sub: 'agent-7', aud: 'airlock', exp: nowSeconds() + 300 },
        { kid: undefined },
      );
      assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid, undefined);
      await verifier(t).verify(token, settings);
    });

    test('a configured jwksURL is used without discovery', async (t) => {
      const discoveryBefore = provider.requestCount('/.well-known/openid-configuration');
      const token = await provider.issueToken();
      await verifier(t).verify(token, { ...settings, jwksURL: provider.jwksURL });
      assert.equal(provider.requestCount('/.well-known/openid-configuration'), discoveryBefore);
    });

    test('a flood of tokens with made-up kids fetches the key set at most once per cooldown', async (t) => {
      const time = manualClock();
      const fresh = verifier(t, { clock: time.clock, keysRefreshCooldownSeconds: 30 });
      await fresh.verify(await provider.issueToken(), settings);
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = () =>
        new SignJWT({ sub: 'x' })
          .setProtectedHeader({ alg: 'RS256', kid: randomBytes(8).toString('hex') })
          .setIssuer(provider.issuer)
          .setAudience('airlock')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
      const flood = async () => {
        const tokens = await Promise.all(Array.from({ length: 40 }, forged));
        const outcomes = await Promise.allSettled(tokens.map((token) => fresh.verify(token, settings)));
        for (const outcome of outcomes) {
          assert.equal(outcome.status, 'rejected');
          assert.equal((outcome.reason as OidcTokenError).code, 'UnknownKey', (outcome.reason as Error).message);
        }
      };

      const fetched = provider.requestCount('/jwks');
      await flood();
      assert.equal(provider.requestCount('/jwks'), fetched, 'within the cooldown of the first fetch: no refetch');
      time.advanceSeconds(31);
      await flood();
      assert.equal(provider.requestCount('/jwks'), fetched + 1, 'after the cooldown: one refetch for the whole flood');
      await flood();
      assert.equal(provider.requestCount('/jwks'), fetched + 1);
      time.advanceSeconds(31);
      await flood();
      assert.equal(provider.requestCount('/jwks'), fetched + 2);
    });
  });
});

describe('key rotation and an issuer that goes away (providers of their own)', () => {
  test('after rotation a new kid is fetched without restart; a token of the dropped key fails', async (t) => {
    const rotating = await OidcProvider.start();
    t.after(() => rotating.stop());
    const settings = { issuer: rotating.issuer, audiences: ['airlock'], caBundle: rotating.caPem };
    const time = manualClock();
    const verifier = new OidcTokenVerifier({ clock: time.clock, keysRefreshCooldownSeconds: 30 });
    t.after(() => verifier.close());

    const oldToken = await rotating.issueToken({ sub: 'before' });
    await verifier.verify(oldToken, settings);
    rotating.rotateKeys();
    const newToken = await rotating.issueToken({ sub: 'after' });
    assert.notEqual(
      JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid,
      JSON.parse(Buffer.from(oldToken.split('.')[0]!, 'base64url').toString()).kid,
    );

    // Within the cooldown of the last fetch the new kid is not fetched yet.
    await refused(verifier.verify(newToken, settings), 'UnknownKey', newToken);
    time.advanceSeconds(31);
    const verified = await verifier.verify(newToken, settings);
    assert.equal(verified.subject, 'after');
    const error = await refused(verifier.verify(oldToken, settings), 'UnknownKey', oldToken);
    assert.match(error.message, /publishes no key kid "[0-9a-f]+" for RS256/);
  });

  test('with the provider stopped, cached keys verify until keysMaxAgeSeconds after the last fetch, then IssuerUnavailable', async (t) => {
    const stopping = await OidcProvider.start();
    t.after(() => stopping.stop());
    const settings = { issuer: stopping.issuer, audiences: ['airlock'], caBundle: stopping.caPem };
    const time = manualClock();
    const verifier = new OidcTokenVerifier({ clock: time.clock, keysMaxAgeSeconds: 600, keysRefreshCooldownSeconds: 30 });
    t.after(() => verifier.close());

    const token = await stopping.issueToken({}, { expiresAt: nowSeconds() + 7200 });
    await verifier.verify(token, settings);
    await stopping.stop();

    time.advanceSeconds(310); // past the refresh point (half the max age): the refresh fails, the keys still serve
    await verifier.verify(token, settings);
    time.advanceSeconds(289); // 599 s after the fetch
    await verifier.verify(token, settings);
    time.advanceSeconds(2); // 601 s
    const error = await refused(verifier.verify(token, settings), 'IssuerUnavailable', token);
    assert.ok(error.message.includes(stopping.issuer), error.message);
    assert.match(error.message, /last fetched 601 s ago, longer than the 600 s/);
    assert.match(error.message, /ECONNREFUSED|connect/);
  });

  test('an issuer that cannot be reached: IssuerUnavailable, naming the failure', async (t) => {
    const gone = await OidcProvider.start();
    await gone.stop();
    const time = manualClock();
    const verifier = new OidcTokenVerifier({ clock: time.clock });
    t.after(() => verifier.close());
    const token = `${encodePart({ alg: 'RS256', kid: 'k' })}.${encodePart({ iss: gone.issuer, sub: 'x', aud: 'airlock', exp: nowSeconds() + 300 })}.c2ln`;
    const settings = { issuer: gone.issuer, audiences: ['airlock'], caBundle: gone.caPem };
    const first = await refused(verifier.verify(token, settings), 'IssuerUnavailable');
    assert.match(first.message, /its keys could not be fetched \(last error: .*ECONNREFUSED/);
  });
});
