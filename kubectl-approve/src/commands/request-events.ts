/**
 * ApprovalRequests as a stream of reviewer events: one list, then one watch from the list's
 * resourceVersion, re-opened from the last resourceVersion seen (bookmarks included) when the
 * server ends it (timeoutSeconds, ADR 0003); a 410 Gone re-lists and reports only what is new.
 * Nothing polls: between list calls, every event comes from the open watch.
 */
import type { ApprovalRequest } from '@airlock/crds';
import { type Backoff, cappedDelay, pause } from '@airlock/runtime/backoff';
import { phaseOf } from '../approval-facts.ts';
import { sortRequests } from '../format/request-table.ts';
import { type WatchEvent, watchEventType } from '../format/watch-line.ts';
import { ApiStatusError } from '../kube/api-client.ts';
import type { ApprovalApi } from '../kube/approval-api.ts';
import { rbacForbidden } from '../review/review-errors.ts';

export interface RequestEventsOptions {
  readonly api: ApprovalApi;
  /** undefined: all namespaces. */
  readonly namespace: string | undefined;
  /** Report requests already pending when the stream starts. */
  readonly includeExisting: boolean;
  readonly signal: AbortSignal;
  readonly emit: (event: WatchEvent) => void;
  /** A watch failed and will be re-opened; for stderr. */
  readonly warn: (message: string) => void;
}

interface Known {
  phase: string;
  reviews: number;
}

/** A broken watch is re-opened after 0.5 s, doubling to 30 s; a watch that ended normally starts over. */
const REOPEN_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

export async function streamRequestEvents(options: RequestEventsOptions): Promise<void> {
  const { api, namespace, signal, emit } = options;
  const known = new Map<string, Known>();
  const keyOf = (r: ApprovalRequest) => r.metadata.uid ?? `${r.metadata.namespace}/${r.metadata.name}`;
  const remember = (r: ApprovalRequest) => known.set(keyOf(r), { phase: phaseOf(r), reviews: r.status?.reviews?.length ?? 0 });

  /** Reports what changed for a reviewer since the request was last seen. */
  const observe = (request: ApprovalRequest, report: boolean) => {
    const before = known.get(keyOf(request));
    const phase = phaseOf(request);
    const reviews = request.status?.reviews?.length ?? 0;
    remember(request);
    if (!report) return;
    if (!before) {
      if (phase === 'Pending') emit({ type: 'pending', request });
    } else if (before.phase !== phase) emit({ type: watchEventType(phase), request });
    else if (reviews > before.reviews) emit({ type: 'reviewed', request });
  };

  const relist = async (report: boolean): Promise<string> => {
    const listed = await api.list(namespace);
    for (const request of sortRequests(listed.items)) observe(request, report);
    return listed.resourceVersion;
  };

  // The first list's errors (no access, no CRD) are the command's errors.
  let resourceVersion = await relist(options.includeExisting);
  let failures = 0;
  while (!signal.aborted) {
    try {
      await api.watch(
        namespace,
        resourceVersion,
        (event) => {
          const rv = event.object?.metadata?.resourceVersion;
          if (rv) resourceVersion = rv;
          if (event.type === 'BOOKMARK') return;
          if (event.type === 'DELETED') {
            if (known.delete(keyOf(event.object))) emit({ type: 'deleted', request: event.object });
            return;
          }
          observe(event.object, true);
        },
        signal,
      );
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiStatusError && error.status === 410) {
        resourceVersion = await relist(true).catch((e: unknown) => {
          options.warn(`re-listing failed, retrying: ${(e as Error).message}`);
          return resourceVersion;
        });
        continue;
      }
      if (error instanceof ApiStatusError && error.status === 403) {
        // RBAC lets you list but not watch: retrying will not change that.
        const me = await api.whoami().catch(() => undefined);
        throw rbacForbidden(me?.username ?? 'you', 'watch', 'approvalrequests', namespace ?? '', error.message);
      }
      const delay = cappedDelay(REOPEN_BACKOFF, ++failures);
      options.warn(`the watch ended (${(error as Error).message}); re-opening in ${Math.round(delay / 1000)}s`);
      await pause(delay, signal);
    }
  }
}
