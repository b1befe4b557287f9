/**
 * Evidence for deleting one object: the dry-run DELETE (same DeleteOptions), then what goes with
 * it. Unless dependents are orphaned, the garbage collector deletes every object whose
 * ownerReferences name it, and theirs: those are searched among the fixed DEPENDENT_TYPES. A
 * Namespace takes everything in it: its objects are counted per type.
 * The request's preconditions (uid, resourceVersion) are checked by the dry run itself.
 */
import { propagationOf } from './delete-options.ts';
import { describeCounts, renderDependents } from './dependent-tree.ts';
import { sendDryRunDelete } from './dry-run-delete.ts';
import { answerUid, dryRunObject, fullName, shortName, subjectOf } from './dry-run-outcome.ts';
import { type EvidenceContext, objectPath } from './evidence-context.ts';
import { listDependentTypes } from './list-dependent-types.ts';
import { searchDependents } from './search-dependents.ts';
import { callUpstream, type KubeObject, stringField } from './upstream-call.ts';

export async function deleteEvidence(context: EvidenceContext): Promise<void> {
  const { info, draft } = context;
  const sent = await sendDryRunDelete(context);
  if (sent === undefined) return;
  const result = dryRunObject(context, sent.answer);
  if (result === undefined) return;
  const current = await readCurrent(context);
  const subject = subjectOf(info, current ?? result);
  if (info.subresource !== '') {
    draft.summary = `would delete ${shortName(subject)} (${info.subresource})`;
    draft.line(
      `the API server accepted the dry run: ${stringField(result, 'kind') || 'an answer'} ${stringField(result, 'metadata', 'name')}`,
    );
    return;
  }
  const propagation = propagationOf(info, sent.source);
  draft.line(`would delete ${fullName(subject)}`);
  if (info.apiGroup === '' && info.resource === 'namespaces') {
    await namespaceContents(context, subject.name);
    return;
  }
  if (propagation.policy === 'Orphan') {
    draft.summary = `would delete ${shortName(subject)}; its dependents are kept (propagationPolicy Orphan)`;
    draft.line(
      `propagationPolicy Orphan${propagation.explicit ? '' : ' (the default for this resource)'}: dependents are kept, their ownerReferences to it removed`,
    );
    return;
  }
  const uid = (current !== undefined ? stringField(current, 'metadata', 'uid') : '') || answerUid(result);
  draft.line(
    `propagationPolicy ${propagation.policy}${propagation.explicit ? '' : ' (the default)'}: the garbage collector deletes its dependents ${
      propagation.policy === 'Foreground' ? 'before it' : 'after it'
    }`,
  );
  if (uid === '') {
    draft.summary = `would delete ${shortName(subject)}`;
    draft.note('dependents could not be searched: the object’s uid is unknown', { incomplete: true });
    return;
  }
  const tree = await searchDependents(context, [uid], info.namespace);
  if (tree.total === 0) {
    draft.line('no dependents found');
    draft.summary = `would delete ${shortName(subject)}; no dependents found`;
    return;
  }
  draft.line(`and ${tree.total} dependents, found by their ownerReferences:`);
  const lines: string[] = [];
  const written = renderDependents(tree.byRoot.get(uid) ?? [], 1, context.maxObjects, info.namespace === '', lines);
  for (const line of lines) draft.line(line);
  if (written < tree.total) draft.line(`  … and ${tree.total - written} more`);
  draft.summary = `would delete ${shortName(subject)} and, by propagation, ${describeCounts(tree.counts)}`;
}

/** The object as it is now, read whole; undefined when it cannot be read (the dry run answered for it). */
async function readCurrent(context: EvidenceContext): Promise<KubeObject | undefined> {
  const answer = await callUpstream(context.upstream, { method: 'GET', path: objectPath(context.info), signal: context.signal });
  if (answer.kind === 'object') return answer.object;
  const why = answer.kind === 'refused' ? `${answer.status} ${answer.reason}` : answer.message;
  context.draft.note(`could not read the object itself (${why}); its kind and uid come from the dry run’s answer`, { incomplete: false });
  return undefined;
}

async function namespaceContents(context: EvidenceContext, namespace: string): Promise<void> {
  const { draft } = context;
  const listed = await listDependentTypes(context, namespace, 'objects');
  const counts = new Map(listed.filter(({ items }) => items.length > 0).map(({ type, items }) => [type, items.length]));
  draft.line('and everything in it; objects of the counted types in it now:');
  if (counts.size === 0) draft.line('  none');
  for (const [type, count] of counts) draft.line(`  ${type.resource}: ${count}`);
  draft.summary =
    counts.size === 0
      ? `would delete namespace ${namespace} and everything in it (none of the counted types found)`
      : `would delete namespace ${namespace} and everything in it: ${describeCounts(counts)}`;
  draft.note(`everything in namespace ${namespace} is deleted, also objects of types not counted here (custom resources and others)`, {
    incomplete: false,
  });
}
