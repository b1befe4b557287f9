/**
 * Lists every type of DEPENDENT_TYPES in one namespace (or across all when the owner is cluster
 * scoped), one list call per type, side by side. A type the sidecar's credential may not list, or
 * whose list fails, becomes a note and marks the evidence incomplete: its objects, and whatever
 * they own, are not shown.
 */

import type { ListedType } from './dependent-tree.ts';
import { DEPENDENT_TYPES } from './dependent-types.ts';
import type { EvidenceContext } from './evidence-context.ts';
import { listMetadata } from './list-metadata.ts';

export async function listDependentTypes(context: EvidenceContext, namespace: string, purpose: string): Promise<ListedType[]> {
  const listings = await Promise.all(
    DEPENDENT_TYPES.map(async (type) => ({ type, listing: await listMetadata(context, type, namespace) })),
  );
  const listed: ListedType[] = [];
  for (const { type, listing } of listings) {
    switch (listing.kind) {
      case 'listed':
        listed.push({ type, items: listing.items });
        if (listing.cut) {
          context.draft.note(`${type.resource}: only the first ${listing.items.length} were read; ${purpose} beyond them are not shown`, {
            incomplete: true,
          });
        }
        break;
      case 'refused': {
        const why = listing.status === 403 ? 'forbidden' : `${listing.reason}: ${listing.message}`;
        context.draft.note(`could not list ${type.resource}: ${why}; ${purpose} of that type are not shown`, { incomplete: true });
        break;
      }
      case 'failed':
        // When the time budget ends, every list fails the same way: one note says so.
        if (context.signal.aborted) {
          context.draft.note(`the search for ${purpose} stopped (${listing.message}); some are not shown`, { incomplete: true });
          break;
        }
        context.draft.note(`could not list ${type.resource}: ${listing.message}; ${purpose} of that type are not shown`, {
          incomplete: true,
        });
        break;
    }
  }
  return listed;
}
