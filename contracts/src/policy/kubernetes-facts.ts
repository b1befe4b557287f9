/**
 * One request to the Kubernetes API, as the policy reads it (kubernetes-match.ts), and the few
 * readings of it that are the policy's own rather than the API server's: which requests are reads,
 * which verb a connection is, where a request without a namespace acts, and which non-resource
 * requests are the discovery reads every client needs.
 *
 * The attributes are the API server's (its RequestInfo: what its authorizer and audit log see);
 * whoever builds the facts resolves them from the request line, and from discovery where the path
 * alone cannot tell (whether a resource is namespaced). What could not be resolved is `unknown`,
 * and an unknown request is never allowed (decide.ts).
 */
import type { OperationFacts } from './operation.ts';

/** A resource request's verb, as the API server derives it from the method, the path and the query. */
export type KubernetesResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
/** A non-resource request's verb: its HTTP method, lower-cased, as the API server authorizes it. */
export type KubernetesNonResourceVerb = 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete';

/** read: get, list or watch of a resource, or GET/HEAD of a non-resource path; write: anything else; unknown: not placed. */
export type KubernetesKind = 'read' | 'write' | 'unknown';

/**
 * Where a resource request acts. `namespace`: in `namespace`. `cluster`: on a cluster-scoped
 * resource (nodes, namespaces, ClusterRoles, CRDs). `all-namespaces`: on a namespaced resource
 * across every namespace (`kubectl get pods -A`). The path alone does not say which of the last two
 * a request without a namespace is; when the builder cannot tell, it leaves `scope` out and the
 * request is read as both (kubernetes-match.ts: an allow rule must cover both, a deny rule either).
 */
export type KubernetesScope = 'namespace' | 'cluster' | 'all-namespaces';

interface KubernetesRequestFacts extends OperationFacts {
  /** ['read'] or ['write'] (kubernetesKinds), or ['unknown'] when the request could not be placed. */
  readonly kinds: readonly KubernetesKind[];
  /** A write the API server only validates (`dryRun=All`). Not matched by rules; shown to reviewers. */
  readonly dryRun: boolean;
}

/** A request under /api/<version> or /apis/<group>/<version> that names a resource. */
export interface KubernetesResourceFacts extends KubernetesRequestFacts {
  readonly isResourceRequest: true;
  readonly verb: KubernetesResourceVerb;
  /** '' for the core group (/api/v1). */
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** Lower-case plural, as in the path: pods, deployments. */
  readonly resource: string;
  /** exec, log, status, scale...; absent (or '') for the resource itself. */
  readonly subresource?: string;
  /**
   * Absent (or '') for a cluster-scoped request and for one across all namespaces (`scope` tells
   * which). For the namespaces resource itself it is the namespace's name, as the API server's
   * authorizer reads it (`kubectl delete namespace prod` is in prod).
   */
  readonly namespace?: string;
  /** See KubernetesScope; read only when `namespace` is absent. */
  readonly scope?: KubernetesScope;
  /**
   * The object the request names: in the path, or by `fieldSelector=metadata.name=` of a list or
   * watch. Absent (or '') when it names none: list, watch, deletecollection, and create (the name
   * is in the body, which the policy does not read).
   */
  readonly name?: string;
  readonly nonResourcePath?: undefined;
}

/** A request to a path that is not a resource: discovery, /version, /healthz, /openapi/v3, /metrics. */
export interface KubernetesNonResourceFacts extends KubernetesRequestFacts {
  readonly isResourceRequest: false;
  readonly verb: KubernetesNonResourceVerb;
  /** The decoded path without the query. */
  readonly nonResourcePath: string;
}

/** A request that could not be placed: its kinds are ['unknown'], `unknownReason` says why. */
export interface KubernetesUnknownFacts extends KubernetesRequestFacts {
  readonly isResourceRequest: false;
  readonly verb?: undefined;
  readonly nonResourcePath?: undefined;
}

/** One request to the Kubernetes API, as a `match.kubernetes` reads it. */
export type KubernetesFacts = KubernetesResourceFacts | KubernetesNonResourceFacts | KubernetesUnknownFacts;

/**
 * Subresources that connect to what runs in the cluster rather than read or write an object: a
 * command in a container, its terminal, a port, an HTTP server behind the API server (a pod's, a
 * service's, a node's kubelet). A GET of one opens that connection, so it is not a read.
 */
export const CONNECT_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward', 'proxy']);

