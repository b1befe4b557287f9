import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeKubernetesRequest } from './describe-request.ts';
import { parseKubernetesRequest, splitRequestTarget } from './parse-request.ts';

const describeTarget = (method: string, target: string) =>
  describeKubernetesRequest(parseKubernetesRequest({ method, ...splitRequestTarget(target) }));

describe('describeKubernetesRequest', () => {
  test('values that are not plain words are quoted, so a name never reads as more words', () => {
    assert.equal(describeTarget('GET', "/api/v1/namespaces/shop/pods/web'0"), "get pods 'web'\\''0' -n shop");
    assert.equal(describeTarget('GET', '/api/v1/namespaces/shop/pods/web-0;-n'), "get pods 'web-0;-n' -n shop");
    assert.equal(describeTarget('GET', '/api/v1/pods?labelSelector=app+notin+%28a%29'), "get pods -A -l 'app notin (a)'");
  });

  test('a request the parser refuses is shown by its code only, never by its content', () => {
    assert.equal(describeTarget('GET', '/api/v1/namespaces/shop/pods/%2E%2E'), 'unknown request (DotSegment)');
  });

  test('the scope is always written out', () => {
    assert.equal(describeTarget('GET', '/apis/apps/v1/deployments'), 'get deployments -A');
    assert.equal(
      describeTarget('GET', '/api/v1/pods?fieldSelector=metadata.name%3Dweb-0'),
      'get pods -A --field-selector metadata.name=web-0',
    );
    assert.equal(describeTarget('GET', '/api/v1/watch/nodes/node-1'), 'get nodes node-1 --watch');
    assert.equal(describeTarget('POST', '/api/v1/namespaces/shop/pods'), 'create pods -n shop');
  });

  test('a deletecollection says what it deletes', () => {
    assert.equal(describeTarget('DELETE', '/api/v1/namespaces/shop/pods'), 'delete pods --all -n shop');
    assert.equal(describeTarget('DELETE', '/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb'), 'delete pods -n shop -l app=web');
  });

  test('connections and logs read as kubectl commands; other verbs on them do not', () => {
    assert.equal(describeTarget('POST', '/api/v1/namespaces/shop/pods/web-0/attach'), 'attach pods/web-0 -n shop');
    assert.equal(describeTarget('DELETE', '/api/v1/namespaces/shop/pods/web-0/exec'), 'delete pods web-0 --subresource=exec -n shop');
    assert.equal(describeTarget('POST', '/api/v1/namespaces/shop/pods/web-0/log'), 'create pods web-0 --subresource=log -n shop');
  });

  test('groups other than the core and built-in ones qualify the resource', () => {
    assert.equal(
      describeTarget('DELETE', '/apis/airlock.dev/v1alpha1/namespaces/shop/targets/db'),
      'delete targets.airlock.dev db -n shop',
    );
    assert.equal(describeTarget('GET', '/apis/metrics.k8s.io/v1beta1/nodes'), 'get nodes.metrics.k8s.io -A');
    assert.equal(
      describeTarget('GET', '/apis/example.com/v1/namespaces/shop/things/a/proxy/x'),
      'proxy get things.example.com/a /x -n shop',
    );
  });

  test('subresource names are looked up as data, not as object properties', () => {
    assert.equal(
      describeTarget('GET', '/api/v1/namespaces/shop/pods/web-0/constructor'),
      'get pods web-0 --subresource=constructor -n shop',
    );
  });

  test('non-resource requests show their verb and path', () => {
    assert.equal(describeTarget('HEAD', '/healthz'), 'head /healthz');
    assert.equal(describeTarget('POST', '/apis'), 'post /apis');
  });
});
