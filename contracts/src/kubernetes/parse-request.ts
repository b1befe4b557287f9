/**
 * The Kubernetes request attributes of an HTTP request, resolved the way the API server resolves
 * them before it authorizes and audits (its RequestInfo): the same verb, group, version,
 * namespace, resource, subresource and name, so a gate in front of the API server decides on what
 * the API server will do. Where the API server reads a request one way but another reader could
 * read it another (encoded slashes, dot segments, dropped query pairs, repeated parameters, a
 * selector it cannot parse) the result is `unknown`: a gate refuses what it cannot place.
 *
 * Paths: /api/<version>/... is the core group, /apis/<group>/<version>/... any other; then
 * `namespaces/<namespace>/` (unless what follows is `status` or `finalize`, the namespace's own
 * subresources), the resource, the name, the subresource and, for proxy, the path passed on.
 * Anything shorter is a non-resource path (discovery, /version, /healthz, /openapi/v3...).
 */
import { apiGroupOrigin } from './api-groups.ts';
import { nameFromFieldSelector } from './field-selector.ts';
import { nonResourceCategory } from './non-resource-paths.ts';
import {
  HTTP_METHODS,
  type HttpMethod,
  type HttpRequestLine,
  isUnknownRequest,
  type KubernetesRequestInfo,
  type ResourceVerb,
  type UnknownRequestInfo,
  unknownRequest,
} from './request-info.ts';
import { splitRequestPath } from './request-path.ts';
import { QueryParameters } from './request-query.ts';