/**
 * Subresources an allow rule covers only when a `resources` pattern spells them out (pods/exec,
 * services/proxy), never through a wildcard subresource (pods/*) or a rule that leaves `resources`
 * out: the connections, adding a container to a running pod (what `kubectl debug` does), and minting a
 * service account token (a credential the agent could use without airlock).
 */
export const NAMED_ONLY_SUBRESOURCES: ReadonlySet<string> = new Set([...CONNECT_SUBRESOURCES, 'ephemeralcontainers', 'token']);

/**
 * Connections that run a command or open a stream are read as `create` whatever the method:
 * kubectl opens them with a POST, or with a GET that upgrades to a WebSocket, and either one runs
 * the same command. (proxy keeps the method's verb: a GET through it is a GET to the server behind.)
 */
const CREATE_WHATEVER_THE_METHOD: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward']);

/** A non-resource request's method read as the verb of a resource request that does the same. */
const METHOD_AS_VERB: Readonly<Record<KubernetesNonResourceVerb, KubernetesResourceVerb>> = {
  get: 'get',
  head: 'get',
  post: 'create',
  put: 'update',
  patch: 'patch',
  delete: 'delete',
};

const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

/** What kinds and verbs are read from: a request's facts, or what a builder has of them before it sets `kinds`. */
export interface KubernetesRequestShape {
  readonly isResourceRequest: boolean;
  readonly verb?: string | undefined;
  readonly subresource?: string | undefined;
}

/**
 * The verbs a rule's `verbs` reads a request as. allow (`strict`): one, the verb above. deny and
 * requireApproval: also the API server's own verb for a connection, so that a rule written for
 * the GET of a WebSocket exec catches it too. None for an unknown request.
 */
export function policyVerbs(request: KubernetesRequestShape, strict: boolean): readonly string[] {
  const { verb, subresource } = request;
  if (verb === undefined) return [];
  if (!request.isResourceRequest) return [METHOD_AS_VERB[verb as KubernetesNonResourceVerb] ?? verb];
  if (subresource && CREATE_WHATEVER_THE_METHOD.has(subresource)) {
    return strict || verb === 'create' ? ['create'] : [verb, 'create'];
  }
  return [verb];
}

/** read or write, for the facts' `kinds`; `unknown` for a request without a verb (a builder marks what it could not place). */
export function kubernetesKinds(request: KubernetesRequestShape): readonly KubernetesKind[] {
  const { verb, subresource } = request;
  if (verb === undefined) return ['unknown'];
  if (!request.isResourceRequest) return verb === 'get' || verb === 'head' ? ['read'] : ['write'];
  const connects = Boolean(subresource) && CONNECT_SUBRESOURCES.has(subresource ?? '');
  return READ_VERBS.has(verb) && !connects ? ['read'] : ['write'];
}

/** Stands for cluster scope among a request's namespaces; a rule writes it "". Not a namespace name (DNS labels have no parentheses). */
export const CLUSTER_SCOPE = '(cluster scope)';
/** Stands for every namespace at once: a request across all namespaces. */
export const ALL_NAMESPACES = '(all namespaces)';

/**
 * The namespaces a resource request acts in, as the `namespaces` facet: its namespace, or
 * CLUSTER_SCOPE, or ALL_NAMESPACES, or both of those when the builder could not tell which.
 * None for non-resource and unknown requests.
 */
export function namespaceValues(request: KubernetesFacts): readonly string[] {
  if (!request.isResourceRequest) return [];
  if (request.namespace) return [request.namespace];
  if (request.scope === 'cluster') return [CLUSTER_SCOPE];
  if (request.scope === 'all-namespaces') return [ALL_NAMESPACES];
  return [CLUSTER_SCOPE, ALL_NAMESPACES];
}

/** Stands for the objects of a request that names none (a list, a create): any object, as far as the policy can tell. */
export const UNNAMED_OBJECTS = '(objects the request does not name)';

/**
 * The non-resource requests every allow rule that covers `get` covers without naming them (unless
 * it sets nonResourceURLs): the discovery kubectl and every client library read before anything
 * else. They say which groups, versions, resources and schemas the API server serves and which
 * version it runs, nothing about any object. Only GET and HEAD: the same paths with another method
 * are decided like any other non-resource request. Globs as in the API (`*` stays within a segment).
 */
export const DISCOVERY_READ_PATHS: readonly string[] = ['/api', '/api/*', '/apis', '/apis/*', '/apis/*/*', '/openapi/**', '/version'];
