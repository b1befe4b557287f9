/**
 * Requests to the Kubernetes API and the attributes the parser must give them, written out by
 * hand from the API server's rules (its RequestInfo resolver), not computed by the parser. The
 * unit test runs the table against the parser; the end-to-end test sends every entry marked
 * `send` to a real kube-apiserver writing an audit log and checks that the API server reads each
 * request as the parser does, and, for each request the parser refuses as `unknown`, that the API
 * server reads it as `serverReads` says: where the parser is stricter, the table shows how.
 *
 * Requests are sent as the cluster admin, so they must be harmless there: reads, dry runs,
 * objects that do not exist, and writes in SHOP_NAMESPACE, which the end-to-end test creates.
 *
 * Each entry also says how the example policy for the Kubernetes API
 * (crds/examples/kubernetes-policy.yaml) decides it, read by hand from that policy's rules and
 * docs/adr/0025-kubernetes-request-matching.md, not from the matcher: the sidecar's policy corpus
 * test decides every entry the way the sidecar does and holds it to this reading.
 */
import type { ApiGroupOrigin } from '../api-groups.ts';
import type {
  NonResourceCategory,
  NonResourceRequestInfo,
  ResourceRequestInfo,
  ResourceVerb,
  UnknownRequestCode,
} from '../request-info.ts';

/** The namespace the end-to-end test creates; writes that are not dry runs go here. */
export const SHOP_NAMESPACE = 'shop';
/** A ConfigMap the table creates in SHOP_NAMESPACE, then reads, updates and patches. */
export const CORPUS_CONFIGMAP = 'made-by-corpus';

export type ExpectedRequestInfo =
  | ResourceRequestInfo
  | NonResourceRequestInfo
  | { readonly kind: 'unknown'; readonly code: UnknownRequestCode };

/** The attributes the API server's audit log records for a resource request (empty ones left out). */
export interface AuditObjectRef {
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly name?: string;
}

/** How the API server reads a request the parser refuses. */
export type ServerReading =
  /** It refuses the request before the audit stage: a URL it cannot parse, a path its resolver fails on. */
  { readonly audited: false } | { readonly audited: true; readonly verb: string; readonly objectRef?: AuditObjectRef };

export type LivePlan =
  | { readonly send: false; readonly why: string }
  | {
      readonly send: true;
      /** The JSON body of a create, update or patch (a patch as a merge patch). */
      readonly body?: unknown;
      /** Required for an entry the parser refuses: what the API server makes of it instead. */
      readonly serverReads?: ServerReading;
      /** After the request, whether the object at `path` exists: a dry run persists nothing, a real write does. */
      readonly afterwards?: { readonly path: string; readonly exists: boolean };
    };

/**
 * What crds/examples/kubernetes-policy.yaml decides for a request: the action, and the rule that
 * decides it, or 'default' when no rule does and the policy's default action (deny) applies.
 */
export interface ExpectedPolicyDecision {
  readonly action: 'allow' | 'deny' | 'requireApproval';
  readonly rule: string;
}

export interface RequestCase {
  /** Unique; says what the entry shows. */
  readonly title: string;
  readonly method: string;
  /** The request-target as sent: path and query, percent-encoded. */
  readonly target: string;
  readonly expect: ExpectedRequestInfo;
  /** describeKubernetesRequest's rendering, where the entry checks it. */
  readonly describe?: string;
  /** How the example policy decides the request, as a sidecar holding it would. */
  readonly policy: ExpectedPolicyDecision;
  /**
   * Set where the decision the code makes differs from `policy` and the code is believed wrong:
   * says why. The policy corpus test then reports the entry as a todo instead of failing.
   */
  readonly policyTodo?: string;
  readonly live: LivePlan;
}

interface ResourceFields {
  readonly group?: string;
  readonly version?: string;
  readonly origin?: ApiGroupOrigin;
  readonly namespace?: string;
  readonly resource: string;
  readonly name?: string;
  readonly subresource?: string;
  /** Default: resource, name, subresource (the non-empty ones). */
  readonly parts?: readonly string[];
  /** Default: the target's path. */
  readonly path?: string;
  readonly dryRun?: boolean;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

type Draft = Omit<RequestCase, 'expect'> & {
  readonly expect: ((path: string) => ExpectedRequestInfo) | ExpectedRequestInfo;
};

const resource =
  (verb: ResourceVerb, f: ResourceFields) =>
  (targetPath: string): ResourceRequestInfo => ({
    kind: 'resource',
    isResourceRequest: true,
    verb,
    apiPrefix: f.group ? 'apis' : 'api',
    apiGroup: f.group ?? '',
    apiVersion: f.version ?? 'v1',
    groupOrigin: f.origin ?? (f.group ? 'built-in' : 'core'),
    namespace: f.namespace ?? '',
    resource: f.resource,
    subresource: f.subresource ?? '',
    name: f.name ?? '',
    parts: f.parts ?? [f.resource, f.name ?? '', f.subresource ?? ''].filter((part) => part !== ''),
    path: f.path ?? targetPath,
    dryRun: f.dryRun ?? false,
    labelSelector: f.labelSelector ?? '',
    fieldSelector: f.fieldSelector ?? '',
    watch: verb === 'watch',
  });

const nonResource =
  (verb: NonResourceRequestInfo['verb'], category: NonResourceCategory) =>
  (path: string): NonResourceRequestInfo => ({ kind: 'non-resource', isResourceRequest: false, verb, path, category });

const unknown = (code: UnknownRequestCode): ExpectedRequestInfo => ({ kind: 'unknown', code });

const SEND = { send: true } as const;
const sendWith = (plan: Omit<Extract<LivePlan, { send: true }>, 'send'>): LivePlan => ({ send: true, ...plan });
/** The parser refuses it; the API server reads it as `reading`. */
const stricter = (reading: ServerReading): LivePlan => ({ send: true, serverReads: reading });
const serverResource = (verb: string, objectRef: AuditObjectRef): ServerReading => ({ audited: true, verb, objectRef });

const allowedBy = (rule: string): ExpectedPolicyDecision => ({ action: 'allow', rule });
const deniedBy = (rule: string): ExpectedPolicyDecision => ({ action: 'deny', rule });
const heldBy = (rule: string): ExpectedPolicyDecision => ({ action: 'requireApproval', rule });
/** get, list or watch of anything but Secrets, no connection among them, and discovery: the `reads` rule. */
const READ = allowedBy('reads');
/** No rule covers or catches it: the policy's default action, deny. */
const DENIED_BY_DEFAULT: ExpectedPolicyDecision = { action: 'deny', rule: 'default' };
/**
 * A request the parser refuses is refused outright, whatever the policy says
 * (decideKubernetesRequest, ADR 0026): no deny rule could catch it, the API server decodes it into
 * something real, and an approval would release what no rule could read. No verdict decides it.
 */
const FAILS_CLOSED: ExpectedPolicyDecision = { action: 'deny', rule: 'unplaceable' };

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { from: 'corpus' } });
const shopConfigMap = (name: string) => `/api/v1/namespaces/${SHOP_NAMESPACE}/configmaps/${name}`;
const CORE = { apiVersion: 'v1' } as const;

