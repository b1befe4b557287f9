/**
 * What every evidence builder gets: the upstream, the masker, the signal that ends the time
 * budget, the bound on objects listed, the draft to write to, and the request's paths built once.
 */
import type { ResourceRequestInfo } from '@airlock/contracts/kubernetes';
import type { EvidenceDraft } from './evidence-draft.ts';
import type { EvidenceMethod, EvidenceUpstream } from './evidence-upstream.ts';

export interface EvidenceContext {
  readonly info: ResourceRequestInfo;
  readonly method: EvidenceMethod;
  /** The request's path as sent upstream (percent-encoded), subresource included. */
  readonly path: string;
  /** The query as the agent sent it. */
  readonly agentQuery: string;
  /** The agent's query with dryRun=All added. */
  readonly dryRunQuery: string;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly upstream: EvidenceUpstream;
  readonly mask: (object: unknown) => unknown;
  readonly signal: AbortSignal;
  readonly maxObjects: number;
  readonly draft: EvidenceDraft;
}

/** The request's path with each segment percent-encoded again (the parser hands it over decoded). */
export function encodedPath(decodedPath: string): string {
  return decodedPath
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** The path of the object itself, without the subresource: what is read before a change. */
export function objectPath(info: ResourceRequestInfo): string {
  // parts is [resource, name, subresource, ...]: whatever follows the name is dropped.
  const segments = info.path.split('/');
  const afterName = Math.max(0, info.parts.length - 2);
  return encodedPath(segments.slice(0, segments.length - afterName).join('/'));
}

/** The path of a resource's collection: in a namespace, or across all of them when namespace is ''. */
export function collectionPath(group: string, version: string, resource: string, namespace: string): string {
  const prefix = group === '' ? `/api/${version}` : `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}`;
  const scope = namespace === '' ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${prefix}${scope}/${encodeURIComponent(resource)}`;
}

export function withQuery(path: string, query: string): string {
  return query === '' ? path : `${path}?${query}`;
}
