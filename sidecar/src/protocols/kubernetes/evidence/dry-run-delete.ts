/**
 * Sends a delete (one object or a collection) as a dry run, with dryRun=All where kube-apiserver
 * reads it: in the body when the request has one (see delete-options.ts). A body that cannot be
 * read is not sent: without dryRun in it, the "dry run" would delete for real.
 */
import { type DeleteOptionsSource, deleteOptionsSource, dryRunDelete } from './delete-options.ts';
import { type EvidenceContext, withQuery } from './evidence-context.ts';
import { callUpstream, type UpstreamAnswer } from './upstream-call.ts';

export interface DryRunDeleteSent {
  readonly answer: UpstreamAnswer;
  readonly source: Exclude<DeleteOptionsSource, { kind: 'unreadable' }>;
}

export async function sendDryRunDelete(context: EvidenceContext, accept?: string): Promise<DryRunDeleteSent | undefined> {
  const source = deleteOptionsSource(context.body, context.contentType, context.agentQuery);
  if (source.kind === 'unreadable') {
    context.draft.summary = `no preview: ${source.why}`;
    context.draft.line(`${source.why}; the dry run was not sent (the API server reads dryRun from a delete's body)`);
    context.draft.note(`${source.why}: the dry run was not sent, nothing is previewed`, { incomplete: true });
    return undefined;
  }
  const request = dryRunDelete(source, context.dryRunQuery);
  const answer = await callUpstream(context.upstream, {
    method: 'DELETE',
    path: withQuery(context.path, request.query),
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(request.contentType !== undefined ? { contentType: request.contentType } : {}),
    ...(accept !== undefined ? { accept } : {}),
    signal: context.signal,
  });
  return { answer, source };
}
