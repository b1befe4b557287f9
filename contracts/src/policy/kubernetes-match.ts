/**
 * Compiles a rule's `match.kubernetes` into a FacetMatch over one Kubernetes API request
 * (kubernetes-facts.ts). allow covers every value, deny and approval match any (facet-match.ts,
 * docs/adr/0011-allow-covers-every-facet.md); a rule for another protocol never matches a
 * Kubernetes request; an empty match matches every request. The facets are the verb, the API
 * group, the resource (`resource` or `resource/subresource`), the namespace, the name, and for a
 * request that is not for a resource its path.
 *
 * What an allow rule covers beyond what it lists, it must say (as for SSH writes and sudo):
 * - verbs: without `verbs` it covers only get, list and watch; every mutation is named. exec,
 *   attach and portforward are `create` whatever the method (kubectl opens them with a POST or a
 *   WebSocket GET), so an allow rule without verbs never covers one;
 * - subresources: a pattern without `/` never covers a subresource (`pods` covers neither pods/exec
 *   nor pods/log, and unlike RBAC `*` covers none); `pods/*` covers the subresources of pods. The
 *   connections and credentials (exec, attach, portforward, proxy, ephemeralcontainers, token) are
 *   covered only by a pattern that spells the subresource out, never by a wildcard, and never by a
 *   rule that leaves `resources` out;
 * - namespaces: a rule that sets `namespaces` covers a cluster-scoped request only when it lists ""
 *   (cluster scope), and a request across all namespaces (`kubectl get pods -A`) only with a
 *   pattern of nothing but `*`: `prod-*` does not cover a list that includes every namespace. A
 *   request the builder could not place as either must be covered as both;
 * - names: a rule that sets `names` covers a request that names no object (list, watch,
 *   deletecollection, and create, whose name is in the body) only with a pattern of nothing but `*`;
 * - non-resource requests: covered only by a rule that sets `nonResourceURLs`, which covers nothing
 *   else, with one built-in exception: the discovery reads (DISCOVERY_READ_PATHS, GET and HEAD
 *   only) are covered by every allow rule without `nonResourceURLs` that covers `get`, because no
 *   client works without them and they reveal no object.
 * Deny and requireApproval rules read the same lists on the other side: any listed value matches,
 * `secrets` catches every subresource of secrets, any namespace pattern catches a request across
 * all namespaces (it includes them), any names pattern a request that names no object, and a
 * connection is also matched by the verb of its method. A cluster-scoped request is caught by a
 * rule with `namespaces` only when it lists "". An unknown request is never allowed (decide.ts).
 */
import type { KubernetesMatch, PolicyRule } from '@airlock/crds';
import { compileFacetMatch, constantMatch, coverageFor, type FacetConstraint, type FacetMatch } from './facet-match.ts';
import {
  DISCOVERY_READ_PATHS,
  type KubernetesFacts,
  NAMED_ONLY_SUBRESOURCES,
  namespaceValues,
  policyVerbs,
  UNNAMED_OBJECTS,
} from './kubernetes-facts.ts';
import { exactMatcher, nameMatcher, namespaceMatcher, pathMatcher, resourceMatcher } from './kubernetes-patterns.ts';

export type KubernetesRequestMatch = FacetMatch<KubernetesFacts>;
type KubernetesConstraint = FacetConstraint<KubernetesFacts>;

const READS = ['get', 'list', 'watch'];
const isDiscoveryPath = pathMatcher(DISCOVERY_READ_PATHS, 'strict');

/** Stands for a resource request among non-resource paths: a rule with nonResourceURLs covers none. */
const A_RESOURCE_REQUEST = '(a resource request: the rule sets nonResourceURLs)';

const resourceValue = (request: KubernetesFacts): readonly string[] => {
  if (!request.isResourceRequest) return [];
  return [request.subresource ? `${request.resource}/${request.subresource}` : request.resource];
};

/** A GET or HEAD of a discovery path: what every allow rule that covers `get` covers without naming it. */
export function isDiscoveryRead(request: KubernetesFacts): boolean {
  if (request.isResourceRequest || request.nonResourcePath === undefined) return false;
  return policyVerbs(request, true)[0] === 'get' && isDiscoveryPath(request.nonResourcePath);
}

