/**
 * A request in the kubectl terms reviewers know: `delete deployments orders -n prod-eu`,
 * `get secrets -n kube-system`, `exec pods/web-0 -n shop`, `get /version`. What it shows is what
 * the API server will act on: the scope is always written out (`-A` for a request across all
 * namespaces), a group other than the core and built-in ones qualifies the resource
 * (`targets.airlock.dev`), selectors and dry runs are flags. Values from the request are quoted
 * like a shell would need them, so a name never reads as another word.
 */
import type { KubernetesRequestInfo, ResourceRequestInfo, ResourceVerb } from './request-info.ts';

const KUBECTL_COMMANDS: Record<ResourceVerb, string> = {
  get: 'get',
  list: 'get',
  watch: 'get',
  create: 'create',
  update: 'replace',
  patch: 'patch',
  delete: 'delete',
  deletecollection: 'delete',
};

/** Subresources kubectl has a command for, when read (log) or opened (the others) on a named object. */
const SUBRESOURCE_COMMANDS: ReadonlyMap<string, { command: string; verbs: readonly ResourceVerb[] }> = new Map([
  ['exec', { command: 'exec', verbs: ['get', 'create'] }],
  ['attach', { command: 'attach', verbs: ['get', 'create'] }],
  ['portforward', { command: 'port-forward', verbs: ['get', 'create'] }],
  ['log', { command: 'logs', verbs: ['get'] }],
]);

const COLLECTION_VERBS = new Set<ResourceVerb>(['list', 'watch', 'deletecollection']);
const PLAIN_WORD = /^[A-Za-z0-9._\-/:=,@+]+$/;

/** What the caller knows beyond the request: whether its resource is cluster-scoped (discovery says). */
export interface DescribeOptions {
  /** The resource is cluster-scoped: a collection request without a namespace gets no `-A`. */
  readonly clusterScoped?: boolean;
}

export function describeKubernetesRequest(info: KubernetesRequestInfo, options: DescribeOptions = {}): string {
  switch (info.kind) {
    case 'unknown':
      return `unknown request (${info.code})`;
    case 'non-resource':
      return `${info.verb} ${quote(info.path)}`;
    case 'resource':
      return describeResourceRequest(info, options);
  }
}

function describeResourceRequest(info: ResourceRequestInfo, options: DescribeOptions): string {
  const resource = qualifiedResource(info);
  // A list or watch may carry the name its field selector pins; the selector is what is shown then.
  const namedInPath = info.name !== '' && !((info.verb === 'list' || info.verb === 'watch') && info.fieldSelector !== '');
  const scope = scopeFlags(info, namedInPath, options);
  const special = SUBRESOURCE_COMMANDS.get(info.subresource);
  if (namedInPath && special?.verbs.includes(info.verb)) {
    return [special.command, quote(`${resource}/${info.name}`), ...scope].join(' ');
  }
  if (namedInPath && info.subresource === 'proxy') {
    return ['proxy', info.verb, quote(`${resource}/${info.name}`), quote(`/${info.parts.slice(3).join('/')}`), ...scope].join(' ');
  }
  const words = [KUBECTL_COMMANDS[info.verb], quote(resource)];
  if (namedInPath) words.push(quote(info.name));
  if (info.subresource !== '') words.push(`--subresource=${quote(info.subresource)}`);
  if (info.verb === 'deletecollection' && info.labelSelector === '' && info.fieldSelector === '') words.push('--all');
  words.push(...scope);
  if (info.labelSelector !== '') words.push('-l', quote(info.labelSelector));
  if (info.fieldSelector !== '') words.push('--field-selector', quote(info.fieldSelector));
  if (info.watch) words.push('--watch');
  if (info.dryRun) words.push('--dry-run=server');
  return words.join(' ');
}

/** kubectl's `resource.group` form, except for the groups whose resource names kubectl resolves unqualified. */
function qualifiedResource(info: ResourceRequestInfo): string {
  return info.groupOrigin === 'core' || info.groupOrigin === 'built-in' ? info.resource : `${info.resource}.${info.apiGroup}`;
}

/**
 * `-n` for a namespace; `-A` for a collection request without one, unless the caller knows the
 * resource is cluster-scoped (`get nodes`, not `get nodes -A`). Without that knowledge `-A` is
 * written: it reads right for a cluster-scoped collection too (everything). The namespaces
 * resource carries its own name as namespace.
 */
function scopeFlags(info: ResourceRequestInfo, namedInPath: boolean, options: DescribeOptions): string[] {
  if (info.resource === 'namespaces' && info.apiGroup === '') return [];
  if (info.namespace !== '') return ['-n', quote(info.namespace)];
  return !namedInPath && COLLECTION_VERBS.has(info.verb) && !options.clusterScoped ? ['-A'] : [];
}

function quote(word: string): string {
  return PLAIN_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
