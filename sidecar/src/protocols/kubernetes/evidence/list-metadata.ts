/**
 * Lists the objects of one type as metadata only (`PartialObjectMetadataList`): small, and never a
 * Secret's data. Pages of PAGE_SIZE are read until MAX_PAGES; a type with more objects than that
 * is reported as cut, not silently shortened.
 */

import type { DependentType } from './dependent-types.ts';
import { collectionPath, type EvidenceContext, withQuery } from './evidence-context.ts';
import { callUpstream, isObject, PARTIAL_METADATA_LIST_MEDIA_TYPE } from './upstream-call.ts';

export interface OwnerReference {
  readonly uid: string;
  readonly kind: string;
  readonly name: string;
}

export interface ObjectMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly ownerReferences: readonly OwnerReference[];
}

export type MetadataListing =
  | { readonly kind: 'listed'; readonly items: readonly ObjectMetadata[]; readonly cut: boolean }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

const PAGE_SIZE = 500;
const MAX_PAGES = 20;

type ListContext = Pick<EvidenceContext, 'upstream' | 'signal'>;

export async function listMetadata(context: ListContext, type: DependentType, namespace: string): Promise<MetadataListing> {
  const path = collectionPath(type.group, type.version, type.resource, namespace);
  const items: ObjectMetadata[] = [];
  let continueToken = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (continueToken !== '') query.set('continue', continueToken);
    const answer = await callUpstream(context.upstream, {
      method: 'GET',
      path: withQuery(path, query.toString()),
      accept: PARTIAL_METADATA_LIST_MEDIA_TYPE,
      signal: context.signal,
    });
    if (answer.kind !== 'object') return answer;
    const list = answer.object;
    for (const item of Array.isArray(list.items) ? list.items : []) {
      const metadata = readMetadata(item);
      if (metadata !== undefined) items.push(metadata);
    }
    continueToken = isObject(list.metadata) && typeof list.metadata.continue === 'string' ? list.metadata.continue : '';
    if (continueToken === '') return { kind: 'listed', items, cut: false };
  }
  return { kind: 'listed', items, cut: true };
}

/** The metadata of a list item, whether the server sent PartialObjectMetadata or the whole object. */
export function readMetadata(item: unknown): ObjectMetadata | undefined {
  if (!isObject(item) || !isObject(item.metadata)) return undefined;
  const metadata = item.metadata;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (name === '') return undefined;
  const owners = Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences : [];
  return {
    name,
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
    uid: typeof metadata.uid === 'string' ? metadata.uid : '',
    ownerReferences: owners.filter(isObject).map((owner) => ({
      uid: typeof owner.uid === 'string' ? owner.uid : '',
      kind: typeof owner.kind === 'string' ? owner.kind : '',
      name: typeof owner.name === 'string' ? owner.name : '',
    })),
  };
}
