import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubernetesRequestFacts, namespaceValues } from '../policy/index.ts';
import { BUILT_IN_API_GROUPS } from './api-groups.ts';
import { builtInNamespaced, builtInResourceScopes } from './built-in-scopes.ts';
import { parseKubernetesRequest, splitRequestTarget } from './parse-request.ts';

test('built-in namespaced resources are true, cluster-scoped ones false, in any version of their group', () => {
  assert.equal(builtInNamespaced({ apiGroup: '', apiVersion: 'v1', resource: 'pods' }), true);
  assert.equal(builtInNamespaced({ apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments' }), true);
  assert.equal(builtInNamespaced({ apiGroup: 'autoscaling', apiVersion: 'v1', resource: 'horizontalpodautoscalers' }), true);
  assert.equal(builtInNamespaced({ apiGroup: 'autoscaling', apiVersion: 'v2', resource: 'horizontalpodautoscalers' }), true);
  assert.equal(builtInNamespaced({ apiGroup: '', apiVersion: 'v1', resource: 'nodes' }), false);
  assert.equal(builtInNamespaced({ apiGroup: '', apiVersion: 'v1', resource: 'namespaces' }), false);
  assert.equal(builtInNamespaced({ apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1', resource: 'clusterroles' }), false);
  assert.equal(builtInNamespaced({ apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1', resource: 'roles' }), true);
  assert.equal(builtInNamespaced({ apiGroup: 'apiextensions.k8s.io', apiVersion: 'v1', resource: 'customresourcedefinitions' }), false);
});

test('anything else is unknown: custom resources, a built-in name in another group, subresources, prototype names', () => {
  assert.equal(builtInNamespaced({ apiGroup: 'example.com', apiVersion: 'v1', resource: 'widgets' }), undefined);
  assert.equal(builtInNamespaced({ apiGroup: 'example.com', apiVersion: 'v1', resource: 'pods' }), undefined);
  assert.equal(builtInNamespaced({ apiGroup: 'apps', apiVersion: 'v1', resource: 'pods' }), undefined);
  assert.equal(builtInNamespaced({ apiGroup: '', apiVersion: 'v1', resource: 'pods/log' }), undefined);
  assert.equal(builtInNamespaced({ apiGroup: '', apiVersion: 'v1', resource: 'constructor' }), undefined);
  assert.equal(builtInNamespaced({ apiGroup: 'constructor', apiVersion: 'v1', resource: 'pods' }), undefined);
});

test('every group of the table is one kube-apiserver serves itself', () => {
  for (const { apiGroup } of builtInResourceScopes()) {
    if (apiGroup !== '') assert.ok(BUILT_IN_API_GROUPS.has(apiGroup), apiGroup);
  }
});

test('as a scope lookup: nodes are cluster-scoped, pods across all namespaces, a custom resource both', () => {
  const namespaces = (target: string) =>
    namespaceValues(kubernetesRequestFacts(parseKubernetesRequest({ method: 'GET', ...splitRequestTarget(target) }), builtInNamespaced));
  assert.deepEqual(namespaces('/api/v1/nodes'), ['(cluster scope)']);
  assert.deepEqual(namespaces('/api/v1/pods'), ['(all namespaces)']);
  assert.deepEqual(namespaces('/apis/example.com/v1/widgets'), ['(cluster scope)', '(all namespaces)']);
  assert.deepEqual(namespaces('/api/v1/namespaces/shop/pods'), ['shop']);
});
