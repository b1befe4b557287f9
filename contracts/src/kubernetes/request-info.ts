/**
 * What a request to the Kubernetes API asks for, in the API server's own terms (the attributes
 * its authorizer and audit log see), or why it could not be placed. parse-request.ts produces it;
 * the policy, the approval and the audit record of a Kubernetes target read it.
 */
import type { ApiGroupOrigin } from './api-groups.ts';

/** The verbs of resource requests; the API server derives them from the method, the path and the query. */
export type ResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** The HTTP methods the parser places; the API server gives any other method an empty verb. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A request to a resource (or one of its subresources) under /api/<version> or /apis/<group>/<version>. */
export interface ResourceRequestInfo {
  readonly kind: 'resource';
  readonly isResourceRequest: true;
  readonly verb: ResourceVerb;
  readonly apiPrefix: 'api' | 'apis';
  /** '' for the core group (/api/v1). */
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** Who serves the group, as far as the parser can tell without discovery (api-groups.ts). */
  readonly groupOrigin: ApiGroupOrigin;
  /**
   * '' for a cluster-scoped request or one across all namespaces. For the namespaces resource
   * itself it is the namespace's name, as in the API server (RBAC lets a RoleBinding in a
   * namespace grant `get` on that namespace).
   */
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  /** '' when the request names no object; a list or watch may be named by `fieldSelector=metadata.name=<name>`. */
  readonly name: string;
  /** The path from the resource on: resource, name, subresource, then (proxy only) the path passed on. */
  readonly parts: readonly string[];
  /** The decoded path. */
  readonly path: string;
  /**
   * The request asks for a dry run the API server honours: a write verb with `dryRun=All` and no
   * other dryRun value (the API server refuses any other), on a subresource that is not a
   * connection (exec, attach, portforward and proxy refuse dryRun). kube-apiserver honours it for
   * the core, built-in and custom resources; an aggregated API's server implements dryRun itself
   * and may ignore it, so check `groupOrigin` before treating a dry run as harmless. A DELETE with a
   * body is different again: kube-apiserver then reads its DeleteOptions from the body alone and
   * ignores the query's dryRun. The parser sees no body, so whoever has it must correct this (the
   * sidecar does: protocols/kubernetes/request/parsed-request.ts, withBodyDryRun).
   */
  readonly dryRun: boolean;
  /** The selectors the API server authorizes with: given only for list, watch and deletecollection. */
  readonly labelSelector: string;
  readonly fieldSelector: string;
  /** verb === 'watch'. */
  readonly watch: boolean;
}

/** What a non-resource path is for; discovery, OpenAPI, version and health are reads of the API server itself. */
export type NonResourceCategory = 'discovery' | 'openapi' | 'version' | 'health' | 'other';

/** A request to a path that is not a resource: discovery, /version, /healthz, /openapi/v3, /metrics... */
export interface NonResourceRequestInfo {
  readonly kind: 'non-resource';
  readonly isResourceRequest: false;
  /** The lower-case HTTP method, as the API server authorizes non-resource requests. */
  readonly verb: Lowercase<HttpMethod>;
  /** The decoded path. */
  readonly path: string;
  readonly category: NonResourceCategory;
}

export type UnknownRequestCode =
  /** A method other than GET, HEAD, POST, PUT, PATCH and DELETE. */
  | 'UnsupportedMethod'
  /** The path is not an absolute path of URL characters, has a bad escape, or decodes to something other than visible ASCII (or to `%`). */
  | 'MalformedPath'
  /** A segment holds an encoded slash (%2F): the API server decodes before it splits, so the segments would differ. */
  | 'EncodedSlash'
  /** A `.` or `..` segment, written or encoded. */
  | 'DotSegment'
  /** An empty segment: `//` or a trailing `/`. */
  | 'EmptySegment'
  /** `/watch` or `/proxy` with nothing after it: the API server fails such a request. */
  | 'MissingResource'
  /** The removed `/api/v1/proxy/...` form (verb proxy). */
  | 'LegacyProxyPath'
  /** Segments after a subresource other than proxy. */
  | 'PathAfterSubresource'
  /** A query with `;`, a bad escape, or a value the parser reads that is not printable ASCII. */
  | 'MalformedQuery'
  /** A query parameter the parser reads, given twice with different values. */
  | 'ConflictingQueryParameter'
  /** A `watch` value other than true, 1, false or 0. */
  | 'UnclearWatchValue'
  /** A list option the API server could not decode (a field selector it cannot parse, a limit that is no integer). */
  | 'InvalidListOption'
  /** Two `metadata.name=` terms with different values in one field selector. */
  | 'ConflictingNameSelector'
  /** A list named by its field selector that also has a label selector (see parse-request.ts). */
  | 'NameSelectorWithLabelSelector';

/** A request the parser does not place; a gate refuses it. `reason` never quotes the request. */
export interface UnknownRequestInfo {
  readonly kind: 'unknown';
  readonly isResourceRequest: false;
  readonly code: UnknownRequestCode;
  readonly reason: string;
}

export type KubernetesRequestInfo = ResourceRequestInfo | NonResourceRequestInfo | UnknownRequestInfo;

/** A request as it arrives: the method, the path and the query exactly as on the request line (still percent-encoded). */
export interface HttpRequestLine {
  readonly method: string;
  readonly path: string;
  /** Without the `?`; '' or absent for none. */
  readonly query?: string;
}

export const unknownRequest = (code: UnknownRequestCode, reason: string): UnknownRequestInfo => ({
  kind: 'unknown',
  isResourceRequest: false,
  code,
  reason,
});

export const isUnknownRequest = (value: unknown): value is UnknownRequestInfo =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'unknown';
