import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { OidcTokenError } from '../oidc/oidc-errors.ts';
import { actClaim, DELEGATION_ISSUER, type DelegatedClaims, mintDelegatedToken, verifyDelegatedToken } from './delegated-token.ts';
import { keyFromPem } from './delegation-key.ts';

const NOW = 1_800_000_000;
const newKey = () => keyFromPem(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
const KEY = newKey();

const CLAIMS: Omit<DelegatedClaims, 'issuedAt' | 'tokenId'> = {
  namespace: 'agents',
  identity: 'planner',
  podUid: 'uid-1',
  targets: ['orders-db'],
  depth: 2,
  chain: ['researcher', 'sql-writer'],
  onBehalfOf: 'alice@example.com',
  rootIssuer: 'https://login.example.com',
  expiresAt: NOW + 300,
};

async function refusal(promise: Promise<unknown>): Promise<OidcTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof OidcTokenError, String(error));
  return error;
}

describe('delegated tokens', () => {
  test('RFC 8693 act: the presenting sub-agent outermost, earlier actors nested', () => {
    assert.deepEqual(actClaim(['researcher', 'sql-writer']), { sub: 'sql-writer', act: { sub: 'researcher' } });
    assert.equal(actClaim([]), undefined);
  });

  test('minted and verified: every claim survives; sub is the delegated identity; EdDSA with the key id', async () => {
    const { token, tokenId } = await mintDelegatedToken(KEY, CLAIMS, NOW);
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'EdDSA', kid: KEY.keyId, typ: 'JWT' });
    const payload = decodeJwt(token);
    assert.equal(payload.iss, DELEGATION_ISSUER);
    assert.equal(payload.sub, 'planner');
    assert.deepEqual(payload.act, { sub: 'sql-writer', act: { sub: 'researcher' } });
    const verified = await verifyDelegatedToken(KEY, token, NOW + 10);
    assert.deepEqual(verified, { ...CLAIMS, issuedAt: NOW, tokenId });
  });

  test('expired, altered, signed by another key, or with another algorithm: refused with the agent-facing codes', async () => {
    const { token } = await mintDelegatedToken(KEY, CLAIMS, NOW);
    assert.equal((await refusal(verifyDelegatedToken(KEY, token, NOW + 400))).code, 'Expired');

    const [header, payload, signature] = token.split('.') as [string, string, string];
    const widened = { ...decodeJwt(token), airlock: { ...(decodeJwt(token).airlock as object), targets: ['orders-db', 'prod-db'] } };
    const altered = [header, Buffer.from(JSON.stringify(widened)).toString('base64url'), signature].join('.');
    assert.equal((await refusal(verifyDelegatedToken(KEY, altered, NOW))).code, 'BadSignature');

    const foreign = await mintDelegatedToken(newKey(), CLAIMS, NOW);
    assert.equal((await refusal(verifyDelegatedToken(KEY, foreign.token, NOW))).code, 'BadSignature');

    const hs256 = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(KEY.publicKey.export({ format: 'der', type: 'spki' }));
    assert.equal((await refusal(verifyDelegatedToken(KEY, hs256, NOW))).code, 'UnsupportedAlgorithm');
    assert.ok(payload.length > 0);
  });

  test('a token whose chain does not match its depth is Malformed, even when signed by the key', async () => {
    const { token } = await mintDelegatedToken(KEY, { ...CLAIMS, depth: 1 }, NOW);
    assert.equal((await refusal(verifyDelegatedToken(KEY, token, NOW))).code, 'Malformed');
  });
});
