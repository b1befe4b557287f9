import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApprovalPolicySpec, KubernetesMatch, PolicyRule } from '@airlock/crds';
import { compilePolicy, decide } from './decide.ts';
import { type KubernetesFacts, kubernetesKinds, policyVerbs } from './kubernetes-facts.ts';
import { compileKubernetesMatch, isDiscoveryRead, kubernetesConstraints } from './kubernetes-match.ts';
import { nonResourceRequest, resourceRequest, unknownRequest } from './testing/kubernetes-requests.ts';

const matches = (action: PolicyRule['action'], kubernetes: KubernetesMatch, request: KubernetesFacts): boolean =>
  compileKubernetesMatch({ action, match: { kubernetes } }).matches(request);

interface Case {
  readonly name: string;
  readonly match: KubernetesMatch;
  readonly request: KubernetesFacts;
  readonly allow: boolean;
  readonly deny: boolean;
}

const get = (resource: string, where = 'dev', extra = {}) => resourceRequest('get', resource, where, { name: 'x', ...extra });
const list = (resource: string, where = 'dev') => resourceRequest('list', resource, where);

/** Each case: whether an allow rule with the match covers the request, and whether a deny rule with it matches. */
const CASES: readonly Case[] = [
  // verbs
  { name: 'a listed verb', match: { verbs: ['get'] }, request: get('pods'), allow: true, deny: true },
  {
    name: 'an unlisted verb',
    match: { verbs: ['get'] },
    request: resourceRequest('delete', 'pods', 'dev', { name: 'x' }),
    allow: false,
    deny: false,
  },
  { name: 'no verbs: a get', match: {}, request: get('pods'), allow: true, deny: true },
  { name: 'no verbs: a list', match: { resources: ['pods'] }, request: list('pods'), allow: true, deny: true },
  { name: 'no verbs: a watch', match: { resources: ['pods'] }, request: resourceRequest('watch', 'pods', 'dev'), allow: true, deny: true },
  {
    name: 'no verbs: a create',
    match: { resources: ['pods'] },
    request: resourceRequest('create', 'pods', 'dev'),
    allow: false,
    deny: true,
  },
  {
    name: 'no verbs: a patch',
    match: { resources: ['deployments'] },
    request: resourceRequest('patch', 'deployments', 'dev', { name: 'web' }),
    allow: false,
    deny: true,
  },
  { name: 'no verbs: a delete', match: {}, request: resourceRequest('delete', 'pods', 'dev', { name: 'x' }), allow: false, deny: true },
  {
    name: 'no verbs: a deletecollection',
    match: {},
    request: resourceRequest('deletecollection', 'pods', 'dev'),
    allow: false,
    deny: true,
  },
  {
    name: 'a POST exec is create',
    match: { verbs: ['create'], resources: ['pods/exec'] },
    request: resourceRequest('create', 'pods/exec', 'dev', { name: 'x' }),
    allow: true,
    deny: true,
  },
  {
    name: 'a WebSocket exec (GET) is create too',
    match: { verbs: ['create'], resources: ['pods/exec'] },
    request: get('pods/exec'),
    allow: true,
    deny: true,
  },
  {
    name: 'a WebSocket exec is not a get for allow',
    match: { verbs: ['get'], resources: ['pods/exec'] },
    request: get('pods/exec'),
    allow: false,
    deny: true,
  },
  {
    name: 'a WebSocket attach under no verbs',
    match: { resources: ['pods/attach'] },
    request: get('pods/attach'),
    allow: false,
    deny: true,
  },
  // API groups
  { name: 'the core group as ""', match: { apiGroups: [''] }, request: get('pods'), allow: true, deny: true },
  { name: 'another group', match: { apiGroups: ['apps'] }, request: get('pods'), allow: false, deny: false },
  {
    name: 'a listed group',
    match: { apiGroups: ['apps'] },
    request: get('deployments', 'dev', { apiGroup: 'apps' }),
    allow: true,
    deny: true,
  },
  {
    name: 'a wildcard is no group',
    match: { apiGroups: ['*'] },
    request: get('deployments', 'dev', { apiGroup: 'apps' }),
    allow: false,
    deny: false,
  },
  // resources and subresources
  { name: 'the resource', match: { resources: ['pods'] }, request: get('pods'), allow: true, deny: true },
  {
    name: 'pods does not cover pods/exec',
    match: { verbs: ['create'], resources: ['pods'] },
    request: resourceRequest('create', 'pods/exec', 'dev', { name: 'x' }),
    allow: false,
    deny: true,
  },
  { name: 'pods does not cover pods/log', match: { resources: ['pods'] }, request: get('pods/log'), allow: false, deny: true },
  {
    name: 'pods does not cover pods/attach',
    match: { verbs: ['create'], resources: ['pods'] },
    request: resourceRequest('create', 'pods/attach', 'dev', { name: 'x' }),
    allow: false,
    deny: true,
  },
  {
    name: 'pods does not cover pods/portforward',
    match: { verbs: ['create'], resources: ['pods'] },
    request: resourceRequest('create', 'pods/portforward', 'dev', { name: 'x' }),
    allow: false,
    deny: true,
  },
  { name: 'pods does not cover pods/proxy', match: { resources: ['pods'] }, request: get('pods/proxy'), allow: false, deny: true },
  {
    name: 'pods does not cover pods/eviction',
    match: { verbs: ['create'], resources: ['pods'] },
    request: resourceRequest('create', 'pods/eviction', 'dev', { name: 'x' }),
    allow: false,
    deny: true,
  },
  {
    name: '* covers no subresource',
    match: { verbs: ['update'], resources: ['*'] },
    request: resourceRequest('update', 'deployments/status', 'dev', { name: 'web' }),
    allow: false,
    deny: true,
  },
  {
    name: '*/* covers a status write',
    match: { verbs: ['update'], resources: ['*/*'] },
    request: resourceRequest('update', 'deployments/status', 'dev', { name: 'web' }),
    allow: true,
    deny: true,
  },
  { name: 'pods/* covers pods/log', match: { resources: ['pods/*'] }, request: get('pods/log'), allow: true, deny: true },
  { name: 'pods/* is not pods itself', match: { resources: ['pods/*'] }, request: get('pods'), allow: false, deny: false },
  {
    name: 'pods/* does not cover pods/exec',
    match: { verbs: ['create'], resources: ['pods/*'] },
    request: resourceRequest('create', 'pods/exec', 'dev', { name: 'x' }),
    allow: false,
    deny: true,
  },
  { name: '*/* does not cover services/proxy', match: { resources: ['*/*'] }, request: get('services/proxy'), allow: false, deny: true },
  { name: '*/proxy spells proxy out', match: { resources: ['*/proxy'] }, request: get('services/proxy'), allow: true, deny: true },
  {
    name: '*/* does not cover ephemeralcontainers',
    match: { verbs: ['patch'], resources: ['*/*'] },
    request: resourceRequest('patch', 'pods/ephemeralcontainers', 'dev', { name: 'x' }),
    allow: false,
    deny: true,
  },
  {
    name: '*/* does not mint a token',
    match: { verbs: ['create'], resources: ['*/*'] },
    request: resourceRequest('create', 'serviceaccounts/token', 'dev', { name: 'ci' }),
    allow: false,
    deny: true,
  },
  {
    name: 'no resources: no exec',
    match: { verbs: ['create'] },
    request: resourceRequest('create', 'pods/exec', 'dev', { name: 'x' }),
    allow: false,
    deny: true,
  },
  {
    name: 'no resources: other subresources follow the verbs',
    match: { verbs: ['create'] },
    request: resourceRequest('create', 'pods/eviction', 'dev', { name: 'x' }),
    allow: true,
    deny: true,
  },
  {
    name: 'secrets catches a subresource for deny',
    match: { resources: ['secrets'] },
    request: get('secrets/anything'),
    allow: false,
    deny: true,
  },
  { name: 'pods/exec is not pods/log', match: { resources: ['pods/exec'] }, request: get('pods/log'), allow: false, deny: false },
  // namespaces
  { name: 'a listed namespace', match: { namespaces: ['prod-*'] }, request: get('pods', 'prod-eu'), allow: true, deny: true },
  { name: 'an unlisted namespace', match: { namespaces: ['prod-*'] }, request: get('pods', 'dev'), allow: false, deny: false },
  {
    name: 'prod-* and a list across all namespaces',
    match: { namespaces: ['prod-*'] },
    request: list('pods', 'all'),
    allow: false,
    deny: true,
  },
  {
    name: 'a literal namespace and a list across all namespaces',
    match: { namespaces: ['prod'] },
    request: list('pods', 'all'),
    allow: false,
    deny: true,
  },
  { name: '* and a list across all namespaces', match: { namespaces: ['*'] }, request: list('pods', 'all'), allow: true, deny: true },
  { name: '* is not cluster scope', match: { namespaces: ['*'] }, request: list('nodes', 'cluster'), allow: false, deny: false },
  { name: '"" is cluster scope', match: { namespaces: [''] }, request: list('nodes', 'cluster'), allow: true, deny: true },
  { name: '"" is not a namespace', match: { namespaces: [''] }, request: get('pods', 'dev'), allow: false, deny: false },
  { name: '"" is not all namespaces', match: { namespaces: [''] }, request: list('pods', 'all'), allow: false, deny: false },
  {
    name: 'unplaced: * alone does not cover it',
    match: { namespaces: ['*'] },
    request: list('widgets', 'unplaced'),
    allow: false,
    deny: true,
  },
  {
    name: 'unplaced: "" alone does not cover it',
    match: { namespaces: [''] },
    request: list('widgets', 'unplaced'),
    allow: false,
    deny: true,
  },
  { name: 'unplaced: "" and * cover it', match: { namespaces: ['', '*'] }, request: list('widgets', 'unplaced'), allow: true, deny: true },
  { name: 'no namespaces: cluster scope', match: { resources: ['nodes'] }, request: list('nodes', 'cluster'), allow: true, deny: true },
  {
    name: 'a Namespace object is in itself',
    match: { namespaces: ['prod-*'] },
    request: resourceRequest('delete', 'namespaces', 'prod-eu', { name: 'prod-eu' }),
    allow: false,
    deny: true,
  },
  // names
  { name: 'a listed name', match: { names: ['web-*'] }, request: get('deployments', 'dev', { name: 'web-1' }), allow: true, deny: true },
  { name: 'an unlisted name', match: { names: ['web-*'] }, request: get('deployments', 'dev', { name: 'db' }), allow: false, deny: false },
  { name: 'a list names no object', match: { names: ['web-*'] }, request: list('deployments'), allow: false, deny: true },
  {
    name: 'a create names no object',
    match: { verbs: ['create'], names: ['web-*'] },
    request: resourceRequest('create', 'deployments', 'dev'),
    allow: false,
    deny: true,
  },
  {
    name: 'a deletecollection names no object',
    match: { verbs: ['deletecollection'], names: ['web-*'] },
    request: resourceRequest('deletecollection', 'deployments', 'dev'),
    allow: false,
    deny: true,
  },
  { name: '* covers a list', match: { names: ['*'] }, request: list('deployments'), allow: true, deny: true },
  {
    name: 'a list narrowed to one name',
    match: { names: ['web-1'] },
    request: resourceRequest('list', 'deployments', 'dev', { name: 'web-1' }),
    allow: true,
    deny: true,
  },
  {
    name: 'names: case counts for allow, not deny',
    match: { names: ['web'] },
    request: get('deployments', 'dev', { name: 'WEB' }),
    allow: false,
    deny: true,
  },
  // non-resource requests
  {
    name: 'discovery /api under any read rule',
    match: { resources: ['pods'] },
    request: nonResourceRequest('get', '/api'),
    allow: true,
    deny: false,
  },
  {
    name: 'discovery of a group version',
    match: { namespaces: ['dev'] },
    request: nonResourceRequest('get', '/apis/apps/v1'),
    allow: true,
    deny: false,
  },
  { name: 'OpenAPI', match: {}, request: nonResourceRequest('get', '/openapi/v3/apis/apps/v1'), allow: true, deny: true },
  { name: '/version by HEAD', match: {}, request: nonResourceRequest('head', '/version'), allow: true, deny: true },
  {
    name: 'discovery needs a rule that covers get',
    match: { verbs: ['delete'] },
    request: nonResourceRequest('get', '/api'),
    allow: false,
    deny: false,
  },
  {
    name: 'discovery paths by POST are not discovery',
    match: { verbs: ['get', 'create'] },
    request: nonResourceRequest('post', '/apis'),
    allow: false,
    deny: true,
  },
  { name: '/metrics is not discovery', match: {}, request: nonResourceRequest('get', '/metrics'), allow: false, deny: true },
  { name: 'a deep /apis path is not discovery', match: {}, request: nonResourceRequest('get', '/apis/a/b/c'), allow: false, deny: true },
  {
    name: 'nonResourceURLs: a listed path',
    match: { nonResourceURLs: ['/metrics'] },
    request: nonResourceRequest('get', '/metrics'),
    allow: true,
    deny: true,
  },
  {
    name: 'nonResourceURLs: * stays in a segment',
    match: { nonResourceURLs: ['/debug/*'] },
    request: nonResourceRequest('get', '/debug/pprof/heap'),
    allow: false,
    deny: true,
  },
  {
    name: 'nonResourceURLs: ** crosses segments',
    match: { nonResourceURLs: ['/debug/**'] },
    request: nonResourceRequest('get', '/debug/pprof/heap'),
    allow: true,
    deny: true,
  },
  { name: 'nonResourceURLs: no resource request', match: { nonResourceURLs: ['/**'] }, request: get('pods'), allow: false, deny: false },
  {
    name: 'nonResourceURLs: the method still counts',
    match: { nonResourceURLs: ['/metrics'] },
    request: nonResourceRequest('delete', '/metrics'),
    allow: false,
    deny: true,
  },
  {
    name: 'a POST read as create',
    match: { verbs: ['create'], nonResourceURLs: ['/logs/**'] },
    request: nonResourceRequest('post', '/logs/x'),
    allow: true,
    deny: true,
  },
  {
    name: 'a deny rule for a resource never matches a path',
    match: { resources: ['*'] },
    request: nonResourceRequest('get', '/metrics'),
    allow: false,
    deny: false,
  },
];

