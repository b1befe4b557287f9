/**
 * Whether a request gets a dry run at all. Reads change nothing; connections (exec, attach,
 * portforward, proxy) refuse dryRun; a request that already asks for a dry run is its own preview.
 * An aggregated API's server implements dryRun as it likes and may ignore it and really act, so
 * its requests are never sent as a preview; a group the parser cannot place is sent only once
 * discovery (its APIService) says kube-apiserver serves it itself (custom resources).
 */
import type { ResourceRequestInfo } from '@airlock/contracts/kubernetes';
import { deleteAsksForDryRun, deleteOptionsSource } from './delete-options.ts';
import type { EvidenceMethod } from './evidence-upstream.ts';

export type DryRunEligibility =
  | { readonly kind: 'none' }
  | { readonly kind: 'aggregated' }
  /** Ask discovery first: a custom resource (served by kube-apiserver) or an aggregated API. */
  | { readonly kind: 'ask-discovery'; readonly method: EvidenceMethod }
  | { readonly kind: 'dry-run'; readonly method: EvidenceMethod };

const CONNECTION_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

const METHODS_BY_VERB = {
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
} as const satisfies Partial<Record<ResourceRequestInfo['verb'], EvidenceMethod>>;

export function dryRunEligibility(request: {
  readonly info: ResourceRequestInfo;
  readonly method: string;
  readonly query: string;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}): DryRunEligibility {
  const { info, method } = request;
  if (!(info.verb in METHODS_BY_VERB)) return { kind: 'none' };
  const expected = METHODS_BY_VERB[info.verb as keyof typeof METHODS_BY_VERB];
  // The parser derived the verb from this method; anything else is not the request it describes.
  if (method.toUpperCase() !== expected) return { kind: 'none' };
  if (CONNECTION_SUBRESOURCES.has(info.subresource)) return { kind: 'none' };
  if (alreadyDryRun(request)) return { kind: 'none' };
  switch (info.groupOrigin) {
    case 'core':
    case 'built-in':
      return { kind: 'dry-run', method: expected };
    case 'aggregated':
      return { kind: 'aggregated' };
    case 'unlisted':
      return { kind: 'ask-discovery', method: expected };
  }
}

/**
 * Whether the request already is a dry run as the API server reads it. A delete with a body has
 * its options read from the body only (a query dryRun is ignored: that request really deletes,
 * and gets evidence); everything else reads dryRun from the query.
 */
function alreadyDryRun(request: {
  readonly info: ResourceRequestInfo;
  readonly query: string;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}): boolean {
  const { info } = request;
  if ((info.verb === 'delete' || info.verb === 'deletecollection') && request.body.length > 0) {
    return deleteAsksForDryRun(deleteOptionsSource(request.body, request.contentType, request.query));
  }
  return info.dryRun || new URLSearchParams(request.query).has('dryRun');
}