const METHOD_VERBS: Record<HttpMethod, ResourceVerb> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
/** Verbs whose selectors the API server authorizes with. */
const VERBS_WITH_SELECTORS = new Set<ResourceVerb>(['list', 'watch', 'deletecollection']);
const WRITE_VERBS = new Set<ResourceVerb>(['create', 'update', 'patch', 'delete', 'deletecollection']);
/** Subresources that open a connection; the API server refuses dryRun on them rather than honouring it. */
const CONNECTION_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);
const WATCH_VALUES: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Splits a request-target (`/api/v1/pods?watch=1`) at its first `?`. */
export function splitRequestTarget(target: string): { path: string; query: string } {
  const mark = target.indexOf('?');
  return mark < 0 ? { path: target, query: '' } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

export function parseKubernetesRequest(request: HttpRequestLine): KubernetesRequestInfo {
  if (!isHttpMethod(request.method)) return unknownRequest('UnsupportedMethod', 'the method is not GET, HEAD, POST, PUT, PATCH or DELETE');
  const segments = splitRequestPath(request.path);
  if (isUnknownRequest(segments)) return segments;
  const query = QueryParameters.parse(request.query ?? '');
  if (isUnknownRequest(query)) return query;
  const path = `/${segments.join('/')}`;
  const target = apiTarget(segments);
  if (!target) {
    const verb = request.method.toLowerCase() as Lowercase<HttpMethod>;
    return { kind: 'non-resource', isResourceRequest: false, verb, path, category: nonResourceCategory(segments) };
  }
  return resourceRequest(request.method, target, query, path);
}

interface ApiTarget {
  readonly apiPrefix: 'api' | 'apis';
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** What follows the version: never empty. */
  readonly rest: readonly [string, ...string[]];
}

/** The API server reads /api/<version>/<x>... and /apis/<group>/<version>/<x>... as resource requests, shorter paths not. */
function apiTarget(segments: readonly string[]): ApiTarget | undefined {
  const [prefix, first, second, ...more] = segments;
  if (prefix === 'api' && first !== undefined && second !== undefined) {
    return { apiPrefix: 'api', apiGroup: '', apiVersion: first, rest: [second, ...more] };
  }
  const [third, ...after] = more;
  if (prefix === 'apis' && first !== undefined && second !== undefined && third !== undefined) {
    return { apiPrefix: 'apis', apiGroup: first, apiVersion: second, rest: [third, ...after] };
  }
  return undefined;
}

function resourceRequest(method: HttpMethod, target: ApiTarget, query: QueryParameters, path: string): KubernetesRequestInfo {
  let rest: readonly string[] = target.rest;
  let verb = METHOD_VERBS[method];
  // The deprecated verb-in-path form /watch/...; its selectors are not authorized, so none are given.
  let verbFromPath = false;
  if (rest[0] === 'watch' || rest[0] === 'proxy') {
    if (rest.length < 2) return unknownRequest('MissingResource', `/${rest[0]} names no resource`);
    // /api/v1/proxy/... was removed from the API server; its verb `proxy` would hide which subresource is reached.
    if (rest[0] === 'proxy') return unknownRequest('LegacyProxyPath', 'the removed /proxy/ path form');
    verb = 'watch';
    verbFromPath = true;
    rest = rest.slice(1);
  }

  let namespace = '';
  let parts = rest;
  if (rest[0] === 'namespaces' && rest[1] !== undefined) {
    namespace = rest[1];
    if (rest[2] !== undefined && !NAMESPACE_SUBRESOURCES.has(rest[2])) parts = rest.slice(2);
  }
  const [resource = '', pathName = '', subresource = ''] = parts;
  // Only proxy passes a path on; anything after another subresource the API server does not serve.
  if (parts.length > 3 && subresource !== 'proxy') {
    return unknownRequest('PathAfterSubresource', 'the path goes on after a subresource other than proxy');
  }

  let name = pathName;
  if (name === '' && verb === 'get') {
    const collection = collectionRead(query);
    if (isUnknownRequest(collection)) return collection;
    verb = collection.verb;
    name = collection.name;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';

  const selectors = verbFromPath || !VERBS_WITH_SELECTORS.has(verb) ? { labelSelector: '', fieldSelector: '' } : readSelectors(query);
  if (isUnknownRequest(selectors)) return selectors;
  const dryRunValues = query.all('dryRun');
  if (isUnknownRequest(dryRunValues)) return dryRunValues;
  const dryRun =
    WRITE_VERBS.has(verb) &&
    !CONNECTION_SUBRESOURCES.has(subresource) &&
    dryRunValues.length > 0 &&
    // The API server refuses any other value; reading such a request as a real write is the safe reading.
    dryRunValues.every((value) => value === 'All');

  return {
    kind: 'resource',
    isResourceRequest: true,
    verb,
    apiPrefix: target.apiPrefix,
    apiGroup: target.apiGroup,
    apiVersion: target.apiVersion,
    groupOrigin: apiGroupOrigin(target.apiGroup),
    namespace,
    resource,
    subresource,
    name,
    parts,
    path,
    dryRun,
    ...selectors,
    watch: verb === 'watch',
  };
}

/**
 * A GET without a name is a list, or a watch with `watch`; a field selector requiring
 * `metadata.name` names it. The API server takes that name only when all list options decode;
 * the ones that can fail to (limit, timeoutSeconds, the selectors) are checked here, and a
 * request whose name would depend on one that does not decode is refused. The label selector's
 * grammar is not reproduced, so a named list with a label selector is refused too.
 */
function collectionRead(query: QueryParameters): { verb: 'list' | 'watch'; name: string } | UnknownRequestInfo {
  const watch = query.single('watch');
  if (isUnknownRequest(watch)) return watch;
  const watching = watch.value === undefined ? false : WATCH_VALUES.get(watch.value.toLowerCase());
  // The API server reads `watch=` and `watch=no` as true: spellings where readers part ways.
  if (watching === undefined) return unknownRequest('UnclearWatchValue', 'watch is not true, 1, false or 0');
  const verb = watching ? 'watch' : 'list';
  for (const option of ['limit', 'timeoutSeconds']) {
    const value = query.single(option);
    if (isUnknownRequest(value)) return value;
    if (value.value !== undefined && !isInt64(value.value)) return unknownRequest('InvalidListOption', `${option} is not an integer`);
  }
  const fieldSelector = query.single('fieldSelector');
  if (isUnknownRequest(fieldSelector)) return fieldSelector;
  const selected = nameFromFieldSelector(fieldSelector.value ?? '');
  if (isUnknownRequest(selected)) return selected;
  if (selected.name === undefined || selected.name === '') return { verb, name: '' };
  const labelSelector = query.single('labelSelector');
  if (isUnknownRequest(labelSelector)) return labelSelector;
  if (labelSelector.value) {
    return unknownRequest('NameSelectorWithLabelSelector', 'a list named by its field selector also has a label selector');
  }
  return { verb, name: selected.name };
}

function readSelectors(query: QueryParameters): { labelSelector: string; fieldSelector: string } | UnknownRequestInfo {
  const labelSelector = query.single('labelSelector');
  if (isUnknownRequest(labelSelector)) return labelSelector;
  const fieldSelector = query.single('fieldSelector');
  if (isUnknownRequest(fieldSelector)) return fieldSelector;
  return { labelSelector: labelSelector.value ?? '', fieldSelector: fieldSelector.value ?? '' };
}

/** What Go's strconv.ParseInt(value, 10, 64) accepts: an optional sign, decimal digits, in range. */
function isInt64(value: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(value)) return false;
  const number = BigInt(value);
  return number >= INT64_MIN && number <= INT64_MAX;
}

function isHttpMethod(method: string): method is HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(method);
}
