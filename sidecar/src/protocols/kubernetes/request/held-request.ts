/**
 * A Kubernetes request held for approval: the neutral hold (core/approval/approval-hold.ts) bound
 * to the request's operation text — method, target, content type and body digest — with the
 * evidence (the same request as a dry run upstream, and what a delete would cascade to:
 * evidence/collect-evidence.ts), collected only when an ApprovalRequest is made. The agent's client simply waits for the answer (kubectl has no
 * request timeout unless `--request-timeout` sets one); HTTP has no way to tell it anything before
 * the answer, so the answer carries the story in Warning headers, which kubectl prints: which
 * ApprovalRequest held it, and who approved or why it was refused. The agent going away withdraws
 * the request.
 */
import type { Decision } from '@airlock/contracts/policy';
import { holdForApproval } from '../../../core/approval/approval-hold.ts';
import { collectEvidence } from '../evidence/collect-evidence.ts';
import type { EvidenceUpstream } from '../evidence/evidence-upstream.ts';
import { maskKubernetesObject } from '../masking/response-masking.ts';
import type { KubernetesSession } from '../session/kubernetes-session.ts';
import { upstreamRequest } from '../upstream/upstream-json.ts';
import type { ParsedRequest } from './parsed-request.ts';
import type { KubernetesListenerServices } from './request-context.ts';

export type HeldRequestResult =
  | {
      readonly release: true;
      readonly warnings: readonly string[];
      readonly report?: (execution: { readonly ok: boolean; readonly result: string }) => Promise<void>;
    }
  /** `refusal` is absent when the agent went away: there is nobody to tell. */
  | { readonly release: false; readonly refusal?: string; readonly warnings: readonly string[] };

export async function holdRequest(
  session: KubernetesSession,
  services: KubernetesListenerServices,
  parsed: ParsedRequest,
  decision: Decision,
  statementIndex: number,
  /** Resolves when the agent's connection is gone. */
  closed: Promise<void>,
): Promise<HeldRequestResult> {
  const { context, recording } = session;
  let held: { name: string; namespace: string } | undefined;
  const result = await holdForApproval(
    { ...context, sessionGrants: session.sessionGrants },
    {
      text: parsed.text,
      parameters: [],
      summary: parsed.summary,
      statementIndex,
      decision,
      noun: 'request',
      evidence: () => evidenceFor(session, services, parsed),
    },
    {
      waiting: (notice) => {
        held = { name: notice.name, namespace: notice.namespace };
        context.logger.info(
          { approvalRequest: notice.name, namespace: notice.namespace, request: parsed.summary },
          'request held for approval',
        );
      },
      onPending: () => undefined,
      closed,
      record: (event) => recording.record(event),
    },
  );
  const heldWarning = held ? [`held for approval as ApprovalRequest ${held.name} in namespace ${held.namespace}`] : [];
  if (result.release) {
    return {
      release: true,
      warnings: [...heldWarning.map((w) => `airlock: ${w}; approved`)],
      ...(result.report ? { report: result.report } : {}),
    };
  }
  if (!result.refusal) return { release: false, warnings: [] };
  const { message, hint } = result.refusal;
  return {
    release: false,
    refusal: hint ? `${message}. ${hint}` : message,
    warnings: heldWarning.map((w) => `airlock: ${w}`),
  };
}

async function evidenceFor(session: KubernetesSession, services: KubernetesListenerServices, parsed: ParsedRequest) {
  if (parsed.info.kind !== 'resource') return undefined;
  const info = parsed.info;
  const upstream: EvidenceUpstream = {
    request: async (input) => {
      const client = await services.upstream.client(session.context.principal);
      return upstreamRequest(client, {
        method: input.method,
        path: input.path,
        ...(input.body ? { body: input.body } : {}),
        headers: {
          ...(input.contentType ? { 'content-type': input.contentType } : {}),
          ...(input.accept ? { accept: input.accept } : {}),
        },
        signal: input.signal,
      });
    },
  };
  const rules = session.policy().maskingRules;
  const masked = {
    resource: { apiGroup: info.apiGroup, resource: info.resource, subresource: info.subresource, verb: info.verb },
    ...(rules ? { rules } : {}),
  };
  try {
    return await collectEvidence(
      { info, method: parsed.method, query: parsed.query, body: parsed.body, contentType: parsed.contentType },
      {
        upstream,
        mask: (object) => maskKubernetesObject(object, masked).object,
        clock: services.clock,
        timeoutMs: services.evidenceTimeoutMs,
      },
    );
  } catch (error) {
    // collectEvidence does not throw; if it ever does, the request is still held, without evidence.
    session.context.logger.warn({ error: (error as Error).message }, 'no evidence for the held request');
    return undefined;
  }
}
