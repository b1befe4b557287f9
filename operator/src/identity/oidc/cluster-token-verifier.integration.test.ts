/**
 * The cluster's own service-account issuer against a real kube-apiserver: tokens made with
 * `kubectl create token`, reviewed as the operator (its service account, as installed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ControlPlane, installAirlock, installCrds } from '@airlock/testkit';
import { KubeClient } from '../../kube/client.ts';
import { AgentTokenVerifier } from './agent-token-verifier.ts';
import { ClusterTokenVerifier } from './cluster-token-verifier.ts';
import { OidcTokenError } from './oidc-errors.ts';
import { OidcTokenVerifier } from './token-verifier.ts';

const NS = 'agents';
let plane: ControlPlane;
let operator: KubeClient;

before(async () => {
  plane = await ControlPlane.start();
  await installCrds(plane);
  const installed = await installAirlock(plane);
  operator = new KubeClient(installed.operator.kubeConfig());
  for (const args of [
    ['create', 'namespace', NS],
    ['create', 'serviceaccount', 'nested-agent', '-n', NS],
    ['create', 'serviceaccount', 'short-lived', '-n', NS],
  ]) {
    const result = await plane.kubectl(args);
    assert.equal(result.code, 0, result.stderr);
  }
});

after(async () => {
  await operator?.close();
  await plane?.stop();
});

async function createToken(serviceAccount: string, audience = 'airlock', duration = '10m'): Promise<string> {
  const created = await plane.kubectl(['create', 'token', serviceAccount, '-n', NS, `--audience=${audience}`, `--duration=${duration}`]);
  assert.equal(created.code, 0, created.stderr);
  return created.stdout.trim();
}

async function refusal(promise: Promise<unknown>): Promise<OidcTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof OidcTokenError, `expected an OidcTokenError, got ${String(error)}`);
  return error;
}

describe('ClusterTokenVerifier', () => {
  test('the operator learns the cluster’s issuer from the API server’s discovery document', async () => {
    const verifier = new ClusterTokenVerifier({ client: operator });
    assert.equal(await verifier.issuer(), plane.server);
  });

  test('a nested agent’s service-account token is verified, with the claims the matchers read', async () => {
    const verifier = new ClusterTokenVerifier({ client: operator });
    const verified = await verifier.verify(await createToken('nested-agent'), { issuer: plane.server, audiences: ['airlock'] });
    assert.equal(verified.subject, `system:serviceaccount:${NS}:nested-agent`);
    assert.deepEqual(verified.audiences, ['airlock']);
    assert.ok(verified.expiresAt > Date.now() / 1000);
    assert.equal((verified.claims['kubernetes.io'] as { namespace?: string }).namespace, NS);
  });

  test('a token for another audience is refused as WrongAudience', async () => {
    const verifier = new ClusterTokenVerifier({ client: operator });
    const error = await refusal(
      verifier.verify(await createToken('nested-agent', 'vault'), { issuer: plane.server, audiences: ['airlock'] }),
    );
    assert.equal(error.code, 'WrongAudience');
  });

  test('a token whose service account was deleted is refused: the API server knows what a key set cannot', async () => {
    const verifier = new ClusterTokenVerifier({ client: operator });
    const token = await createToken('short-lived');
    const deleted = await plane.kubectl(['delete', 'serviceaccount', 'short-lived', '-n', NS]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const error = await refusal(verifier.verify(token, { issuer: plane.server, audiences: ['airlock'] }));
    assert.equal(error.code, 'BadSignature');
    assert.doesNotMatch(error.message, new RegExp(token.slice(0, 30)));
  });

  test('a forged token (payload changed, signature kept) is refused', async () => {
    const verifier = new ClusterTokenVerifier({ client: operator });
    const [header, payload, signature] = (await createToken('nested-agent')).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    claims.sub = `system:serviceaccount:${NS}:admin`;
    const forged = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    const error = await refusal(verifier.verify(forged, { issuer: plane.server, audiences: ['airlock'] }));
    assert.equal(error.code, 'BadSignature');
  });

  test('maxTokenAge is applied to the cluster’s tokens too', async () => {
    const later = Date.now() + 2 * 3600_000;
    const verifier = new ClusterTokenVerifier({ client: operator, clock: () => later });
    const token = await createToken('nested-agent', 'airlock', '24h');
    const error = await refusal(verifier.verify(token, { issuer: plane.server, audiences: ['airlock'], maxTokenAge: '1h' }));
    assert.equal(error.code, 'TooOld');
  });
});

describe('AgentTokenVerifier: the cluster’s issuer by TokenReview, every other by OIDC', () => {
  test('an identity naming the cluster’s issuer is verified by the API server, without any HTTPS fetch of its own', async () => {
    const verifier = new AgentTokenVerifier({ oidc: new OidcTokenVerifier(), cluster: new ClusterTokenVerifier({ client: operator }) });
    const verified = await verifier.verify(await createToken('nested-agent'), { issuer: plane.server, audiences: ['airlock'] });
    assert.equal(verified.subject, `system:serviceaccount:${NS}:nested-agent`);
  });

  test('without the cluster path the same token goes to OIDC discovery, which the API server refuses anonymously: fail closed', async () => {
    const verifier = new AgentTokenVerifier({ oidc: new OidcTokenVerifier({ fetchTimeoutMs: 2000 }) });
    const error = await refusal(verifier.verify(await createToken('nested-agent'), { issuer: plane.server, audiences: ['airlock'] }));
    assert.equal(error.code, 'IssuerUnavailable');
  });
});
