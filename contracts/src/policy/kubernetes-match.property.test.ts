/**
 * Properties of match.kubernetes over generated rules and requests (ADR 0011): an allow rule never
 * covers a verb, group, resource, subresource, namespace, name or path it does not list; what an
 * allow list covers, the same list in a deny rule catches; and a longer list never narrows a rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesMatch, PolicyRule } from '@airlock/crds';
import fc from 'fast-check';
import {
  type KubernetesFacts,
  type KubernetesNonResourceVerb,
  type KubernetesResourceVerb,
  NAMED_ONLY_SUBRESOURCES,
  policyVerbs,
} from './kubernetes-facts.ts';
import { compileKubernetesMatch, isDiscoveryRead } from './kubernetes-match.ts';
import { nonResourceRequest, resourceRequest } from './testing/kubernetes-requests.ts';

const VERBS: readonly KubernetesResourceVerb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const METHODS: readonly KubernetesNonResourceVerb[] = ['get', 'head', 'post', 'put', 'patch', 'delete'];
const GROUPS = ['', 'apps', 'rbac.authorization.k8s.io'];
const RESOURCES = ['pods', 'secrets', 'deployments', 'nodes', 'namespaces'];
const SUBRESOURCES = ['exec', 'attach', 'log', 'status', 'proxy', 'token', 'eviction', 'ephemeralcontainers'];
const WHERE = ['dev', 'prod-eu', 'prod-us', 'cluster', 'all', 'unplaced'];
const NAMES = ['web', 'web-1', 'db'];
const PATHS = ['/api', '/apis/apps/v1', '/openapi/v3', '/version', '/metrics', '/healthz', '/logs/kubelet.log', '/'];

/** Patterns an oracle can judge by hand: literal, `*`, or a literal prefix and `*`. */
const RESOURCE_PATTERNS = [
  'pods',
  'secrets',
  '*',
  'pods/*',
  '*/*',
  'pods/exec',
  'pods/log',
  '*/proxy',
  'deployments/status',
  'serviceaccounts/token',
];
const NAMESPACE_PATTERNS = ['dev', 'prod-eu', 'prod-*', '*', ''];
const NAME_PATTERNS = ['web', 'web-*', 'db', '*'];
const PATH_PATTERNS = ['/metrics', '/healthz', '/logs/*', '/logs/**', '/**', '/version'];

const subset = <T>(values: readonly T[], minLength = 1) =>
  fc.uniqueArray(fc.constantFrom(...values), { minLength, maxLength: values.length });

const resourceArb: fc.Arbitrary<KubernetesFacts> = fc
  .record({
    verb: fc.constantFrom(...VERBS),
    group: fc.constantFrom(...GROUPS),
    resource: fc.constantFrom(...RESOURCES),
    subresource: fc.option(fc.constantFrom(...SUBRESOURCES), { nil: undefined }),
    where: fc.constantFrom(...WHERE),
    name: fc.option(fc.constantFrom(...NAMES), { nil: undefined }),
  })
  .map(({ verb, group, resource, subresource, where, name }) =>
    resourceRequest(verb, subresource === undefined ? resource : `${resource}/${subresource}`, where, {
      apiGroup: group,
      ...(name === undefined ? {} : { name }),
    }),
  );

const nonResourceArb: fc.Arbitrary<KubernetesFacts> = fc
  .record({ method: fc.constantFrom(...METHODS), path: fc.constantFrom(...PATHS) })
  .map(({ method, path }) => nonResourceRequest(method, path));

const requestArb = fc.oneof({ arbitrary: resourceArb, weight: 4 }, { arbitrary: nonResourceArb, weight: 1 });

const resourceMatchArb: fc.Arbitrary<KubernetesMatch> = fc.record(
  {
    verbs: subset(VERBS),
    apiGroups: subset(GROUPS),
    resources: subset(RESOURCE_PATTERNS),
    namespaces: subset(NAMESPACE_PATTERNS),
    names: subset(NAME_PATTERNS),
  },
  { requiredKeys: [] },
);
const nonResourceMatchArb: fc.Arbitrary<KubernetesMatch> = fc.record(
  { verbs: subset(VERBS), nonResourceURLs: subset(PATH_PATTERNS) },
  { requiredKeys: ['nonResourceURLs'] },
);
const matchArb = fc.oneof({ arbitrary: resourceMatchArb, weight: 4 }, { arbitrary: nonResourceMatchArb, weight: 1 });

const matches = (action: PolicyRule['action'], kubernetes: KubernetesMatch, request: KubernetesFacts): boolean =>
  compileKubernetesMatch({ action, match: { kubernetes } }).matches(request);