describe('a match.kubernetes, allow and deny', () => {
  test(`the table has at least 40 cases (${CASES.length})`, () => assert.ok(CASES.length >= 40));
  for (const c of CASES) {
    test(c.name, () => {
      assert.equal(matches('allow', c.match, c.request), c.allow, `allow ${JSON.stringify(c.match)} over ${c.request.text}`);
      assert.equal(matches('deny', c.match, c.request), c.deny, `deny ${JSON.stringify(c.match)} over ${c.request.text}`);
      assert.equal(matches('requireApproval', c.match, c.request), c.deny, 'requireApproval reads lists as deny does');
    });
  }
});

describe('rules of other protocols, and rules that cannot be read', () => {
  test('a rule for another protocol never matches; an empty match matches every request', () => {
    const request = get('pods');
    assert.equal(compileKubernetesMatch({ action: 'deny', match: { sql: { statementKinds: ['read'] } } }).matches(request), false);
    assert.equal(compileKubernetesMatch({ action: 'deny', match: {} }).matches(request), true);
    assert.equal(compileKubernetesMatch({ action: 'allow', match: {} }).matches(resourceRequest('delete', 'pods', 'dev')), true);
  });

  test('nonResourceURLs with resource fields, or a resource pattern with two slashes, does not compile', () => {
    assert.throws(() => kubernetesConstraints({ nonResourceURLs: ['/metrics'], namespaces: ['dev'] }, 'deny'), /nonResourceURLs/);
    assert.throws(() => kubernetesConstraints({ resources: ['pods/exec/x'] }, 'allow'), /resource or resource\/subresource/);
    assert.throws(() => kubernetesConstraints({ resources: ['pods/'] }, 'deny'), /resource or resource\/subresource/);
  });

  test('an empty list constrains nothing, and for allow verbs: [] still means reads only', () => {
    assert.ok(matches('deny', { verbs: [] }, resourceRequest('delete', 'pods', 'dev')));
    assert.ok(!matches('allow', { verbs: [] }, resourceRequest('delete', 'pods', 'dev')));
  });
});