function verbConstraint(kubernetes: KubernetesMatch, strict: boolean): KubernetesConstraint | undefined {
  const verbs = kubernetes.verbs?.length ? kubernetes.verbs : strict ? READS : undefined;
  if (verbs === undefined) return undefined;
  return { facet: 'verb', valuesOf: (request) => policyVerbs(request, strict), accepts: exactMatcher(verbs) };
}

function nonResourceConstraint(kubernetes: KubernetesMatch, strict: boolean): KubernetesConstraint | undefined {
  const pathOf = (request: KubernetesFacts): readonly string[] =>
    request.isResourceRequest || request.nonResourcePath === undefined ? [] : [request.nonResourcePath];
  if (kubernetes.nonResourceURLs?.length) {
    const paths = pathMatcher(kubernetes.nonResourceURLs, strict ? 'strict' : 'lenient');
    if (!strict) return { facet: 'non-resource path', valuesOf: pathOf, accepts: paths };
    return {
      facet: 'non-resource path',
      valuesOf: (request) => (request.isResourceRequest ? [A_RESOURCE_REQUEST] : pathOf(request)),
      accepts: (value) => value !== A_RESOURCE_REQUEST && paths(value),
    };
  }
  if (!strict) return undefined;
  // Without nonResourceURLs an allow rule covers no non-resource request but the discovery reads.
  return {
    facet: 'non-resource path',
    valuesOf: (request) => (isDiscoveryRead(request) ? [] : pathOf(request)),
    accepts: () => false,
  };
}

function resourceConstraint(kubernetes: KubernetesMatch, strict: boolean): KubernetesConstraint | undefined {
  if (kubernetes.resources?.length) {
    return { facet: 'resource', valuesOf: resourceValue, accepts: resourceMatcher(kubernetes.resources, strict ? 'strict' : 'lenient') };
  }
  if (!strict) return undefined;
  // An allow rule that names no resources still covers no connection or credential: those it must spell out.
  return {
    facet: 'resource',
    valuesOf: (request) =>
      request.isResourceRequest && request.subresource && NAMED_ONLY_SUBRESOURCES.has(request.subresource.toLowerCase())
        ? resourceValue(request)
        : [],
    accepts: () => false,
  };
}

/** The facets a Kubernetes match constrains; exported for the policy tools that explain a decision. */
export function kubernetesConstraints(kubernetes: KubernetesMatch, action: PolicyRule['action']): KubernetesConstraint[] {
  const strict = action === 'allow';
  const reading = strict ? 'strict' : 'lenient';
  const resourceFields = [kubernetes.apiGroups, kubernetes.resources, kubernetes.namespaces, kubernetes.names];
  if (kubernetes.nonResourceURLs?.length && resourceFields.some((field) => field?.length)) {
    // A non-resource request has no group, resource, namespace or name: such a rule would be read differently by each action.
    throw new Error('a rule with nonResourceURLs sets no apiGroups, resources, namespaces or names');
  }
  const constraints: (KubernetesConstraint | undefined)[] = [verbConstraint(kubernetes, strict), nonResourceConstraint(kubernetes, strict)];
  if (kubernetes.apiGroups?.length) {
    constraints.push({
      facet: 'API group',
      valuesOf: (request) => (request.isResourceRequest ? [request.apiGroup] : []),
      accepts: exactMatcher(kubernetes.apiGroups),
    });
  }
  constraints.push(resourceConstraint(kubernetes, strict));
  if (kubernetes.namespaces?.length) {
    constraints.push({ facet: 'namespace', valuesOf: namespaceValues, accepts: namespaceMatcher(kubernetes.namespaces, reading) });
  }
  if (kubernetes.names?.length) {
    constraints.push({
      facet: 'name',
      valuesOf: (request) => (request.isResourceRequest ? [request.name || UNNAMED_OBJECTS] : []),
      accepts: nameMatcher(kubernetes.names, reading),
    });
  }
  return constraints.filter((constraint) => constraint !== undefined);
}

export function compileKubernetesMatch(rule: Pick<PolicyRule, 'match' | 'action'>): KubernetesRequestMatch {
  const { match } = rule;
  const coverage = coverageFor(rule.action);
  const others = match.sql ?? match.ssh ?? match.http;
  if (match.kubernetes === undefined) return constantMatch(others === undefined, coverage);
  return compileFacetMatch(kubernetesConstraints(match.kubernetes, rule.action), coverage);
}
