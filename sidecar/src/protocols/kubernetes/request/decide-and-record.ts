/**
 * The step every request and upgrade takes between being placed and being answered: the decision
 * (impersonation and masked values written back into a Secret refused first, then
 * decideKubernetesRequest with the policies current now),
 * recorded, and — when recording blocks — stored before anything is sent on. One place, so a plain
 * request and an exec are decided and recorded the same way.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Decision, decideKubernetesRequest } from '@airlock/contracts/policy';
import { headersWithPrefix } from '../../../core/http/request-headers.ts';
import type { KubernetesSession } from '../session/kubernetes-session.ts';
import { maskedSecretWrite } from './masked-write-guard.ts';
import type { ParsedRequest } from './parsed-request.ts';

/**
 * Headers that would make the API server act as another user or group: impersonation, and the
 * front-proxy's X-Remote-* headers, which an API server trusts from a client certificate of its
 * request-header CA — a Target's client certificate could be one.
 */
export const IMPERSONATION_PREFIXES = ['impersonate-', 'x-remote-'];

export type RecordedDecision =
  | { readonly stored: true; readonly decision: Decision }
  /** Recording blocks and the decision could not be stored: nothing may be sent. */
  | { readonly stored: false; readonly decision: Decision };

/**
 * The subresources whose requests may upgrade the connection (WebSocket, SPDY). Any other request
 * that asks to upgrade is refused: the API server would answer it as a plain request, and the
 * answer would go back on the raw socket unread — unmasked, a Secret's values included.
 */
export const UPGRADABLE_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward', 'proxy']);

export async function decideAndRecord(
  session: KubernetesSession,
  parsed: ParsedRequest,
  headers: IncomingHttpHeaders,
  index: number,
  options: { readonly upgrade?: boolean } = {},
): Promise<RecordedDecision> {
  const impersonation = headersWithPrefix(headers, IMPERSONATION_PREFIXES);
  const refusal =
    impersonation.length > 0
      ? `the request sets ${impersonation.join(', ')}: acting as another user is not allowed through airlock`
      : options.upgrade && !(parsed.info.kind === 'resource' && UPGRADABLE_SUBRESOURCES.has(parsed.info.subresource))
        ? 'only exec, attach, port-forward and proxy requests may upgrade the connection; send this request without Upgrade'
        : maskedSecretWrite(parsed);
  const decision: Decision =
    refusal !== undefined
      ? { action: 'deny', audit: [], failedClosed: true, reason: refusal }
      : decideKubernetesRequest(parsed.facts, session.policy().policies);
  session.recording.decided(index, parsed.text, parsed.facts, decision);
  const stored = session.context.record.beforeForward();
  if (stored) {
    try {
      await stored;
    } catch (error) {
      session.recording.failed(index, 'RecordingUnavailable', (error as Error).message);
      return { stored: false, decision };
    }
  }
  return { stored: true, decision };
}

/** What the agent reads when recording blocks. */
export const NOT_RECORDED_MESSAGE = 'the request cannot be recorded, so it is not sent (recording blocks): try again later';