describe('what the facts say about a request', () => {
  test('kinds: reads are get, list, watch and non-resource GET and HEAD; a connection is never a read', () => {
    assert.deepEqual(kubernetesKinds(get('pods')), ['read']);
    assert.deepEqual(kubernetesKinds(get('pods/log')), ['read']);
    assert.deepEqual(kubernetesKinds(get('pods/exec')), ['write']);
    assert.deepEqual(kubernetesKinds(get('nodes/proxy', 'cluster')), ['write']);
    assert.deepEqual(kubernetesKinds(resourceRequest('patch', 'pods', 'dev')), ['write']);
    assert.deepEqual(kubernetesKinds(nonResourceRequest('head', '/version')), ['read']);
    assert.deepEqual(kubernetesKinds(nonResourceRequest('post', '/apis')), ['write']);
    assert.deepEqual(kubernetesKinds({ isResourceRequest: false }), ['unknown']);
  });

  test('verbs: a connection is create for allow, and also its method for deny', () => {
    assert.deepEqual(policyVerbs(get('pods/exec'), true), ['create']);
    assert.deepEqual(policyVerbs(get('pods/exec'), false), ['get', 'create']);
    assert.deepEqual(policyVerbs(get('pods/proxy'), true), ['get']);
    assert.deepEqual(policyVerbs(nonResourceRequest('put', '/x'), true), ['update']);
    assert.deepEqual(policyVerbs(unknownRequest(), false), []);
  });

  test('discovery reads are GET and HEAD of the documented paths only', () => {
    for (const path of ['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/openapi/v2', '/openapi/v3/api/v1', '/version']) {
      assert.ok(isDiscoveryRead(nonResourceRequest('get', path)), path);
    }
    for (const path of ['/', '/healthz', '/metrics', '/versions', '/version/x', '/apis/apps/v1/x', '/logs']) {
      assert.ok(!isDiscoveryRead(nonResourceRequest('get', path)), path);
    }
    assert.ok(!isDiscoveryRead(nonResourceRequest('delete', '/api')));
    assert.ok(!isDiscoveryRead(get('pods')));
  });
});