/** The oracle's reading of one name pattern. */
const named = (pattern: string, value: string): boolean =>
  pattern === value ||
  pattern === '*' ||
  (pattern.endsWith('*') && !pattern.slice(0, -1).includes('*') && value.startsWith(pattern.slice(0, -1)));

/** Whether `patterns` say, in so many words, that an allow rule may touch `value` of a resource request. */
function resourceListed(patterns: readonly string[], resource: string, subresource: string | undefined): boolean {
  if (subresource === undefined) return patterns.some((pattern) => !pattern.includes('/') && named(pattern, resource));
  return patterns.some((pattern) => {
    const [r, s] = pattern.split('/');
    if (s === undefined || !named(r!, resource)) return false;
    return s === subresource || (s === '*' && !NAMED_ONLY_SUBRESOURCES.has(subresource));
  });
}

test('an allow rule never covers what it does not list', () => {
  fc.assert(
    fc.property(matchArb, requestArb, (match, request) => {
      if (!matches('allow', match, request)) return;
      const [verb] = policyVerbs(request, true);
      assert.ok((match.verbs?.length ? match.verbs : ['get', 'list', 'watch']).includes(verb as KubernetesResourceVerb), `verb ${verb}`);
      if (!request.isResourceRequest) {
        if (match.nonResourceURLs === undefined) assert.ok(isDiscoveryRead(request), `${request.nonResourcePath} without nonResourceURLs`);
        return;
      }
      assert.equal(match.nonResourceURLs, undefined, 'a rule with nonResourceURLs covers no resource request');
      if (match.apiGroups) assert.ok(match.apiGroups.includes(request.apiGroup), `group ${request.apiGroup}`);
      const sub = request.subresource || undefined;
      if (match.resources) assert.ok(resourceListed(match.resources, request.resource, sub), `resource ${request.resource}/${sub}`);
      else assert.ok(sub === undefined || !NAMED_ONLY_SUBRESOURCES.has(sub), `${sub} without resources`);
      if (match.namespaces) {
        const { namespace, scope } = request;
        if (namespace)
          assert.ok(
            match.namespaces.some((p) => p !== '' && named(p, namespace)),
            `namespace ${namespace}`,
          );
        if (!namespace && scope !== 'all-namespaces') assert.ok(match.namespaces.includes(''), 'cluster scope without ""');
        if (!namespace && scope !== 'cluster') assert.ok(match.namespaces.includes('*'), 'all namespaces without *');
      }
      if (match.names) {
        const { name } = request;
        assert.ok(name ? match.names.some((p) => named(p, name)) : match.names.includes('*'), `name ${name ?? '(none)'}`);
      }
    }),
    { numRuns: 3000 },
  );
});

test('what an allow list covers of resource requests, the same list in a deny rule catches', () => {
  fc.assert(
    fc.property(resourceMatchArb, resourceArb, (match, request) => {
      if (matches('allow', match, request)) assert.ok(matches('deny', match, request));
    }),
    { numRuns: 3000 },
  );
});

/** A match with one more pattern in one list it already sets. */
const widenedArb = (match: KubernetesMatch): fc.Arbitrary<KubernetesMatch> => {
  const lists: Record<string, readonly string[]> = {
    verbs: VERBS,
    apiGroups: GROUPS,
    resources: RESOURCE_PATTERNS,
    namespaces: NAMESPACE_PATTERNS,
    names: NAME_PATTERNS,
    nonResourceURLs: PATH_PATTERNS,
  };
  const set = Object.keys(lists).filter((field) => (match as Record<string, unknown>)[field] !== undefined);
  if (set.length === 0) return fc.constant(match);
  return fc.constantFrom(...set).chain((field) =>
    fc.constantFrom(...lists[field]!).map((pattern) => {
      const current = (match as Record<string, readonly string[]>)[field]!;
      return { ...match, [field]: [...new Set([...current, pattern])] } as KubernetesMatch;
    }),
  );
};

test('one more pattern in a list a rule sets never narrows it, for any action', () => {
  fc.assert(
    fc.property(
      matchArb.chain((match) => widenedArb(match).map((wider) => ({ match, wider }))),
      requestArb,
      fc.constantFrom<PolicyRule['action']>('allow', 'deny', 'requireApproval'),
      ({ match, wider }, request, action) => {
        if (matches(action, match, request)) assert.ok(matches(action, wider, request), JSON.stringify(wider));
      },
    ),
    { numRuns: 3000 },
  );
});
