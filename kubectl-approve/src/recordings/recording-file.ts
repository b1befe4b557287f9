/**
 * Reads a session's records from a directory of JSONL recordings and checks their hash chain.
 * Two layouts: the operator's ingest store (`<dir>/<namespace>/<pod>/<session>.jsonl`,
 * operator/src/recordings/file-ingest-store.ts) and the sidecar's own file store
 * (`<dir>/<session>.jsonl`, a local run). Records after a break in the chain are not used: they
 * may have been altered, and a reviewer must not be shown altered context as if it were real.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordedEvent, StoredRecord } from '@airlock/contracts/recording';
import { verifyJsonl } from '@airlock/contracts/recording';
import type { ApprovalRequest } from '@airlock/crds';
import { type SessionContext, sessionContext } from './session-context.ts';

const SEGMENT = /^[A-Za-z0-9._-]{1,253}$/;
const safeSegment = (s: string) => SEGMENT.test(s) && s !== '.' && s !== '..';

export type ContextResult = { readonly found: true; readonly context: SessionContext } | { readonly found: false; readonly reason: string };

/** Where a request's session may be recorded under `directory`, most specific first. */
export function candidatePaths(directory: string, request: ApprovalRequest): string[] {
  const session = request.spec.operation.sessionID;
  const namespace = request.metadata.namespace ?? '';
  const pod = request.spec.requester.pod.name;
  if (!safeSegment(session)) return [];
  return [
    ...(safeSegment(namespace) && safeSegment(pod) ? [join(directory, namespace, pod, `${session}.jsonl`)] : []),
    join(directory, `${session}.jsonl`),
  ];
}

export async function readSessionContext(directory: string, request: ApprovalRequest, limit: number): Promise<ContextResult> {
  const session = request.spec.operation.sessionID;
  const paths = candidatePaths(directory, request);
  if (paths.length === 0) return { found: false, reason: `session id ${JSON.stringify(session)} cannot name a recording file` };
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { found: false, reason: `cannot read ${path}: ${(error as Error).message}` };
    }
    const verdict = verifyJsonl(text, { session });
    const lines = text.split('\n').filter((line) => line !== '');
    const usable = verdict.ok ? lines.length : verdict.verified;
    const records = lines.slice(0, usable).map((line) => JSON.parse(line) as StoredRecord<RecordedEvent>);
    return {
      found: true,
      context: sessionContext({
        sessionId: session,
        source: path,
        chain: verdict.ok ? { ok: true, records: verdict.count } : { ok: false, message: verdict.message },
        records,
        requestName: request.metadata.name ?? '',
        ...(request.spec.operation.sequence !== undefined ? { sequence: request.spec.operation.sequence } : {}),
        limit,
      }),
    };
  }
  return { found: false, reason: `no recording of session ${session} in ${directory} (looked for ${paths.join(', ')})` };
}
