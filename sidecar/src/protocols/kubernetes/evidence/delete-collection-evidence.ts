/**
 * Evidence for deleting a collection (`kubectl delete deployments -l tier=canary`): the dry-run
 * DELETE on the collection answers with the objects that would go, asked for as metadata only;
 * each is listed by kind and name with, unless orphaned, its dependents under it.
 */
import { propagationOf } from './delete-options.ts';
import { type DependentTree, describeCounts, renderDependents } from './dependent-tree.ts';
import { knownKind } from './dependent-types.ts';
import { sendDryRunDelete } from './dry-run-delete.ts';
import { dryRunObject } from './dry-run-outcome.ts';
import type { EvidenceContext } from './evidence-context.ts';
import { type ObjectMetadata, readMetadata } from './list-metadata.ts';
import { searchDependents } from './search-dependents.ts';
import { PARTIAL_METADATA_LIST_MEDIA_TYPE } from './upstream-call.ts';

export async function deleteCollectionEvidence(context: EvidenceContext): Promise<void> {
  const { info, draft } = context;
  const sent = await sendDryRunDelete(context, PARTIAL_METADATA_LIST_MEDIA_TYPE);
  if (sent === undefined) return;
  const list = dryRunObject(context, sent.answer);
  if (list === undefined) return;
  const items = (Array.isArray(list.items) ? list.items : []).map(readMetadata).filter((m): m is ObjectMetadata => m !== undefined);
  const kind = knownKind(info.apiGroup, info.resource) ?? info.resource;
  const acrossNamespaces = info.namespace === '';
  if (items.length === 0) {
    draft.summary = `would delete nothing: no ${info.resource} match`;
    draft.line(`no ${info.resource} match: nothing would be deleted`);
    return;
  }
  const orphan = propagationOf(info, sent.source).policy === 'Orphan';
  const tree = orphan
    ? undefined
    : await searchDependents(
        context,
        items.map((item) => item.uid).filter((uid) => uid !== ''),
        info.namespace,
      );
  draft.line(
    `would delete ${items.length} ${info.resource}${tree === undefined || tree.total === 0 ? '' : ` and ${tree.total} dependents`}:`,
  );
  renderItems(context, items, kind, acrossNamespaces, tree);
  if (orphan) draft.line('propagationPolicy Orphan: their dependents are kept');
  const names = items.map((item) => (acrossNamespaces ? `${item.namespace}/${item.name}` : item.name)).join(', ');
  const dependents = tree !== undefined && tree.total > 0 ? ` and, by propagation, ${describeCounts(tree.counts)}` : '';
  draft.summary = `would delete ${items.length} ${info.resource}${dependents}: ${names}`;
}

/** Each object, then its dependents under it, at most maxObjects lines of objects in all. */
function renderItems(
  context: EvidenceContext,
  items: readonly ObjectMetadata[],
  kind: string,
  acrossNamespaces: boolean,
  tree: DependentTree | undefined,
): void {
  const lines: string[] = [];
  let written = 0;
  for (const item of items) {
    if (written >= context.maxObjects) break;
    lines.push(`  ${kind} ${acrossNamespaces ? `${item.namespace}/` : ''}${item.name}`);
    written++;
    const dependents = tree?.byRoot.get(item.uid) ?? [];
    written += renderDependents(dependents, 2, context.maxObjects - written, acrossNamespaces, lines);
  }
  for (const line of lines) context.draft.line(line);
  const total = items.length + (tree?.total ?? 0);
  if (written < total) context.draft.line(`  … and ${total - written} more`);
}