const DRAFTS: readonly Draft[] = [
  // Core group reads: get vs list, namespaced vs across namespaces, HEAD.
  {
    title: 'list pods in a namespace',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods',
    expect: resource('list', { namespace: 'shop', resource: 'pods' }),
    describe: 'get pods -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'get a pod',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0' }),
    describe: 'get pods web-0 -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'HEAD of a pod is get',
    method: 'HEAD',
    target: '/api/v1/namespaces/shop/pods/web-0',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'HEAD of a collection is list',
    method: 'HEAD',
    target: '/api/v1/pods',
    expect: resource('list', { resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'list pods across all namespaces',
    method: 'GET',
    target: '/api/v1/pods',
    expect: resource('list', { resource: 'pods' }),
    describe: 'get pods -A',
    policy: READ,
    live: SEND,
  },
  {
    title: 'list secrets in kube-system',
    method: 'GET',
    target: '/api/v1/namespaces/kube-system/secrets',
    expect: resource('list', { namespace: 'kube-system', resource: 'secrets' }),
    describe: 'get secrets -n kube-system',
    policy: deniedBy('no-secrets'),
    live: SEND,
  },
  {
    title: 'get a secret',
    method: 'GET',
    target: '/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef',
    expect: resource('get', { namespace: 'kube-system', resource: 'secrets', name: 'bootstrap-token-abcdef' }),
    describe: 'get secrets bootstrap-token-abcdef -n kube-system',
    policy: deniedBy('no-secrets'),
    live: SEND,
  },
  {
    title: 'list a cluster-scoped resource',
    method: 'GET',
    target: '/api/v1/nodes',
    expect: resource('list', { resource: 'nodes' }),
    describe: 'get nodes -A',
    policy: READ,
    live: SEND,
  },
  {
    title: 'get a cluster-scoped object',
    method: 'GET',
    target: '/api/v1/nodes/node-1',
    expect: resource('get', { resource: 'nodes', name: 'node-1' }),
    describe: 'get nodes node-1',
    policy: READ,
    live: SEND,
  },

  // The namespaces resource: its name is also its namespace; status and finalize are its subresources.
  {
    title: 'list namespaces',
    method: 'GET',
    target: '/api/v1/namespaces',
    expect: resource('list', { resource: 'namespaces' }),
    describe: 'get namespaces',
    policy: READ,
    live: SEND,
  },
  {
    title: 'get a namespace: its name is its namespace too',
    method: 'GET',
    target: '/api/v1/namespaces/shop',
    expect: resource('get', { namespace: 'shop', resource: 'namespaces', name: 'shop' }),
    describe: 'get namespaces shop',
    policy: READ,
    live: SEND,
  },
  {
    title: "a namespace's status",
    method: 'GET',
    target: '/api/v1/namespaces/shop/status',
    expect: resource('get', {
      namespace: 'shop',
      resource: 'namespaces',
      name: 'shop',
      subresource: 'status',
      parts: ['namespaces', 'shop', 'status'],
    }),
    describe: 'get namespaces shop --subresource=status',
    // status is no connection: `reads` covers every other subresource.
    policy: READ,
    live: SEND,
  },
  {
    title: "a namespace's finalize, dry run",
    method: 'PUT',
    target: '/api/v1/namespaces/shop/finalize?dryRun=All',
    expect: resource('update', {
      namespace: 'shop',
      resource: 'namespaces',
      name: 'shop',
      subresource: 'finalize',
      parts: ['namespaces', 'shop', 'finalize'],
      dryRun: true,
    }),
    describe: 'replace namespaces shop --subresource=finalize --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' }, spec: { finalizers: ['kubernetes'] } } }),
  },
  {
    title: "a namespace's status updated, dry run",
    method: 'PUT',
    target: '/api/v1/namespaces/shop/status?dryRun=All',
    expect: resource('update', {
      namespace: 'shop',
      resource: 'namespaces',
      name: 'shop',
      subresource: 'status',
      parts: ['namespaces', 'shop', 'status'],
      dryRun: true,
    }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } }),
  },
  {
    title: 'delete a namespace, dry run',
    method: 'DELETE',
    target: '/api/v1/namespaces/shop?dryRun=All',
    expect: resource('delete', { namespace: 'shop', resource: 'namespaces', name: 'shop', dryRun: true }),
    describe: 'delete namespaces shop --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ afterwards: { path: '/api/v1/namespaces/shop', exists: true } }),
  },
  {
    title: 'delete all namespaces, dry run',
    method: 'DELETE',
    target: '/api/v1/namespaces?dryRun=All',
    expect: resource('deletecollection', { resource: 'namespaces', dryRun: true }),
    describe: 'delete namespaces --all --dry-run=server',
    // A cluster-scoped request: prod-deletes lists no "", so it does not catch it (the default is stricter anyway).
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'a namespace named status is a namespace, not a subresource',
    method: 'GET',
    target: '/api/v1/namespaces/status',
    expect: resource('get', { namespace: 'status', resource: 'namespaces', name: 'status' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'create a namespace, dry run (cluster-scoped create)',
    method: 'POST',
    target: '/api/v1/namespaces?dryRun=All',
    expect: resource('create', { resource: 'namespaces', dryRun: true }),
    describe: 'create namespaces --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'corpus-dry-run' } } }),
  },

  // Selectors: the API server authorizes list, watch and deletecollection with them.
  {
    title: 'list with a label selector',
    method: 'GET',
    target: '/api/v1/namespaces/shop/configmaps?labelSelector=app%3Dweb',
    expect: resource('list', { namespace: 'shop', resource: 'configmaps', labelSelector: 'app=web' }),
    describe: 'get configmaps -n shop -l app=web',
    policy: READ,
    live: SEND,
  },
  {
    title: 'a set-based label selector, + read as a space',
    method: 'GET',
    target: '/api/v1/namespaces/shop/configmaps?labelSelector=app+in+%28web%2Capi%29',
    expect: resource('list', { namespace: 'shop', resource: 'configmaps', labelSelector: 'app in (web,api)' }),
    describe: "get configmaps -n shop -l 'app in (web,api)'",
    policy: READ,
    live: SEND,
  },
  {
    title: 'list with a field selector on another field',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=status.phase%3DRunning',
    expect: resource('list', { namespace: 'shop', resource: 'pods', fieldSelector: 'status.phase=Running' }),
    describe: 'get pods -n shop --field-selector status.phase=Running',
    policy: READ,
    live: SEND,
  },
  {
    title: 'a list named by metadata.name= is a named list',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0',
    expect: resource('list', { namespace: 'shop', resource: 'pods', name: 'web-0', parts: ['pods'], fieldSelector: 'metadata.name=web-0' }),
    describe: 'get pods -n shop --field-selector metadata.name=web-0',
    policy: READ,
    live: SEND,
  },
  {
    title: 'metadata.name== names it too',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3D%3Dweb-0',
    expect: resource('list', {
      namespace: 'shop',
      resource: 'pods',
      name: 'web-0',
      parts: ['pods'],
      fieldSelector: 'metadata.name==web-0',
    }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'metadata.name!= names nothing',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%21%3Dweb-0',
    expect: resource('list', { namespace: 'shop', resource: 'pods', fieldSelector: 'metadata.name!=web-0' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'a name term among other terms names the list',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=status.phase%3DRunning%2Cmetadata.name%3Dweb-0',
    expect: resource('list', {
      namespace: 'shop',
      resource: 'pods',
      name: 'web-0',
      parts: ['pods'],
      fieldSelector: 'status.phase=Running,metadata.name=web-0',
    }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'a named list with a valid limit',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0&limit=500',
    expect: resource('list', { namespace: 'shop', resource: 'pods', name: 'web-0', parts: ['pods'], fieldSelector: 'metadata.name=web-0' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'a name that is no valid path segment does not name the list',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Da%2Fb',
    expect: resource('list', { namespace: 'shop', resource: 'pods', fieldSelector: 'metadata.name=a/b' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'paging options do not change a list',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?limit=500&continue=abc&resourceVersion=0&resourceVersionMatch=NotOlderThan',
    expect: resource('list', { namespace: 'shop', resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'dryRun on a read is no dry run',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?dryRun=All',
    expect: resource('list', { namespace: 'shop', resource: 'pods' }),
    describe: 'get pods -n shop',
    policy: READ,
    live: SEND,
  },

  // Watch: ?watch= spellings, a named watch, the legacy /watch/ prefix.
  {
    title: 'watch=true',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=true',
    expect: resource('watch', { namespace: 'shop', resource: 'pods' }),
    describe: 'get pods -n shop --watch',
    policy: READ,
    live: SEND,
  },
  {
    title: 'watch=1',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=1',
    expect: resource('watch', { namespace: 'shop', resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'watch=TRUE (case does not matter to the API server)',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=TRUE',
    expect: resource('watch', { namespace: 'shop', resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'watch=false is a list',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=false',
    expect: resource('list', { namespace: 'shop', resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'watch=0 is a list',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=0',
    expect: resource('list', { namespace: 'shop', resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'a watch named by its field selector',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=1&fieldSelector=metadata.name%3Dweb-0',
    expect: resource('watch', {
      namespace: 'shop',
      resource: 'pods',
      name: 'web-0',
      parts: ['pods'],
      fieldSelector: 'metadata.name=web-0',
    }),
    describe: 'get pods -n shop --field-selector metadata.name=web-0 --watch',
    policy: READ,
    live: SEND,
  },
  {
    title: 'a watch with a label selector across namespaces',
    method: 'GET',
    target: '/api/v1/events?watch=1&labelSelector=app%3Dweb',
    expect: resource('watch', { resource: 'events', labelSelector: 'app=web' }),
    describe: 'get events -A -l app=web --watch',
    policy: READ,
    live: SEND,
  },
  {
    title: 'legacy /watch/ prefix on a namespaced collection',
    method: 'GET',
    target: '/api/v1/watch/namespaces/shop/pods',
    expect: resource('watch', { namespace: 'shop', resource: 'pods' }),
    describe: 'get pods -n shop --watch',
    policy: READ,
    live: SEND,
  },
  {
    title: 'legacy /watch/ prefix on one object',
    method: 'GET',
    target: '/api/v1/watch/namespaces/shop/pods/web-0',
    expect: resource('watch', { namespace: 'shop', resource: 'pods', name: 'web-0' }),
    describe: 'get pods web-0 -n shop --watch',
    policy: READ,
    live: SEND,
  },
  {
    title: 'legacy /watch/ prefix across namespaces',
    method: 'GET',
    target: '/api/v1/watch/pods',
    expect: resource('watch', { resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'legacy /watch/ prefix: selectors are not authorized, so none are given',
    method: 'GET',
    target: '/api/v1/watch/namespaces/shop/pods?labelSelector=app%3Dweb',
    expect: resource('watch', { namespace: 'shop', resource: 'pods' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'legacy /watch/ prefix wins over watch=false',
    method: 'GET',
    target: '/apis/apps/v1/watch/namespaces/shop/deployments?watch=false',
    expect: resource('watch', { group: 'apps', namespace: 'shop', resource: 'deployments' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'legacy /watch/ prefix on a namespace',
    method: 'GET',
    target: '/api/v1/watch/namespaces/shop',
    expect: resource('watch', { namespace: 'shop', resource: 'namespaces', name: 'shop' }),
    policy: READ,
    live: SEND,
  },

  // Subresources: connections (exec, attach, portforward, proxy), log, eviction, status, scale...
  {
    title: 'read a pod log',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0/log?container=app&follow=true',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'log' }),
    describe: 'logs pods/web-0 -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'exec by GET (WebSocket) is get pods/exec',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0/exec?command=sh&stdin=true&stdout=true&tty=true',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    describe: 'exec pods/web-0 -n shop',
    // exec is create whatever the method; shop is not prod-*, and `reads` covers no create.
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'exec by POST (SPDY) is create pods/exec',
    method: 'POST',
    target: '/api/v1/namespaces/shop/pods/web-0/exec?command=ls&stdout=true',
    expect: resource('create', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    describe: 'exec pods/web-0 -n shop',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'dryRun on exec is no dry run (the API server refuses it)',
    method: 'POST',
    target: '/api/v1/namespaces/shop/pods/web-0/exec?command=ls&stdout=true&dryRun=All',
    expect: resource('create', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    describe: 'exec pods/web-0 -n shop',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'attach',
    method: 'POST',
    target: '/api/v1/namespaces/shop/pods/web-0/attach?stdin=true&stdout=true',
    expect: resource('create', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'attach' }),
    describe: 'attach pods/web-0 -n shop',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'port-forward by GET',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0/portforward?ports=8080',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'portforward' }),
    describe: 'port-forward pods/web-0 -n shop',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'port-forward by POST',
    method: 'POST',
    target: '/api/v1/namespaces/shop/pods/web-0/portforward',
    expect: resource('create', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'portforward' }),
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: "a pod's proxy root",
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0/proxy',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'proxy' }),
    describe: 'proxy get pods/web-0 / -n shop',
    // proxy is covered only by a rule that spells it out, even for get.
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: "a pod's proxy with a port and a path passed on",
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0:8080/proxy/metrics',
    expect: resource('get', {
      namespace: 'shop',
      resource: 'pods',
      name: 'web-0:8080',
      subresource: 'proxy',
      parts: ['pods', 'web-0:8080', 'proxy', 'metrics'],
    }),
    describe: 'proxy get pods/web-0:8080 /metrics -n shop',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: "a POST through a service's proxy",
    method: 'POST',
    target: '/api/v1/namespaces/shop/services/web:http/proxy/api/reset',
    expect: resource('create', {
      namespace: 'shop',
      resource: 'services',
      name: 'web:http',
      subresource: 'proxy',
      parts: ['services', 'web:http', 'proxy', 'api', 'reset'],
    }),
    describe: 'proxy create services/web:http /api/reset -n shop',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: "a service's proxy with scheme, name and port",
    method: 'GET',
    target: '/api/v1/namespaces/shop/services/https:web:443/proxy/healthz',
    expect: resource('get', {
      namespace: 'shop',
      resource: 'services',
      name: 'https:web:443',
      subresource: 'proxy',
      parts: ['services', 'https:web:443', 'proxy', 'healthz'],
    }),
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: "a node's proxy",
    method: 'GET',
    target: '/api/v1/nodes/node-1/proxy/metrics/cadvisor',
    expect: resource('get', {
      resource: 'nodes',
      name: 'node-1',
      subresource: 'proxy',
      parts: ['nodes', 'node-1', 'proxy', 'metrics', 'cadvisor'],
    }),
    describe: 'proxy get nodes/node-1 /metrics/cadvisor',
    // A GET of nodes/proxy reaches the kubelet: `reads` does not cover it.
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'evict a pod, dry run',
    method: 'POST',
    target: '/api/v1/namespaces/shop/pods/web-0/eviction?dryRun=All',
    expect: resource('create', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'eviction', dryRun: true }),
    describe: 'create pods web-0 --subresource=eviction -n shop --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0', namespace: 'shop' } } }),
  },
  {
    title: 'evict a pod that does not exist',
    method: 'POST',
    target: '/api/v1/namespaces/shop/pods/web-0/eviction',
    expect: resource('create', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'eviction' }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0', namespace: 'shop' } } }),
  },
  {
    title: 'bind a pod that does not exist',
    method: 'POST',
    target: '/api/v1/namespaces/shop/pods/web-0/binding',
    expect: resource('create', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'binding' }),
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: "patch a pod's status, dry run",
    method: 'PATCH',
    target: '/api/v1/namespaces/shop/pods/web-0/status?dryRun=All',
    expect: resource('patch', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'status', dryRun: true }),
    describe: 'patch pods web-0 --subresource=status -n shop --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { status: { phase: 'Running' } } }),
  },
  {
    title: "a pod's ephemeral containers",
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0/ephemeralcontainers',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'ephemeralcontainers' }),
    // ephemeralcontainers is covered only by a rule that spells it out, even for get.
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'resize a pod that does not exist',
    method: 'PATCH',
    target: '/api/v1/namespaces/shop/pods/web-0/resize',
    expect: resource('patch', { namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'resize' }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: {} }),
  },
  {
    title: 'request a service account token for an account that does not exist',
    method: 'POST',
    target: '/api/v1/namespaces/shop/serviceaccounts/agent/token',
    expect: resource('create', { namespace: 'shop', resource: 'serviceaccounts', name: 'agent', subresource: 'token' }),
    describe: 'create serviceaccounts agent --subresource=token -n shop',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } }),
  },
  {
    title: "a deployment's scale",
    method: 'GET',
    target: '/apis/apps/v1/namespaces/shop/deployments/web/scale',
    expect: resource('get', { group: 'apps', namespace: 'shop', resource: 'deployments', name: 'web', subresource: 'scale' }),
    describe: 'get deployments web --subresource=scale -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'scale a deployment, dry run',
    method: 'PUT',
    target: '/apis/apps/v1/namespaces/shop/deployments/web/scale?dryRun=All',
    expect: resource('update', {
      group: 'apps',
      namespace: 'shop',
      resource: 'deployments',
      name: 'web',
      subresource: 'scale',
      dryRun: true,
    }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 2 } },
    }),
  },
  {
    title: 'patch the scale of a deployment that does not exist',
    method: 'PATCH',
    target: '/apis/apps/v1/namespaces/shop/deployments/web/scale',
    expect: resource('patch', { group: 'apps', namespace: 'shop', resource: 'deployments', name: 'web', subresource: 'scale' }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { spec: { replicas: 3 } } }),
  },
  {
    title: "a deployment's status",
    method: 'GET',
    target: '/apis/apps/v1/namespaces/shop/deployments/web/status',
    expect: resource('get', { group: 'apps', namespace: 'shop', resource: 'deployments', name: 'web', subresource: 'status' }),
    policy: READ,
    live: SEND,
  },

  // Writes: create, update, patch, delete, deletecollection, and dryRun's safe reading.
  {
    title: 'create a configmap, dry run',
    method: 'POST',
    target: '/api/v1/namespaces/shop/configmaps?dryRun=All',
    expect: resource('create', { namespace: 'shop', resource: 'configmaps', dryRun: true }),
    describe: 'create configmaps -n shop --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap('dry-run-once'), afterwards: { path: shopConfigMap('dry-run-once'), exists: false } }),
  },
  {
    title: 'dryRun=All twice is a dry run',
    method: 'POST',
    target: '/api/v1/namespaces/shop/configmaps?dryRun=All&dryRun=All',
    expect: resource('create', { namespace: 'shop', resource: 'configmaps', dryRun: true }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap('dry-run-twice'), afterwards: { path: shopConfigMap('dry-run-twice'), exists: false } }),
  },
  {
    title: 'dryRun=All with another value reads as a real write (the API server refuses it)',
    method: 'POST',
    target: '/api/v1/namespaces/shop/configmaps?dryRun=All&dryRun=Bogus',
    expect: resource('create', { namespace: 'shop', resource: 'configmaps' }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap('dry-run-mixed'), afterwards: { path: shopConfigMap('dry-run-mixed'), exists: false } }),
  },
  {
    title: 'dryRun=all (lower case) reads as a real write (the API server refuses it)',
    method: 'POST',
    target: '/api/v1/namespaces/shop/configmaps?dryRun=all',
    expect: resource('create', { namespace: 'shop', resource: 'configmaps' }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap('dry-run-lower'), afterwards: { path: shopConfigMap('dry-run-lower'), exists: false } }),
  },
  {
    title: 'create a configmap',
    method: 'POST',
    target: '/api/v1/namespaces/shop/configmaps',
    expect: resource('create', { namespace: 'shop', resource: 'configmaps' }),
    describe: 'create configmaps -n shop',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap(CORPUS_CONFIGMAP), afterwards: { path: shopConfigMap(CORPUS_CONFIGMAP), exists: true } }),
  },
  {
    title: 'get the configmap',
    method: 'GET',
    target: `/api/v1/namespaces/shop/configmaps/${CORPUS_CONFIGMAP}`,
    expect: resource('get', { namespace: 'shop', resource: 'configmaps', name: CORPUS_CONFIGMAP }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'update the configmap',
    method: 'PUT',
    target: `/api/v1/namespaces/shop/configmaps/${CORPUS_CONFIGMAP}`,
    expect: resource('update', { namespace: 'shop', resource: 'configmaps', name: CORPUS_CONFIGMAP }),
    describe: `replace configmaps ${CORPUS_CONFIGMAP} -n shop`,
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap(CORPUS_CONFIGMAP) }),
  },
  {
    title: 'patch the configmap, dry run',
    method: 'PATCH',
    target: `/api/v1/namespaces/shop/configmaps/${CORPUS_CONFIGMAP}?dryRun=All`,
    expect: resource('patch', { namespace: 'shop', resource: 'configmaps', name: CORPUS_CONFIGMAP, dryRun: true }),
    describe: `patch configmaps ${CORPUS_CONFIGMAP} -n shop --dry-run=server`,
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { data: { patched: 'yes' } } }),
  },
  {
    title: 'PUT on a collection is update without a name',
    method: 'PUT',
    target: '/api/v1/namespaces/shop/configmaps',
    expect: resource('update', { namespace: 'shop', resource: 'configmaps' }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap('put-on-collection') }),
  },
  {
    title: 'POST on an object is create with a name',
    method: 'POST',
    target: `/api/v1/namespaces/shop/configmaps/${CORPUS_CONFIGMAP}`,
    expect: resource('create', { namespace: 'shop', resource: 'configmaps', name: CORPUS_CONFIGMAP }),
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: configMap(CORPUS_CONFIGMAP) }),
  },
  {
    title: 'delete a deployment',
    method: 'DELETE',
    target: '/apis/apps/v1/namespaces/prod-eu/deployments/orders',
    expect: resource('delete', { group: 'apps', namespace: 'prod-eu', resource: 'deployments', name: 'orders' }),
    describe: 'delete deployments orders -n prod-eu',
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  {
    title: 'delete a deployment, dry run',
    method: 'DELETE',
    target: '/apis/apps/v1/namespaces/shop/deployments/web?dryRun=All',
    expect: resource('delete', { group: 'apps', namespace: 'shop', resource: 'deployments', name: 'web', dryRun: true }),
    describe: 'delete deployments web -n shop --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'DELETE without a name is deletecollection',
    method: 'DELETE',
    target: '/api/v1/namespaces/shop/pods',
    expect: resource('deletecollection', { namespace: 'shop', resource: 'pods' }),
    describe: 'delete pods --all -n shop',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'deletecollection with a label selector',
    method: 'DELETE',
    target: '/api/v1/namespaces/shop/configmaps?labelSelector=corpus%3Dnone',
    expect: resource('deletecollection', { namespace: 'shop', resource: 'configmaps', labelSelector: 'corpus=none' }),
    describe: 'delete configmaps -n shop -l corpus=none',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ afterwards: { path: shopConfigMap(CORPUS_CONFIGMAP), exists: true } }),
  },
  {
    title: 'deletecollection is never named by its field selector',
    method: 'DELETE',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0',
    expect: resource('deletecollection', { namespace: 'shop', resource: 'pods', fieldSelector: 'metadata.name=web-0' }),
    describe: 'delete pods -n shop --field-selector metadata.name=web-0',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'deletecollection, dry run',
    method: 'DELETE',
    target: '/api/v1/namespaces/shop/configmaps?dryRun=All',
    expect: resource('deletecollection', { namespace: 'shop', resource: 'configmaps', dryRun: true }),
    describe: 'delete configmaps --all -n shop --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ afterwards: { path: shopConfigMap(CORPUS_CONFIGMAP), exists: true } }),
  },
  {
    title: 'deletecollection across all namespaces, dry run',
    method: 'DELETE',
    target: '/api/v1/pods?dryRun=All',
    expect: resource('deletecollection', { resource: 'pods', dryRun: true }),
    describe: 'delete pods --all -A --dry-run=server',
    // Across all namespaces includes prod-*: the approval rule catches it.
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  // Production namespaces (prod-*), where the example policy holds deletes and exec for an SRE. None
  // of them exists on the end-to-end test's API server: each request finds nothing, or is a dry run.
  {
    title: 'delete a pod in production, dry run',
    method: 'DELETE',
    target: '/api/v1/namespaces/prod-eu/pods/web-0?dryRun=All',
    expect: resource('delete', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', dryRun: true }),
    describe: 'delete pods web-0 -n prod-eu --dry-run=server',
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  {
    title: 'delete pods by label in production',
    method: 'DELETE',
    target: '/api/v1/namespaces/prod-eu/pods?labelSelector=app%3Dweb',
    expect: resource('deletecollection', { namespace: 'prod-eu', resource: 'pods', labelSelector: 'app=web' }),
    describe: 'delete pods -n prod-eu -l app=web',
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  {
    title: 'delete every configmap in production, dry run',
    method: 'DELETE',
    target: '/api/v1/namespaces/prod-us/configmaps?dryRun=All',
    expect: resource('deletecollection', { namespace: 'prod-us', resource: 'configmaps', dryRun: true }),
    describe: 'delete configmaps --all -n prod-us --dry-run=server',
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  {
    title: 'delete the deployments of a production namespace, dry run',
    method: 'DELETE',
    target: '/apis/apps/v1/namespaces/prod-us/deployments?dryRun=All',
    expect: resource('deletecollection', { group: 'apps', namespace: 'prod-us', resource: 'deployments', dryRun: true }),
    describe: 'delete deployments --all -n prod-us --dry-run=server',
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  {
    title: 'delete a production namespace, dry run: the namespace is in itself',
    method: 'DELETE',
    target: '/api/v1/namespaces/prod-eu?dryRun=All',
    expect: resource('delete', { namespace: 'prod-eu', resource: 'namespaces', name: 'prod-eu', dryRun: true }),
    describe: 'delete namespaces prod-eu --dry-run=server',
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  {
    title: 'exec in production by POST',
    method: 'POST',
    target: '/api/v1/namespaces/prod-eu/pods/web-0/exec?command=ls&stdout=true',
    expect: resource('create', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    describe: 'exec pods/web-0 -n prod-eu',
    policy: heldBy('prod-exec'),
    live: SEND,
  },
  {
    title: 'exec in production by GET (WebSocket)',
    method: 'GET',
    target: '/api/v1/namespaces/prod-eu/pods/web-0/exec?command=sh&stdin=true&stdout=true&tty=true',
    expect: resource('get', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    describe: 'exec pods/web-0 -n prod-eu',
    policy: heldBy('prod-exec'),
    live: SEND,
  },
  {
    title: 'kubectl cp into a production pod is an exec of tar',
    method: 'POST',
    target: '/api/v1/namespaces/prod-eu/pods/web-0/exec?command=tar&command=xmf&command=-&container=app&stdin=true&stdout=true',
    expect: resource('create', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    describe: 'exec pods/web-0 -n prod-eu',
    policy: heldBy('prod-exec'),
    live: SEND,
  },
  {
    title: 'exec in a namespace prod-* does not name (production)',
    method: 'POST',
    target: '/api/v1/namespaces/production/pods/web-0/exec?command=ls&stdout=true',
    expect: resource('create', { namespace: 'production', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    describe: 'exec pods/web-0 -n production',
    // prod-* needs the dash; nothing else covers an exec.
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'attach in production is no exec',
    method: 'POST',
    target: '/api/v1/namespaces/prod-eu/pods/web-0/attach?stdin=true&stdout=true',
    expect: resource('create', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'attach' }),
    describe: 'attach pods/web-0 -n prod-eu',
    // prod-exec lists pods/exec only, and no rule covers attach.
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'port-forward in production',
    method: 'GET',
    target: '/api/v1/namespaces/prod-eu/pods/web-0/portforward?ports=5432',
    expect: resource('get', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'portforward' }),
    describe: 'port-forward pods/web-0 -n prod-eu',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'evict a pod in production, dry run: an eviction is a create, not a delete',
    method: 'POST',
    target: '/api/v1/namespaces/prod-eu/pods/web-0/eviction?dryRun=All',
    expect: resource('create', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'eviction', dryRun: true }),
    describe: 'create pods web-0 --subresource=eviction -n prod-eu --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0', namespace: 'prod-eu' } } }),
  },
  {
    title: 'scale a production deployment to zero, dry run',
    method: 'PATCH',
    target: '/apis/apps/v1/namespaces/prod-eu/deployments/orders/scale?dryRun=All',
    expect: resource('patch', {
      group: 'apps',
      namespace: 'prod-eu',
      resource: 'deployments',
      name: 'orders',
      subresource: 'scale',
      dryRun: true,
    }),
    describe: 'patch deployments orders --subresource=scale -n prod-eu --dry-run=server',
    policy: DENIED_BY_DEFAULT,
    live: sendWith({ body: { spec: { replicas: 0 } } }),
  },
  {
    title: 'read a pod log in production',
    method: 'GET',
    target: '/api/v1/namespaces/prod-eu/pods/web-0/log?container=app',
    expect: resource('get', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'log' }),
    describe: 'logs pods/web-0 -n prod-eu',
    policy: READ,
    live: SEND,
  },
  {
    title: 'read a secret in production',
    method: 'GET',
    target: '/api/v1/namespaces/prod-eu/secrets/db-password',
    expect: resource('get', { namespace: 'prod-eu', resource: 'secrets', name: 'db-password' }),
    describe: 'get secrets db-password -n prod-eu',
    policy: deniedBy('no-secrets'),
    live: SEND,
  },
  {
    title: 'watch the secrets of a production namespace',
    method: 'GET',
    target: '/api/v1/namespaces/prod-eu/secrets?watch=1',
    expect: resource('watch', { namespace: 'prod-eu', resource: 'secrets' }),
    describe: 'get secrets -n prod-eu --watch',
    policy: deniedBy('no-secrets'),
    live: SEND,
  },
  {
    title: 'delete a secret in production, dry run: denied, not held',
    method: 'DELETE',
    target: '/api/v1/namespaces/prod-eu/secrets/db-password?dryRun=All',
    expect: resource('delete', { namespace: 'prod-eu', resource: 'secrets', name: 'db-password', dryRun: true }),
    describe: 'delete secrets db-password -n prod-eu --dry-run=server',
    // prod-deletes catches it too; a deny rule is stricter than an approval rule.
    policy: deniedBy('no-secrets'),
    live: SEND,
  },
  {
    title: 'delete secrets across all namespaces by a label nothing has, dry run',
    method: 'DELETE',
    target: '/api/v1/secrets?labelSelector=corpus%3Dnone&dryRun=All',
    expect: resource('deletecollection', { resource: 'secrets', labelSelector: 'corpus=none', dryRun: true }),
    describe: 'delete secrets -A -l corpus=none --dry-run=server',
    policy: deniedBy('no-secrets'),
    live: SEND,
  },
  {
    title: 'delete a role binding in production, dry run: denied, not held',
    method: 'DELETE',
    target: '/apis/rbac.authorization.k8s.io/v1/namespaces/prod-eu/rolebindings/deployers?dryRun=All',
    expect: resource('delete', {
      group: 'rbac.authorization.k8s.io',
      namespace: 'prod-eu',
      resource: 'rolebindings',
      name: 'deployers',
      dryRun: true,
    }),
    describe: 'delete rolebindings deployers -n prod-eu --dry-run=server',
    policy: deniedBy('no-rbac-changes'),
    live: SEND,
  },
  {
    title: 'an encoded slash in the name of a production secret',
    method: 'GET',
    target: '/api/v1/namespaces/prod-eu/secrets/db%2Fpassword',
    expect: unknown('EncodedSlash'),
    // The API server reads a Secret, but no deny rule can catch what the parser refuses: held, not denied.
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'prod-eu', resource: 'secrets', name: 'db', subresource: 'password' })),
  },

  {
    title: 'an encoded slash turns a namespace get into a list of production secrets at the API server',
    method: 'GET',
    target: '/api/v1/namespaces/prod-eu%2Fsecrets',
    expect: unknown('EncodedSlash'),
    // The same: a list of Secrets the API server would serve once a reviewer approves it.
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'prod-eu', resource: 'secrets' })),
  },
  {
    title: 'the legacy /watch/ prefix on exec in production is still an exec',
    method: 'GET',
    target: '/api/v1/watch/namespaces/prod-eu/pods/web-0/exec',
    expect: resource('watch', { namespace: 'prod-eu', resource: 'pods', name: 'web-0', subresource: 'exec' }),
    // exec is create whatever the method, never a read; the approval rule catches it by its resource.
    policy: heldBy('prod-exec'),
    live: SEND,
  },

  // Groups: built-in, custom resources, aggregated APIs.
  {
    title: 'create a cluster role binding, dry run',
    method: 'POST',
    target: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?dryRun=All',
    expect: resource('create', { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', dryRun: true }),
    describe: 'create clusterrolebindings --dry-run=server',
    // A dry run is decided like the write it validates: rules do not read dryRun.
    policy: deniedBy('no-rbac-changes'),
    live: sendWith({
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'corpus-dry-run' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'User', name: 'nobody', apiGroup: 'rbac.authorization.k8s.io' }],
      },
      afterwards: { path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/corpus-dry-run', exists: false },
    }),
  },
  {
    title: 'list role bindings',
    method: 'GET',
    target: '/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings',
    expect: resource('list', { group: 'rbac.authorization.k8s.io', namespace: 'shop', resource: 'rolebindings' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'get a job',
    method: 'GET',
    target: '/apis/batch/v1/namespaces/shop/jobs/nightly',
    expect: resource('get', { group: 'batch', namespace: 'shop', resource: 'jobs', name: 'nightly' }),
    describe: 'get jobs nightly -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'list ingresses everywhere',
    method: 'GET',
    target: '/apis/networking.k8s.io/v1/ingresses',
    expect: resource('list', { group: 'networking.k8s.io', resource: 'ingresses' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'list custom resource definitions',
    method: 'GET',
    target: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    expect: resource('list', { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'a self subject access review (a create that stores nothing)',
    method: 'POST',
    target: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    expect: resource('create', { group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }),
    // Cluster-scoped (""), and a create names no object (`names: ['*']` covers that).
    policy: allowedBy('self-checks'),
    live: sendWith({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'get', resource: 'pods' } },
      },
    }),
  },
  {
    title: 'a lease in kube-system',
    method: 'GET',
    target: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
    expect: resource('get', {
      group: 'coordination.k8s.io',
      namespace: 'kube-system',
      resource: 'leases',
      name: 'kube-controller-manager',
    }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'a custom resource: the group is unlisted and qualifies the resource',
    method: 'GET',
    target: '/apis/airlock.dev/v1alpha1/namespaces/shop/targets',
    expect: resource('list', { group: 'airlock.dev', version: 'v1alpha1', origin: 'unlisted', namespace: 'shop', resource: 'targets' }),
    describe: 'get targets.airlock.dev -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: "a custom resource's status",
    method: 'GET',
    target: '/apis/airlock.dev/v1alpha1/namespaces/shop/targets/orders-db/status',
    expect: resource('get', {
      group: 'airlock.dev',
      version: 'v1alpha1',
      origin: 'unlisted',
      namespace: 'shop',
      resource: 'targets',
      name: 'orders-db',
      subresource: 'status',
    }),
    describe: 'get targets.airlock.dev orders-db --subresource=status -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'pod metrics: an aggregated API parses as a resource request',
    method: 'GET',
    target: '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods',
    expect: resource('list', { group: 'metrics.k8s.io', version: 'v1beta1', origin: 'aggregated', namespace: 'shop', resource: 'pods' }),
    describe: 'get pods.metrics.k8s.io -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'node metrics of one node',
    method: 'GET',
    target: '/apis/metrics.k8s.io/v1beta1/nodes/node-1',
    expect: resource('get', { group: 'metrics.k8s.io', version: 'v1beta1', origin: 'aggregated', resource: 'nodes', name: 'node-1' }),
    // An aggregated resource's scope is not known without discovery; `reads` sets no namespaces, so both are covered.
    policy: READ,
    live: SEND,
  },
  {
    title: 'a custom metric of all pods (an encoded * decodes)',
    method: 'GET',
    target: '/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/%2A/http_requests',
    expect: resource('get', {
      group: 'custom.metrics.k8s.io',
      version: 'v1beta2',
      origin: 'aggregated',
      namespace: 'shop',
      resource: 'pods',
      name: '*',
      subresource: 'http_requests',
      path: '/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/*/http_requests',
    }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'an external metric',
    method: 'GET',
    target: '/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/queue_depth',
    expect: resource('list', {
      group: 'external.metrics.k8s.io',
      version: 'v1beta1',
      origin: 'aggregated',
      namespace: 'shop',
      resource: 'queue_depth',
    }),
    policy: READ,
    live: SEND,
  },
  {
    title: 'watch an aggregated resource',
    method: 'GET',
    target: '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods?watch=1',
    expect: resource('watch', { group: 'metrics.k8s.io', version: 'v1beta1', origin: 'aggregated', namespace: 'shop', resource: 'pods' }),
    policy: READ,
    live: SEND,
  },

  {
    title: 'delete a validating webhook configuration, dry run',
    method: 'DELETE',
    target: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/policy-checks?dryRun=All',
    expect: resource('delete', {
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
      name: 'policy-checks',
      dryRun: true,
    }),
    describe: 'delete validatingwebhookconfigurations policy-checks --dry-run=server',
    policy: deniedBy('no-webhook-changes'),
    live: SEND,
  },
  {
    title: 'list mutating webhook configurations',
    method: 'GET',
    target: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    expect: resource('list', { group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' }),
    // no-webhook-changes lists only changes.
    policy: READ,
    live: SEND,
  },
  {
    title: 'Secrets spelled with a capital S',
    method: 'GET',
    target: '/api/v1/namespaces/shop/Secrets/db-password',
    expect: resource('get', { namespace: 'shop', resource: 'Secrets', name: 'db-password' }),
    // Case does not count for a deny rule: no-secrets catches it (the API server serves no such resource).
    policy: deniedBy('no-secrets'),
    live: SEND,
  },
  {
    title: 'secrets of another group are not core Secrets',
    method: 'GET',
    target: '/apis/example.com/v1/namespaces/shop/secrets',
    expect: resource('list', { group: 'example.com', origin: 'unlisted', namespace: 'shop', resource: 'secrets' }),
    describe: 'get secrets.example.com -n shop',
    // no-secrets lists the core group ("") only.
    policy: READ,
    live: SEND,
  },
  {
    title: 'delete the custom resources of a kind whose scope the path does not tell, dry run',
    method: 'DELETE',
    target: '/apis/example.com/v1/widgets?dryRun=All',
    expect: resource('deletecollection', { group: 'example.com', origin: 'unlisted', resource: 'widgets', dryRun: true }),
    // Without discovery it is read as cluster-scoped and across all namespaces; prod-* catches the latter.
    policy: heldBy('prod-deletes'),
    live: SEND,
  },
  {
    title: 'kubectl auth whoami',
    method: 'POST',
    target: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    expect: resource('create', { group: 'authentication.k8s.io', resource: 'selfsubjectreviews' }),
    policy: allowedBy('self-checks'),
    live: sendWith({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }),
  },
  {
    title: 'a self subject access review under a namespace is not cluster-scoped',
    method: 'POST',
    target: '/apis/authorization.k8s.io/v1/namespaces/shop/selfsubjectaccessreviews',
    expect: resource('create', { group: 'authorization.k8s.io', namespace: 'shop', resource: 'selfsubjectaccessreviews' }),
    // self-checks covers cluster scope ("") only.
    policy: DENIED_BY_DEFAULT,
    live: sendWith({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'get', resource: 'pods' } },
      },
    }),
  },

  // Non-resource paths: discovery, OpenAPI, version, health are reads.
  // `/` is not among the discovery paths an allow rule covers without naming them (ADR 0025).
  {
    title: 'the root lists paths',
    method: 'GET',
    target: '/',
    expect: nonResource('get', 'discovery'),
    describe: 'get /',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  { title: 'core discovery', method: 'GET', target: '/api', expect: nonResource('get', 'discovery'), policy: READ, live: SEND },
  {
    title: 'core v1 discovery',
    method: 'GET',
    target: '/api/v1',
    expect: nonResource('get', 'discovery'),
    describe: 'get /api/v1',
    policy: READ,
    live: SEND,
  },
  { title: 'group discovery', method: 'GET', target: '/apis', expect: nonResource('get', 'discovery'), policy: READ, live: SEND },
  { title: 'one group', method: 'GET', target: '/apis/apps', expect: nonResource('get', 'discovery'), policy: READ, live: SEND },
  { title: 'one group version', method: 'GET', target: '/apis/apps/v1', expect: nonResource('get', 'discovery'), policy: READ, live: SEND },
  {
    title: 'an aggregated group version',
    method: 'GET',
    target: '/apis/metrics.k8s.io/v1beta1',
    expect: nonResource('get', 'discovery'),
    policy: READ,
    live: SEND,
  },
  {
    title: 'version',
    method: 'GET',
    target: '/version',
    expect: nonResource('get', 'version'),
    describe: 'get /version',
    policy: READ,
    live: SEND,
  },
  // HEAD is read as get, so it is a discovery read too.
  {
    title: 'HEAD of version keeps its own verb',
    method: 'HEAD',
    target: '/version',
    expect: nonResource('head', 'version'),
    policy: READ,
    live: SEND,
  },
  { title: 'healthz', method: 'GET', target: '/healthz', expect: nonResource('get', 'health'), policy: DENIED_BY_DEFAULT, live: SEND },
  {
    title: 'livez, verbose',
    method: 'GET',
    target: '/livez?verbose',
    expect: nonResource('get', 'health'),
    describe: 'get /livez',
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  {
    title: 'one readiness check',
    method: 'GET',
    target: '/readyz/etcd',
    expect: nonResource('get', 'health'),
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  { title: 'OpenAPI v2', method: 'GET', target: '/openapi/v2', expect: nonResource('get', 'openapi'), policy: READ, live: SEND },
  { title: 'OpenAPI v3 index', method: 'GET', target: '/openapi/v3', expect: nonResource('get', 'openapi'), policy: READ, live: SEND },
  {
    title: 'OpenAPI v3 of a group version',
    method: 'GET',
    target: '/openapi/v3/apis/apps/v1?hash=0123ABCD',
    expect: nonResource('get', 'openapi'),
    describe: 'get /openapi/v3/apis/apps/v1',
    policy: READ,
    live: SEND,
  },
  // Only a GET or HEAD of a discovery path is covered without nonResourceURLs.
  {
    title: 'POST to discovery keeps its verb',
    method: 'POST',
    target: '/apis',
    expect: nonResource('post', 'discovery'),
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },
  // Not a discovery path: only a rule with nonResourceURLs would cover it.
  { title: 'metrics', method: 'GET', target: '/metrics', expect: nonResource('get', 'other'), policy: DENIED_BY_DEFAULT, live: SEND },
  {
    title: 'the service account issuer document',
    method: 'GET',
    target: '/.well-known/openid-configuration',
    expect: nonResource('get', 'other'),
    policy: DENIED_BY_DEFAULT,
    live: SEND,
  },

  // Percent-encoding: decoded as the API server decodes, refused where it could split or resolve differently.
  {
    title: 'an encoded dash decodes',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web%2D0',
    expect: resource('get', { namespace: 'shop', resource: 'pods', name: 'web-0', path: '/api/v1/namespaces/shop/pods/web-0' }),
    describe: 'get pods web-0 -n shop',
    policy: READ,
    live: SEND,
  },
  {
    title: 'an encoded slash in a name',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/a%2Fb',
    expect: unknown('EncodedSlash'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: 'a', subresource: 'b' })),
  },
  {
    title: 'an encoded slash turns a namespace get into a pod list at the API server',
    method: 'GET',
    target: '/api/v1/namespaces/shop%2Fpods',
    expect: unknown('EncodedSlash'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'a .. segment',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/..',
    expect: unknown('DotSegment'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: '..' })),
  },
  {
    title: 'an encoded .. segment',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/%2E%2E',
    expect: unknown('DotSegment'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: '..' })),
  },
  {
    title: 'a . segment',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/./web-0',
    expect: unknown('DotSegment'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: '.', subresource: 'web-0' })),
  },
  {
    title: '.. segments climbing from kube-system secrets to shop pods',
    method: 'GET',
    target: '/api/v1/namespaces/kube-system/secrets/../../shop/pods',
    expect: unknown('DotSegment'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'kube-system', resource: 'secrets', name: '..', subresource: '..' })),
  },
  {
    title: 'a leading //',
    method: 'GET',
    target: '//api/v1/pods',
    expect: unknown('EmptySegment'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, resource: 'pods' })),
  },
  {
    title: 'a trailing /',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/',
    expect: unknown('EmptySegment'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'an empty segment inside',
    method: 'GET',
    target: '/api//v1/pods',
    expect: unknown('EmptySegment'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { apiVersion: '', resource: 'v1', name: 'pods' })),
  },
  {
    title: 'a bad percent escape',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/%zz',
    expect: unknown('MalformedPath'),
    policy: FAILS_CLOSED,
    live: stricter({ audited: false }),
  },
  {
    title: 'an encoded % (double encoding)',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web%252D0',
    expect: unknown('MalformedPath'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web%2D0' })),
  },
  {
    title: 'an encoded control character',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web%0A0',
    expect: unknown('MalformedPath'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web\n0' })),
  },
  {
    title: 'a name that is not ASCII',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/caf%C3%A9',
    expect: unknown('MalformedPath'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: 'café' })),
  },
  {
    title: 'an encoded backslash',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web%5C0',
    expect: unknown('MalformedPath'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web\\0' })),
  },
  {
    title: 'a raw space cannot be on a request line',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web 0',
    expect: unknown('MalformedPath'),
    policy: FAILS_CLOSED,
    live: { send: false, why: 'HTTP clients refuse to send a space in a path' },
  },

  // Queries: what Go drops silently, repeated parameters, list options that do not decode.
  {
    title: 'a ; in the query (the API server drops the pair: a list, not a watch)',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=1;x=1',
    expect: unknown('MalformedQuery'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'a bad escape in the query (the API server drops the pair)',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0%zz',
    expect: unknown('MalformedQuery'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'watch= (empty) is a watch to the API server',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=',
    expect: unknown('UnclearWatchValue'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('watch', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'watch=no is a watch to the API server',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=no',
    expect: unknown('UnclearWatchValue'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('watch', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'watch given twice: the API server takes the first',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?watch=true&watch=false',
    expect: unknown('ConflictingQueryParameter'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('watch', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'two field selectors: the API server takes the first',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0&fieldSelector=metadata.name%3Dweb-1',
    expect: unknown('ConflictingQueryParameter'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web-0' })),
  },
  {
    title: 'two label selectors',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&labelSelector=app%3Dapi',
    expect: unknown('ConflictingQueryParameter'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'two names in one field selector: the API server takes the first in sort order',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-1%2Cmetadata.name%3Dweb-0',
    expect: unknown('ConflictingNameSelector'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web-0' })),
  },
  {
    title: 'a named list with a label selector',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0&labelSelector=app%3Dweb',
    expect: unknown('NameSelectorWithLabelSelector'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web-0' })),
  },
  {
    title: 'a named list with a label selector that does not parse loses its name at the API server',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0&labelSelector=%21%21',
    expect: unknown('NameSelectorWithLabelSelector'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'a limit that is no integer: the API server drops the name',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-0&limit=abc',
    expect: unknown('InvalidListOption'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'a field selector without an operator',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name',
    expect: unknown('InvalidListOption'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'a field selector value with an unescaped =',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3D%3D%3Dweb-0',
    expect: unknown('InvalidListOption'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },
  {
    title: 'a control character in a selector',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%0A',
    expect: unknown('MalformedQuery'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('list', { ...CORE, namespace: 'shop', resource: 'pods' })),
  },

  // Paths the API server cannot resolve, or resolves to something it does not serve.
  {
    title: '/watch with nothing after it',
    method: 'GET',
    target: '/api/v1/watch',
    expect: unknown('MissingResource'),
    policy: FAILS_CLOSED,
    live: stricter({ audited: false }),
  },
  {
    title: 'the removed /proxy/ form',
    method: 'GET',
    target: '/api/v1/proxy/namespaces/shop/pods/web-0',
    expect: unknown('LegacyProxyPath'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('proxy', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web-0' })),
  },
  {
    title: 'a path after exec',
    method: 'GET',
    target: '/api/v1/namespaces/shop/pods/web-0/exec/more',
    expect: unknown('PathAfterSubresource'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'pods', name: 'web-0', subresource: 'exec' })),
  },
  {
    title: 'a path after a namespace subresource',
    method: 'GET',
    target: '/api/v1/namespaces/shop/status/more',
    expect: unknown('PathAfterSubresource'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('get', { ...CORE, namespace: 'shop', resource: 'namespaces', name: 'shop', subresource: 'status' })),
  },
  {
    title: 'OPTIONS has no Kubernetes verb',
    method: 'OPTIONS',
    target: '/api/v1/pods',
    expect: unknown('UnsupportedMethod'),
    policy: FAILS_CLOSED,
    live: stricter(serverResource('', { ...CORE, resource: 'pods' })),
  },
  {
    title: 'a lower-case method',
    method: 'get',
    target: '/api/v1/pods',
    expect: unknown('UnsupportedMethod'),
    policy: FAILS_CLOSED,
    live: { send: false, why: 'HTTP clients send methods in upper case' },
  },
  {
    title: 'a path that is not absolute',
    method: 'GET',
    target: 'api/v1/pods',
    expect: unknown('MalformedPath'),
    policy: FAILS_CLOSED,
    live: { send: false, why: 'not a request-target an HTTP server accepts' },
  },
];

export const REQUEST_CORPUS: readonly RequestCase[] = DRAFTS.map((draft) => ({
  ...draft,
  expect: typeof draft.expect === 'function' ? draft.expect(draft.target.split('?')[0] ?? '') : draft.expect,
}));
