/**
 * One line per `kubectl approve watch` event when nobody is at the terminal: logfmt
 * (`event=pending namespace=agents name=... summary="..."`), or one JSON object per line with
 * `-o json`, or `approvalrequest.airlock.dev/NAME` with `-o name`. Lines never contain a raw
 * newline or control character, so `while read` loops and `grep` can rely on them. Pure.
 */
import type { ApprovalRequest } from '@airlock/crds';
import { approvalsOf, phaseOf } from '../approval-facts.ts';
import { type MachineFormat, RESOURCE, withoutManagedFields } from './machine-output.ts';
import { oneLine } from './terminal-text.ts';

/** pending: a request to review appeared; reviewed: someone reviewed it; the rest: its phase moved there. */
export type WatchEventType = 'pending' | 'reviewed' | 'approved' | 'denied' | 'expired' | 'withdrawn' | 'executed' | 'failed' | 'deleted';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly request: ApprovalRequest;
}

export function watchEventType(phase: string): WatchEventType {
  return phase.toLowerCase() as WatchEventType;
}

const BARE = /^[A-Za-z0-9._:/@+-]+$/;
const value = (v: string) => (BARE.test(v) ? v : JSON.stringify(v));

export function watchLine(event: WatchEvent, format: MachineFormat | 'line'): string {
  const r = event.request;
  if (format === 'name') return `${RESOURCE}/${r.metadata.name}\n`;
  if (format === 'json') return `${JSON.stringify({ type: event.type, object: withoutManagedFields(r) })}\n`;
  if (format === 'yaml') throw new Error('watch prints one line per event: use -o json for objects');
  const reviews = r.status?.reviews ?? [];
  const last = reviews.at(-1);
  const fields: [string, string][] = [
    ['event', event.type],
    ['namespace', r.metadata.namespace ?? ''],
    ['name', r.metadata.name ?? ''],
    ['phase', phaseOf(r)],
    ['requester', r.spec.requester.identity],
    ['target', r.spec.target.name],
    ['approvals', approvalsOf(r)],
    ['expiresAt', r.spec.expiresAt],
    ...(event.type === 'reviewed' && last
      ? ([
          ['reviewer', last.user],
          ['decision', last.decision],
        ] as [string, string][])
      : []),
    ['summary', r.spec.operation.summary],
  ];
  return `${fields.map(([k, v]) => `${k}=${value(oneLine(v))}`).join(' ')}\n`;
}