describe('decided by a policy', () => {
  const spec: ApprovalPolicySpec = {
    rules: [
      { name: 'reads', match: { kubernetes: { verbs: ['get', 'list', 'watch'] } }, action: 'allow' },
      { name: 'no-secrets', match: { kubernetes: { resources: ['secrets'] } }, action: 'deny' },
      {
        name: 'prod-exec',
        match: { kubernetes: { resources: ['pods/exec'], namespaces: ['prod-*'] } },
        action: 'requireApproval',
      },
    ],
    defaultAction: 'deny',
    approval: { approvers: { groups: ['sre'] } },
  };
  const policies = [compilePolicy({ name: 'cluster', namespace: 'agents', spec }, compileKubernetesMatch)];
  const decided = (request: KubernetesFacts) => decide(request, policies);

  test('reads are allowed, Secrets are not, exec in prod waits for approval, exec elsewhere is denied', () => {
    assert.equal(decided(list('pods', 'all')).action, 'allow');
    assert.equal(decided(nonResourceRequest('get', '/apis')).action, 'allow');
    assert.equal(decided(get('secrets')).verdict?.rule, 'no-secrets');
    assert.equal(decided(list('secrets', 'all')).action, 'deny');
    assert.equal(decided(get('pods/exec', 'prod-eu')).action, 'requireApproval');
    assert.equal(decided(get('pods/exec', 'dev')).action, 'deny');
    assert.equal(decided(resourceRequest('delete', 'pods', 'dev', { name: 'x' })).action, 'deny');
  });

  test('a request an allow rule nearly covers says what the rule does not list', () => {
    const namespaced = compilePolicy(
      {
        name: 'namespaced',
        namespace: 'agents',
        spec: {
          rules: [{ name: 'every-namespace', match: { kubernetes: { namespaces: ['*'] } }, action: 'allow' }],
          defaultAction: 'deny',
        },
      },
      compileKubernetesMatch,
    );
    // Whether widgets are namespaced is not known: the list may be of cluster-scoped objects.
    const decision = decide(list('widgets', 'unplaced'), [namespaced]);
    assert.equal(decision.action, 'deny');
    assert.deepEqual(decision.verdict?.uncovered, { rule: 'every-namespace', facet: 'namespace', values: ['(cluster scope)'] });
    assert.match(decision.reason, /does not allow namespace \(cluster scope\)/);
  });

  test('an unknown request is never allowed, even by an allow rule with an empty match', () => {
    const open = compilePolicy(
      {
        name: 'open',
        namespace: 'agents',
        spec: { rules: [{ name: 'all', match: { kubernetes: {} }, action: 'allow' }], defaultAction: 'allow' },
      },
      compileKubernetesMatch,
    );
    const decision = decide(unknownRequest(), [open]);
    assert.equal(decision.action, 'deny');
    assert.equal(decision.failedClosed, true);
    assert.match(decision.reason, /could not be classified: an encoded slash/);
  });
});
