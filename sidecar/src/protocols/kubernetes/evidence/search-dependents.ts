/**
 * Finds what the garbage collector would delete with some objects: lists the fixed types once
 * and follows ownerReferences from the objects' uids. Says in notes what the search cannot see:
 * other types (always), types it could not list, levels too deep, a search the time budget ended.
 */
import { buildDependentTree, type DependentTree } from './dependent-tree.ts';
import type { EvidenceContext } from './evidence-context.ts';
import { listDependentTypes } from './list-dependent-types.ts';

export async function searchDependents(context: EvidenceContext, rootUids: readonly string[], namespace: string): Promise<DependentTree> {
  const listed = await listDependentTypes(context, namespace, 'dependents');
  const tree = buildDependentTree(rootUids, listed);
  context.draft.note('dependents of other types (custom resources and others) are not listed', { incomplete: false });
  if (tree.deeperNotShown) context.draft.note('dependents more than 5 levels down are not shown', { incomplete: true });
  return tree;
}
