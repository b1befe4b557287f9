import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Target } from '@airlock/crds';
import { tokenRequest } from './kubernetes-credentials.ts';
import { type BindingSecretObject, bindingSecret, bindingSecretName, bindingSecretProblem } from './token-binding-secret.ts';

const POD = { name: 'agent-7kq2x', uid: '5f0c7a2e-0000-4000-8000-000000000001' };
const OWNER = { apiVersion: 'v1', kind: 'Pod', name: POD.name, uid: POD.uid };

test('the binding Secret: named after the pod uid, empty, of its own type, owned by the pod alone', () => {
  assert.deepEqual(bindingSecret('agents', POD), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'airlock-token-binding-5f0c7a2e-0000-4000-8000-000000000001',
      namespace: 'agents',
      labels: { 'app.kubernetes.io/part-of': 'airlock', 'airlock.dev/token-binding-pod': 'agent-7kq2x' },
      ownerReferences: [{ ...OWNER, blockOwnerDeletion: false }],
    },
    type: 'airlock.dev/token-binding',
  });
  // A pod name longer than a label value allows is left out of the labels; the ownerReference still names it.
  const long = { ...POD, name: 'a'.repeat(64) };
  assert.deepEqual(bindingSecret('agents', long).metadata?.labels, { 'app.kubernetes.io/part-of': 'airlock' });
  assert.equal(
    bindingSecret('agents', { ...POD, name: 'a'.repeat(63) }).metadata?.labels?.['airlock.dev/token-binding-pod'],
    'a'.repeat(63),
  );
  assert.equal(bindingSecretName(POD.uid), 'airlock-token-binding-5f0c7a2e-0000-4000-8000-000000000001');
});

test('only a Secret made the way the broker makes it is the pod binding Secret', () => {
  // As the API server answers: the same with more metadata.
  const stored = bindingSecret('agents', POD);
  assert.equal(bindingSecretProblem({ ...stored, metadata: { ...stored.metadata, uid: 'u', resourceVersion: '7' } }, POD), undefined);
  const withOwners = (ownerReferences: NonNullable<BindingSecretObject['metadata']>['ownerReferences']): BindingSecretObject => ({
    ...stored,
    metadata: { ...stored.metadata, ...(ownerReferences ? { ownerReferences } : {}) },
  });
  const cases: [string, BindingSecretObject, RegExp][] = [
    ['no type', { ...stored, type: undefined }, /^it has type Opaque, not airlock\.dev\/token-binding$/],
    ['another type', { ...stored, type: 'kubernetes.io/service-account-token' }, /has type kubernetes\.io\/service-account-token/],
    ['no owner', { ...stored, metadata: { name: stored.metadata?.name ?? '' } }, /^it has no ownerReference to the pod$/],
    ['another pod', withOwners([{ ...OWNER, uid: 'other-uid' }]), /\(Pod agent-7kq2x uid other-uid\) are not exactly the pod \(uid 5f0c/],
    ['another name', withOwners([{ ...OWNER, name: 'agent-other' }]), /not exactly the pod/],
    ['another kind', withOwners([{ ...OWNER, kind: 'Job', apiVersion: 'batch/v1' }]), /not exactly the pod/],
    ['one owner more', withOwners([OWNER, { apiVersion: 'v1', kind: 'Namespace', name: 'agents', uid: 'ns-uid' }]), /not exactly the pod/],
  ];
  for (const [what, secret, expected] of cases) assert.match(bindingSecretProblem(secret, POD) ?? '', expected, what);
});

test('the TokenRequest names the binding Secret when the pod runs as another ServiceAccount, and the pod when it runs as the Target one', () => {
  const target = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name: 'cluster-api', namespace: 'agents' },
    spec: { type: 'kubernetes', localPort: 6443, kubernetes: { inCluster: true, serviceAccountName: 'agent-reader', tokenTTL: '10m' } },
  } as Target;
  const secret = { name: bindingSecretName(POD.uid), uid: 'secret-uid' };
  assert.deepEqual(tokenRequest(target, { ...POD, serviceAccountName: 'ci-migrations' }, secret).spec, {
    expirationSeconds: 600,
    boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: secret.name, uid: 'secret-uid' },
  });
  // The pod binding wins where the API server allows it: it needs no Secret.
  assert.deepEqual(tokenRequest(target, { ...POD, serviceAccountName: 'agent-reader' }, secret).spec, {
    expirationSeconds: 600,
    boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: POD.name, uid: POD.uid },
  });
});
