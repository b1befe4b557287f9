/**
 * How a delete's options reach the API server, and what they say about dependents.
 *
 * kube-apiserver reads DeleteOptions from the body when there is one, and then ignores the query
 * entirely — `?dryRun=All` included: a DELETE with a body and only a query dryRun really deletes.
 * So the dry run of a delete with a body carries `dryRun: ["All"]` in the body (re-encoded as
 * JSON), and a body this code cannot read is not sent at all. Without a body the options come
 * from the query. For the dependents: propagationPolicy, else the deprecated orphanDependents,
 * else the resource's default (core v1 ReplicationControllers orphan; everything else goes in the
 * background).
 */
import type { ResourceRequestInfo } from '@airlock/contracts/kubernetes';
import { parse as parseYaml } from 'yaml';
import { errorText, isObject } from './upstream-call.ts';

export type DeleteOptionsSource =
  /** No body: the API server reads the options from the query. */
  | { readonly kind: 'query'; readonly params: URLSearchParams }
  | { readonly kind: 'body'; readonly options: Readonly<Record<string, unknown>> }
  | { readonly kind: 'unreadable'; readonly why: string };

export function deleteOptionsSource(body: Buffer, contentType: string | undefined, query: string): DeleteOptionsSource {
  if (body.length === 0) return { kind: 'query', params: new URLSearchParams(query) };
  const type = (contentType ?? 'application/json').toLowerCase();
  if (type.includes('protobuf')) return { kind: 'unreadable', why: 'the delete options are protobuf' };
  const text = body.toString('utf8');
  let decoded: unknown;
  try {
    decoded = type.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    return { kind: 'unreadable', why: `the delete options could not be decoded (${errorText(error)})` };
  }
  if (!isObject(decoded)) return { kind: 'unreadable', why: 'the delete options are not an object' };
  return { kind: 'body', options: decoded };
}

/** Whether the request is already a dry run, as the API server reads it (body over query). */
export function deleteAsksForDryRun(source: DeleteOptionsSource): boolean {
  if (source.kind === 'query') return source.params.has('dryRun');
  return source.kind === 'body' && source.options.dryRun !== undefined;
}

/** The body and query of the dry run: the options with dryRun=All where the API server reads them. */
export function dryRunDelete(
  source: Exclude<DeleteOptionsSource, { kind: 'unreadable' }>,
  dryRunQuery: string,
): { readonly query: string; readonly body?: Buffer; readonly contentType?: string } {
  if (source.kind === 'query') return { query: dryRunQuery };
  // The query stays as well (it is ignored with a body, and harmless); the body is what counts.
  return { query: dryRunQuery, body: Buffer.from(JSON.stringify({ ...source.options, dryRun: ['All'] })), contentType: 'application/json' };
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface Propagation {
  readonly policy: PropagationPolicy;
  /** Whether the request named it, or the resource's default applies. */
  readonly explicit: boolean;
}

const POLICIES = new Set<string>(['Orphan', 'Background', 'Foreground']);

export function propagationOf(info: ResourceRequestInfo, source: Exclude<DeleteOptionsSource, { kind: 'unreadable' }>): Propagation {
  const read = (key: string): unknown => (source.kind === 'query' ? (source.params.get(key) ?? undefined) : source.options[key]);
  const policy = read('propagationPolicy');
  if (typeof policy === 'string' && POLICIES.has(policy)) return { policy: policy as PropagationPolicy, explicit: true };
  const orphan = read('orphanDependents');
  if (orphan === true || orphan === 'true') return { policy: 'Orphan', explicit: true };
  if (orphan === false || orphan === 'false') return { policy: 'Background', explicit: true };
  const orphansByDefault = info.apiGroup === '' && info.apiVersion === 'v1' && info.resource === 'replicationcontrollers';
  return { policy: orphansByDefault ? 'Orphan' : 'Background', explicit: false };
}
