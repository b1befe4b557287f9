import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeKubernetesRequest } from './describe-request.ts';
import { parseKubernetesRequest, splitRequestTarget } from './parse-request.ts';
import type { KubernetesRequestInfo, UnknownRequestCode } from './request-info.ts';
import { REQUEST_CORPUS, type RequestCase } from './testing/request-corpus.ts';

const parse = (c: Pick<RequestCase, 'method' | 'target'>): KubernetesRequestInfo =>
  parseKubernetesRequest({ method: c.method, ...splitRequestTarget(c.target) });

/** The unknown result without its reason text, which is for people and may be reworded. */
const comparable = (info: KubernetesRequestInfo) => (info.kind === 'unknown' ? { kind: info.kind, code: info.code } : info);

describe('the request corpus (the end-to-end test sends it to a real API server)', () => {
  for (const c of REQUEST_CORPUS) {
    test(`${c.title}: ${c.method} ${c.target}`, () => {
      const info = parse(c);
      assert.deepEqual(comparable(info), c.expect);
      if (c.describe !== undefined) assert.equal(describeKubernetesRequest(info), c.describe);
    });
  }

  test('has at least 80 entries, unique titles and request lines', () => {
    assert.ok(REQUEST_CORPUS.length >= 80, `${REQUEST_CORPUS.length} entries`);
    assert.equal(new Set(REQUEST_CORPUS.map((c) => c.title)).size, REQUEST_CORPUS.length);
    assert.equal(new Set(REQUEST_CORPUS.map((c) => `${c.method} ${c.target}`)).size, REQUEST_CORPUS.length);
  });

  test('covers every verb, every refusal code and every non-resource category', () => {
    const verbs = new Set(REQUEST_CORPUS.flatMap((c) => (c.expect.kind === 'resource' ? [c.expect.verb] : [])));
    assert.deepEqual([...verbs].sort(), ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    const codes = new Set(REQUEST_CORPUS.flatMap((c) => (c.expect.kind === 'unknown' ? [c.expect.code] : [])));
    const allCodes: UnknownRequestCode[] = [
      'UnsupportedMethod',
      'MalformedPath',
      'EncodedSlash',
      'DotSegment',
      'EmptySegment',
      'MissingResource',
      'LegacyProxyPath',
      'PathAfterSubresource',
      'MalformedQuery',
      'ConflictingQueryParameter',
      'UnclearWatchValue',
      'InvalidListOption',
      'ConflictingNameSelector',
      'NameSelectorWithLabelSelector',
    ];
    assert.deepEqual([...codes].sort(), allCodes.sort());
    const categories = new Set(REQUEST_CORPUS.flatMap((c) => (c.expect.kind === 'non-resource' ? [c.expect.category] : [])));
    assert.deepEqual([...categories].sort(), ['discovery', 'health', 'openapi', 'other', 'version']);
  });

  test('every entry the parser refuses and the end-to-end test sends says how the API server reads it', () => {
    for (const c of REQUEST_CORPUS) {
      if (!c.live.send) continue;
      assert.equal(c.live.serverReads !== undefined, c.expect.kind === 'unknown', c.title);
    }
  });
});

describe('splitRequestTarget', () => {
  test('splits at the first ?', () => {
    assert.deepEqual(splitRequestTarget('/api/v1/pods?watch=1&x=?'), { path: '/api/v1/pods', query: 'watch=1&x=?' });
    assert.deepEqual(splitRequestTarget('/version'), { path: '/version', query: '' });
  });
});

describe('parseKubernetesRequest beyond the corpus', () => {
  const codeOf = (method: string, target: string) => {
    const info = parse({ method, target });
    return info.kind === 'unknown' ? info.code : info.kind;
  };

  test('the unknown reason never quotes the request', () => {
    const info = parse({ method: 'GET', target: '/api/v1/namespaces/shop/pods/%2E%2E?labelSelector=secret-value%0A' });
    assert.equal(info.kind, 'unknown');
    assert.ok(info.kind === 'unknown' && !info.reason.includes('shop'));
  });

  test('the path is checked before the query, the method before both', () => {
    assert.equal(codeOf('TRACE', '/api/v1/pods/..?watch=1;x'), 'UnsupportedMethod');
    assert.equal(codeOf('GET', '/api/v1/pods/..?watch=1;x'), 'DotSegment');
  });

  test('a malformed query makes even a non-resource request unknown', () => {
    assert.equal(codeOf('GET', '/version?a=%zz'), 'MalformedQuery');
  });

  test('characters outside a URL are refused in path and query', () => {
    assert.equal(codeOf('GET', '/api/v1/pods/web"0'), 'MalformedPath');
    assert.equal(codeOf('GET', '/api/v1/pods?labelSelector=a<b'), 'MalformedQuery');
    assert.equal(codeOf('GET', '/api/v1/pods#x'), 'MalformedPath');
  });

  test('limit and timeoutSeconds read as Go reads an int64', () => {
    assert.equal(codeOf('GET', '/api/v1/pods?limit=%2B5'), 'resource');
    assert.equal(codeOf('GET', '/api/v1/pods?timeoutSeconds=-1'), 'resource');
    assert.equal(codeOf('GET', '/api/v1/pods?limit=9223372036854775807'), 'resource');
    assert.equal(codeOf('GET', '/api/v1/pods?limit=9223372036854775808'), 'InvalidListOption');
    assert.equal(codeOf('GET', '/api/v1/pods?timeoutSeconds='), 'InvalidListOption');
    assert.equal(codeOf('GET', '/api/v1/pods?limit=1_000'), 'InvalidListOption');
  });

  test('list options are not checked where the API server does not decode them', () => {
    assert.equal(codeOf('GET', '/api/v1/namespaces/shop/pods/web-0?limit=abc&watch=maybe'), 'resource');
    assert.equal(codeOf('DELETE', '/api/v1/namespaces/shop/pods?fieldSelector=nonsense'), 'resource');
  });

  test('an empty metadata.name names nothing, and conflicts with a real one', () => {
    const info = parse({ method: 'GET', target: '/api/v1/pods?fieldSelector=metadata.name%3D' });
    assert.ok(info.kind === 'resource' && info.verb === 'list' && info.name === '');
    assert.equal(codeOf('GET', '/api/v1/pods?fieldSelector=metadata.name%3D%2Cmetadata.name%3Dweb-0'), 'ConflictingNameSelector');
  });

  test('field selector escapes: an escaped comma is part of the value', () => {
    const info = parse({ method: 'GET', target: '/api/v1/pods?fieldSelector=metadata.name%3Da%5C%2Cb' });
    assert.ok(info.kind === 'resource');
    assert.equal(info.name, 'a,b');
    assert.equal(codeOf('GET', '/api/v1/pods?fieldSelector=metadata.name%3Da%5Cb'), 'InvalidListOption');
    assert.equal(codeOf('GET', '/api/v1/pods?fieldSelector=metadata.name%3Dab%5C'), 'InvalidListOption');
  });

  test('watch values are looked up as data, not as object properties', () => {
    for (const value of ['constructor', 'toString', '__proto__'])
      assert.equal(codeOf('GET', `/api/v1/pods?watch=${value}`), 'UnclearWatchValue');
  });

  test('a repeated parameter with the same value is read once', () => {
    const info = parse({ method: 'GET', target: '/api/v1/pods?watch=1&watch=1&labelSelector=a&labelSelector=a' });
    assert.ok(info.kind === 'resource' && info.verb === 'watch' && info.labelSelector === 'a');
  });

  test('encoded keys are decoded as the API server decodes them', () => {
    const info = parse({ method: 'GET', target: '/api/v1/pods?wat%63h=1' });
    assert.ok(info.kind === 'resource' && info.verb === 'watch');
  });

  test('too many query parameters', () => {
    assert.equal(codeOf('GET', `/api/v1/pods?${'a=1&'.repeat(1001)}`), 'MalformedQuery');
  });

  test('/apis with a group and a version but nothing after is discovery; with one more part a resource', () => {
    assert.equal(codeOf('GET', '/apis/apps/v1'), 'non-resource');
    assert.equal(codeOf('GET', '/apis/apps/v1/deployments'), 'resource');
    assert.equal(codeOf('GET', '/apis/apps/v1/proxy'), 'MissingResource');
  });

  test('the legacy watch form keeps subresources; the namespace form without resource is the namespace', () => {
    const info = parse({ method: 'GET', target: '/api/v1/watch/namespaces/shop/pods/web-0/status' });
    assert.ok(info.kind === 'resource');
    assert.deepEqual([info.verb, info.resource, info.name, info.subresource], ['watch', 'pods', 'web-0', 'status']);
  });
});
