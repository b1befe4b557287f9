import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseKubernetesRequest, splitRequestTarget } from '../kubernetes/parse-request.ts';
import { kubernetesRequestFacts, type ResourceScopeLookup } from './kubernetes-request-facts.ts';

const facts = (method: string, target: string, namespaced?: ResourceScopeLookup) =>
  kubernetesRequestFacts(parseKubernetesRequest({ method, ...splitRequestTarget(target) }), namespaced);

const discovery: ResourceScopeLookup = ({ resource }) => resource !== 'nodes' && resource !== 'namespaces';

describe('kubernetesRequestFacts', () => {
  test('a namespaced delete names its object and namespace, in kubectl terms', () => {
    const request = facts('DELETE', '/apis/apps/v1/namespaces/prod-eu/deployments/orders');
    assert.equal(request.text, 'delete deployments orders -n prod-eu');
    assert.deepEqual(request.kinds, ['write']);
    assert.ok(request.isResourceRequest);
    assert.equal(request.verb, 'delete');
    assert.equal(request.apiGroup, 'apps');
    assert.equal(request.namespace, 'prod-eu');
    assert.equal(request.scope, 'namespace');
    assert.equal(request.name, 'orders');
  });

  test('without a namespace the scope comes from discovery, or is left out when it is not known', () => {
    const pods = facts('GET', '/api/v1/pods', discovery);
    assert.ok(pods.isResourceRequest);
    assert.equal(pods.scope, 'all-namespaces');
    const nodes = facts('GET', '/api/v1/nodes', discovery);
    assert.ok(nodes.isResourceRequest);
    assert.equal(nodes.scope, 'cluster');
    const unplaced = facts('GET', '/api/v1/pods');
    assert.ok(unplaced.isResourceRequest);
    assert.equal(unplaced.scope, undefined);
  });

  test('a create names no object, a create of a subresource names the object it acts on', () => {
    const create = facts('POST', '/api/v1/namespaces/shop/pods');
    assert.ok(create.isResourceRequest);
    assert.equal(create.name, undefined);
    const eviction = facts('POST', '/api/v1/namespaces/shop/pods/web-0/eviction');
    assert.ok(eviction.isResourceRequest);
    assert.equal(eviction.name, 'web-0');
    assert.equal(eviction.subresource, 'eviction');
  });

  test('an exec is a write and keeps the connection subresource', () => {
    const exec = facts('GET', '/api/v1/namespaces/prod/pods/web-0/exec?command=ls&stdout=true');
    assert.ok(exec.isResourceRequest);
    assert.deepEqual(exec.kinds, ['write']);
    assert.equal(exec.subresource, 'exec');
  });

  test('a dry run is carried', () => {
    const dry = facts('DELETE', '/api/v1/namespaces/prod/pods/web-0?dryRun=All');
    assert.equal(dry.dryRun, true);
  });

  test('discovery is a non-resource read; what the parser refuses is unknown with its reason', () => {
    const version = facts('GET', '/version');
    assert.deepEqual(version.kinds, ['read']);
    assert.equal(version.nonResourcePath, '/version');
    const smuggled = facts('GET', '/api/v1/namespaces/a%2Fb/pods');
    assert.deepEqual(smuggled.kinds, ['unknown']);
    assert.match(smuggled.unknownReason ?? '', /slash/);
  });
});

test('a cluster-scoped collection is described without -A once discovery says so', () => {
  assert.equal(facts('GET', '/api/v1/nodes', discovery).text, 'get nodes');
  assert.equal(facts('GET', '/api/v1/nodes').text, 'get nodes -A');
  assert.equal(facts('GET', '/api/v1/pods', discovery).text, 'get pods -A');
});
