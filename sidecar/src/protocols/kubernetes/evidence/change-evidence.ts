/**
 * Evidence for an update (PUT) or a patch (PATCH: JSON, merge, strategic merge, or server-side
 * apply): the object as it is now, the dry run's result, and the fields that differ between them.
 * The same for the scale subresource (a Scale object) and the status subresource, where the
 * status changes are listed apart; other subresources are compared when they can be read.
 * Server-side apply to an object that does not exist creates it: then the new object is shown.
 */
import { dryRunObject, fullName, shortName, subjectOf } from './dry-run-outcome.ts';
import { type EvidenceContext, withQuery } from './evidence-context.ts';
import { renderChanges, renderObjectFields } from './object-fields.ts';
import { callUpstream, type KubeObject } from './upstream-call.ts';

const APPLY_PATCH = 'application/apply-patch';

type Current = { readonly kind: 'found'; readonly object: KubeObject } | { readonly kind: 'absent' } | { readonly kind: 'unknown' };

export async function changeEvidence(context: EvidenceContext): Promise<void> {
  const { info, draft } = context;
  const apply = (context.contentType ?? '').toLowerCase().startsWith(APPLY_PATCH);
  const current = await readCurrent(context, apply);
  const answer = await callUpstream(context.upstream, {
    method: context.method,
    path: withQuery(context.path, context.dryRunQuery),
    body: context.body,
    ...(context.contentType !== undefined ? { contentType: context.contentType } : {}),
    signal: context.signal,
  });
  const result = dryRunObject(context, answer);
  if (result === undefined) return;
  // A subresource answers with its own kind (Scale): the subject stays the object it belongs to.
  const subject = info.subresource === '' ? subjectOf(info, current.kind === 'found' ? current.object : result) : subjectOf(info);
  const what = info.subresource === '' ? shortName(subject) : `${shortName(subject)} (${info.subresource})`;
  if (current.kind !== 'found') {
    const created = current.kind === 'absent';
    draft.summary = created ? `would create ${what}` : `would change ${what} (the current object could not be read)`;
    draft.line(`${created ? 'would create' : 'the result would be'} ${fullName(subjectOf(info, result))}:`);
    for (const line of renderObjectFields(context, result)) draft.line(line);
    return;
  }
  const withStatus = info.subresource === 'status';
  const { changes, lines } = renderChanges(context, current.object, result, withStatus);
  if (changes.length === 0) {
    draft.summary = `${what}: no field would change`;
    draft.line(`${fullName(subject)}${info.subresource === '' ? '' : ` (${info.subresource})`}: no field would change`);
    return;
  }
  draft.line(`would change ${fullName(subject)}${info.subresource === '' ? '' : ` (${info.subresource})`}:`);
  const statusLines = lines.filter((_, index) => changes[index]?.segments[0] === 'status');
  const otherLines = lines.filter((_, index) => changes[index]?.segments[0] !== 'status');
  for (const line of otherLines) draft.line(`  ${line}`);
  if (statusLines.length > 0) {
    draft.line('status:');
    for (const line of statusLines) draft.line(`  ${line}`);
  }
  draft.summary =
    changes.length === 1 ? `would change ${what}: ${lines[0]}` : `would change ${changes.length} fields of ${what}: ${lines.join('; ')}`;
}

async function readCurrent(context: EvidenceContext, apply: boolean): Promise<Current> {
  // The same path as the request: a subresource (scale, status) is read as the write sees it.
  const answer = await callUpstream(context.upstream, { method: 'GET', path: context.path, signal: context.signal });
  if (answer.kind === 'object') return { kind: 'found', object: answer.object };
  if (answer.kind === 'refused' && answer.status === 404) {
    context.draft.line(apply ? 'the object does not exist: the apply would create it' : 'the object does not exist');
    return { kind: 'absent' };
  }
  const why = answer.kind === 'refused' ? `${answer.status} ${answer.reason}: ${answer.message}` : answer.message;
  context.draft.note(`could not read the current object (${why}); the result is shown without what it would change`, { incomplete: true });
  return { kind: 'unknown' };
}
