/**
 * Before a held Kubernetes request goes to reviewers, the sidecar sends the same request upstream
 * with `dryRun=All` (the API server validates and admits it and stores nothing) and attaches what
 * it says as evidence: what a delete would remove (with what the garbage collector would take
 * along), the fields an update or patch would change, the object a create would make, or the
 * refusal that the real request would meet too. This is the one entry point; one builder per verb.
 *
 * It never throws and never takes longer than its time budget: whatever fails becomes the error
 * (the server refused) or a note (the preview is partial), and partial evidence says so.
 */
import type { ResourceRequestInfo } from '@airlock/contracts/kubernetes';
import { apiServerOfGroup } from './api-server-of-group.ts';
import { changeEvidence } from './change-evidence.ts';
import { createEvidence } from './create-evidence.ts';
import { deleteCollectionEvidence } from './delete-collection-evidence.ts';
import { deleteEvidence } from './delete-evidence.ts';
import { dryRunEligibility } from './dry-run-eligibility.ts';
import type { Evidence } from './evidence.ts';
import { type EvidenceContext, encodedPath } from './evidence-context.ts';
import { EvidenceDraft } from './evidence-draft.ts';
import type { EvidenceUpstream } from './evidence-upstream.ts';
import { errorText } from './upstream-call.ts';

export interface EvidenceRequest {
  readonly info: ResourceRequestInfo;
  readonly method: string;
  /** The request's query string exactly as the agent sent it (without '?'); dryRun=All is added to it. */
  readonly query: string;
  readonly body: Buffer;
  /** e.g. application/strategic-merge-patch+json, application/apply-patch+yaml */
  readonly contentType: string | undefined;
}

export interface EvidenceOptions {
  readonly upstream: EvidenceUpstream;
  /** Masks Secret values (and policy masking) in an object before it is shown: the protocol passes maskKubernetesObject bound to the request. */
  readonly mask: (object: unknown) => unknown;
  readonly clock: () => number;
  /** For the whole collection; default DEFAULT_EVIDENCE_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Objects listed at most (a collection, dependents); default DEFAULT_MAX_OBJECTS. */
  readonly maxObjects?: number;
}

export const DEFAULT_EVIDENCE_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_OBJECTS = 200;

/**
 * Never throws: whatever fails becomes `error` or a note, and evidence that is incomplete says so.
 * Returns undefined for requests that have no dry run (reads, connections like
 * exec/attach/portforward/proxy, requests that already ask for dryRun).
 */
export async function collectEvidence(request: EvidenceRequest, options: EvidenceOptions): Promise<Evidence | undefined> {
  const { info } = request;
  const eligibility = dryRunEligibility(request);
  if (eligibility.kind === 'none') return undefined;
  const draft = new EvidenceDraft();
  const timeoutMs = options.timeoutMs ?? DEFAULT_EVIDENCE_TIMEOUT_MS;
  const budget = new AbortController();
  const timer = setTimeout(() => budget.abort(new DOMException(`evidence took longer than ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  try {
    if (eligibility.kind === 'aggregated') {
      noPreviewForAggregated(draft, info, 'it is a well-known aggregated API');
    } else {
      const context: EvidenceContext = {
        info,
        method: eligibility.method,
        path: encodedPath(info.path),
        agentQuery: request.query,
        dryRunQuery: request.query === '' ? 'dryRun=All' : `${request.query}&dryRun=All`,
        body: request.body,
        contentType: request.contentType,
        upstream: options.upstream,
        mask: options.mask,
        signal: budget.signal,
        maxObjects: options.maxObjects ?? DEFAULT_MAX_OBJECTS,
        draft,
      };
      if (eligibility.kind === 'ask-discovery') {
        const server = await apiServerOfGroup(context, info.apiGroup, info.apiVersion);
        if (server.kind === 'aggregated') noPreviewForAggregated(draft, info, `the APIService names the service ${server.service}`);
        else if (server.kind === 'unknown') noPreviewForUnknownGroup(draft, info, server.why);
        else await collectFor(context);
      } else {
        await collectFor(context);
      }
    }
  } catch (error) {
    // A builder's own bug must not cost the reviewer the request: say what is missing instead.
    draft.note(`the evidence could not be completed: ${errorText(error)}`, { incomplete: true });
  } finally {
    clearTimeout(timer);
  }
  if (draft.summary === '') draft.summary = 'no preview: the evidence could not be completed';
  return draft.finish(new Date(options.clock()).toISOString());
}

function collectFor(context: EvidenceContext): Promise<void> {
  switch (context.info.verb) {
    case 'delete':
      return deleteEvidence(context);
    case 'deletecollection':
      return deleteCollectionEvidence(context);
    case 'update':
    case 'patch':
      return changeEvidence(context);
    default:
      return createEvidence(context);
  }
}

function noPreviewForAggregated(draft: EvidenceDraft, info: ResourceRequestInfo, why: string): void {
  draft.summary = 'no preview: aggregated API';
  draft.line(`${groupVersion(info)} is served by an aggregated API server (${why}); no dry run was sent`);
  draft.note(
    `${groupVersion(info)} is served by an extension API server, which may ignore dryRun and really act: no dry run was sent, nothing is previewed`,
    { incomplete: true },
  );
}

function noPreviewForUnknownGroup(draft: EvidenceDraft, info: ResourceRequestInfo, why: string): void {
  draft.summary = `no preview: could not tell who serves ${groupVersion(info)}`;
  draft.line(`${why}; no dry run was sent`);
  draft.note(
    `could not tell whether kube-apiserver or an extension API server (which may ignore dryRun) serves ${groupVersion(info)} (${why}): no dry run was sent`,
    { incomplete: true },
  );
}

function groupVersion(info: ResourceRequestInfo): string {
  return info.apiGroup === '' ? info.apiVersion : `${info.apiGroup}/${info.apiVersion}`;
}

export type { Evidence } from './evidence.ts';
