/**
 * What every builder does with a dry run that did not give an object: a refusal is the evidence
 * (the real request would fail the same way: `error`), no answer means no preview (`complete:
 * false`). Also how an object is named in evidence: `deployment orders` in the summary,
 * `Deployment prod-eu/orders` in the text.
 */
import type { ResourceRequestInfo } from '@airlock/contracts/kubernetes';
import { knownKind } from './dependent-types.ts';
import type { EvidenceContext } from './evidence-context.ts';
import { isObject, type KubeObject, stringField, type UpstreamAnswer } from './upstream-call.ts';

export interface Subject {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Records a dry run that gave no object; returns the object when it did. */
export function dryRunObject(context: EvidenceContext, answer: UpstreamAnswer, refusedPrefix = 'would fail'): KubeObject | undefined {
  switch (answer.kind) {
    case 'object':
      return answer.object;
    case 'refused':
      context.draft.refused(answer.message);
      context.draft.summary = `${refusedPrefix}: ${answer.message}`;
      context.draft.line(
        `the API server refused the dry run (${answer.status} ${answer.reason}); the real request would fail the same way:`,
      );
      context.draft.line(`  ${answer.message}`);
      return undefined;
    case 'failed':
      context.draft.summary = `no preview: ${answer.message}`;
      context.draft.line(`the dry run gave no answer: ${answer.message}`);
      context.draft.note(`the dry run gave no answer (${answer.message}); nothing of the effect is previewed`, { incomplete: true });
      return undefined;
  }
}

/** The object a request is about: from the object when there is one, else from the request. */
export function subjectOf(info: ResourceRequestInfo, object?: KubeObject): Subject {
  const kind = object !== undefined && object.kind !== 'Status' ? stringField(object, 'kind') : '';
  return {
    kind: kind !== '' ? kind : (knownKind(info.apiGroup, info.resource) ?? info.resource),
    namespace: info.resource === 'namespaces' && info.apiGroup === '' ? '' : info.namespace,
    name: (object !== undefined ? stringField(object, 'metadata', 'name') : '') || info.name,
  };
}

/** `deployment orders`: for summaries. */
export function shortName(subject: Subject): string {
  return `${subject.kind.toLowerCase()} ${subject.name}`;
}

/** `Deployment prod-eu/orders`: for the text. */
export function fullName(subject: Subject): string {
  return `${subject.kind} ${subject.namespace === '' ? '' : `${subject.namespace}/`}${subject.name}`;
}

/** The uid of what a delete answered with: the object, or a Status whose details name it. */
export function answerUid(object: KubeObject): string {
  if (object.kind === 'Status') return isObject(object.details) ? stringField(object.details, 'uid') : '';
  return stringField(object, 'metadata', 'uid');
}
