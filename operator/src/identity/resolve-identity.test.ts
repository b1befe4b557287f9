import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANNOTATIONS } from '@airlock/contracts/install';
import type { AgentIdentity, OIDCIdentity, Target } from '@airlock/crds';
import { allPodIdentities, type PodFacts, resolvePodIdentities, resolveTargets, selectsPod } from './resolve-identity.ts';

const NS = 'ci';
const ISSUER = 'https://token.ci.example';

function identity(
  name: string,
  options: { sa?: string; targets?: string[]; oidc?: Partial<OIDCIdentity>; podSelector?: Record<string, string> } = {},
): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: NS },
    spec: {
      serviceAccountName: options.sa ?? 'ci-runner',
      targets: options.targets ?? ['orders-db'],
      ...(options.podSelector ? { podSelector: options.podSelector } : {}),
      ...(options.oidc ? { oidc: { issuer: ISSUER, audiences: ['airlock'], ...options.oidc } } : {}),
    },
  };
}

function target(name: string, localPort: number): Target {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name, namespace: NS },
    spec: { type: 'postgres', localPort, postgres: { host: 'db', port: 5432, database: name } },
  } as Target;
}

const pod = (overrides: Partial<PodFacts> = {}): PodFacts => ({
  namespace: NS,
  serviceAccountName: 'ci-runner',
  labels: {},
  annotations: {},
  ...overrides,
});

const names = (identities: readonly AgentIdentity[]) => identities.map((i) => i.metadata.name);

describe('selectsPod: the pods an identity may be used from', () => {
  test('service account, namespace and every podSelector label must match', () => {
    const selective = identity('deploy', { podSelector: { job: 'deploy' } });
    assert.equal(selectsPod(selective, pod({ labels: { job: 'deploy', extra: 'x' } })), true);
    assert.equal(selectsPod(selective, pod({ labels: { job: 'test' } })), false);
    assert.equal(selectsPod(selective, pod({ labels: { job: 'deploy' }, serviceAccountName: 'other' })), false);
    assert.equal(selectsPod(selective, pod({ labels: { job: 'deploy' }, namespace: 'elsewhere' })), false);
  });
});

describe('resolvePodIdentities', () => {
  test('pod identity alone: the one identity without oidc.required is the pod’s own, no token identities', () => {
    const result = resolvePodIdentities(pod(), [identity('runner')]);
    assert.ok(result.ok);
    assert.equal(result.value.own?.metadata.name, 'runner');
    assert.deepEqual(result.value.token, []);
  });

  test('identities with oidc.required are never the pod’s own; several may select the same pods, told apart by tokens', () => {
    const main = identity('deploy-main', { oidc: { required: true, claims: [{ claim: 'ref', equals: 'refs/heads/main' }] } });
    const prs = identity('pull-requests', { oidc: { required: true, claims: [{ claim: 'ref', pattern: 'refs/pull/**' }] } });
    const result = resolvePodIdentities(pod(), [main, prs]);
    assert.ok(result.ok);
    assert.equal(result.value.own, undefined);
    assert.deepEqual(names(result.value.token), ['deploy-main', 'pull-requests']);
  });

  test('an identity with oidc but not required is both the pod’s own and a token identity', () => {
    const both = identity('portal-agent', { oidc: { onBehalfOfClaim: 'email' } });
    const result = resolvePodIdentities(pod(), [both]);
    assert.ok(result.ok);
    assert.equal(result.value.own, both);
    assert.deepEqual(result.value.token, [both]);
    assert.deepEqual(names(allPodIdentities(result.value)), ['portal-agent']);
  });

  test('a pod identity beside token-only identities: the own one is unambiguous', () => {
    const result = resolvePodIdentities(pod(), [identity('runner'), identity('deploy-main', { oidc: { required: true } })]);
    assert.ok(result.ok);
    assert.equal(result.value.own?.metadata.name, 'runner');
    assert.deepEqual(names(allPodIdentities(result.value)), ['runner', 'deploy-main']);
  });

  test('two pod identities are ambiguous, and the message points at the annotation and oidc.required', () => {
    const result = resolvePodIdentities(pod(), [identity('a'), identity('b')]);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.code, 'AmbiguousIdentity');
    assert.match(result.message, /a, b all select this pod/);
    assert.match(result.message, /oidc\.required/);
  });

  test('the annotation picks the own identity, but never one that requires a token', () => {
    const identities = [identity('a'), identity('b'), identity('tokened', { oidc: { required: true } })];
    const picked = resolvePodIdentities(pod({ annotations: { [ANNOTATIONS.identity]: 'b' } }), identities);
    assert.ok(picked.ok);
    assert.equal(picked.value.own?.metadata.name, 'b');
    assert.deepEqual(names(picked.value.token), ['tokened']);
    const refused = resolvePodIdentities(pod({ annotations: { [ANNOTATIONS.identity]: 'tokened' } }), identities);
    assert.ok(!refused.ok);
    assert.equal(refused.code, 'IdentityMismatch');
    assert.match(refused.message, /oidc\.required/);
  });

  test('no identity at all selects the pod: NoIdentity', () => {
    const result = resolvePodIdentities(pod({ serviceAccountName: 'nobody' }), [identity('runner'), identity('t', { oidc: {} })]);
    assert.ok(!result.ok);
    assert.equal(result.code, 'NoIdentity');
  });

  test('token identities of another service account are not this pod’s', () => {
    const result = resolvePodIdentities(pod(), [identity('runner'), identity('other-sa', { sa: 'deployer', oidc: {} })]);
    assert.ok(result.ok);
    assert.deepEqual(result.value.token, []);
  });
});

describe('resolveTargets over every identity of the pod', () => {
  const targets = [target('orders-db', 5432), target('billing-db', 5433), target('clash-db', 5432)];

  test('the sidecar serves the union of its identities’ targets', () => {
    const identities = {
      own: identity('runner', { targets: ['orders-db'] }),
      token: [identity('deploy', { targets: ['billing-db'], oidc: {} })],
    };
    const result = resolveTargets(pod(), identities, targets);
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.map((t) => t.metadata.name),
      ['orders-db', 'billing-db'],
    );
  });

  test('ports clash across identities, not only within one', () => {
    const identities = {
      own: identity('runner', { targets: ['orders-db'] }),
      token: [identity('deploy', { targets: ['clash-db'], oidc: {} })],
    };
    const result = resolveTargets(pod(), identities, targets);
    assert.ok(!result.ok);
    assert.equal(result.code, 'PortClash');
  });

  test('the targets annotation may name only what some identity of the pod may use', () => {
    const identities = { token: [identity('deploy', { targets: ['billing-db'], oidc: {} })] };
    const narrowed = resolveTargets(pod({ annotations: { [ANNOTATIONS.targets]: 'billing-db' } }), identities, targets);
    assert.ok(narrowed.ok);
    const refused = resolveTargets(pod({ annotations: { [ANNOTATIONS.targets]: 'orders-db' } }), identities, targets);
    assert.ok(!refused.ok);
    assert.equal(refused.code, 'TargetNotAllowed');
    assert.match(refused.message, /deploy/);
  });
});
