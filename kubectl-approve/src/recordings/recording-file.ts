/**
 * Reads a session's records from a directory of JSONL recordings and checks their hash chain.
 * Two layouts: the operator's ingest store (`<dir>/<namespace>/<pod>/<session>.jsonl`,
 * operator/src/recordings/file-ingest-store.ts) and the sidecar's own file store
 * (`<dir>/<session>.jsonl`, a local run). Records after a break in the chain are not used: they
 * may have been altered, and a reviewer must not be shown altered context as if it were real.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifiedPrefix } from '@airlock/contracts/recording';
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

/**
 * Where a session may be recorded under `directory` when only its id is known: `<dir>/<session>.jsonl`,
 * and `<dir>/<namespace>/<pod>/<session>.jsonl` for every namespace and pod directory there.
 */
export async function sessionPaths(directory: string, session: string): Promise<string[]> {
  if (!safeSegment(session)) return [];
  const file = `${session}.jsonl`;
  const paths = [join(directory, file)];
  for (const namespace of await subdirectories(directory)) {
    for (const pod of await subdirectories(join(directory, namespace))) paths.push(join(directory, namespace, pod, file));
  }
  return paths;
}

async function subdirectories(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(directory, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && safeSegment(entry.name)).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** A recording file read whole, or why it could not be read; undefined when none of the paths exists. */
export type RecordingText = { readonly path: string; readonly text: string } | { readonly unreadable: string };

export async function readFirst(paths: readonly string[]): Promise<RecordingText | undefined> {
  for (const path of paths) {
    try {
      return { path, text: await readFile(path, 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { unreadable: `cannot read ${path}: ${(error as Error).message}` };
    }
  }
  return undefined;
}

export async function readSessionContext(directory: string, request: ApprovalRequest, limit: number): Promise<ContextResult> {
  const session = request.spec.operation.sessionID;
  const paths = candidatePaths(directory, request);
  if (paths.length === 0) return { found: false, reason: `session id ${JSON.stringify(session)} cannot name a recording file` };
  const file = await readFirst(paths);
  if (file && 'unreadable' in file) return { found: false, reason: file.unreadable };
  if (file) {
    const { path, text } = file;
    const { verdict, records } = verifiedPrefix(text, { session });
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
