/**
 * Sends a decided request upstream — the exact method, request-target, content type and body the
 * agent sent, with the sidecar's credential — and relays the answer.
 *
 * Answers that cannot hold anything to mask (responseMaskingFor says so: no Secret, no masking
 * rule) stream through untouched. Otherwise the sidecar asks for JSON (protobuf would pass the
 * masker unread; gzip too), and
 * - a watch is masked event by event as it streams;
 * - any other answer is read whole (bounded) and masked before a byte of it goes out, so a
 *   response the masker cannot read is refused (502 Status), never passed on unmasked.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { forwardableRequestHeaders } from '../../../core/http/request-headers.ts';
import { relayResponse } from '../../../core/http/response-relay.ts';
import { KubernetesMaskingError, type KubernetesResponseMasking, responseMaskingFor } from '../masking/response-masking.ts';
import type { RequestOutcome } from '../session/kubernetes-recording.ts';
import type { KubernetesSession } from '../session/kubernetes-session.ts';
import type { AgentPresence } from './agent-presence.ts';
import { sendStatus } from './kubernetes-status.ts';
import { sendMaskedAnswer } from './masked-answer.ts';
import type { ParsedRequest } from './parsed-request.ts';
import type { KubernetesListenerServices } from './request-context.ts';

export async function forwardRequest(
  session: KubernetesSession,
  services: KubernetesListenerServices,
  parsed: ParsedRequest,
  index: number,
  request: IncomingMessage,
  response: ServerResponse,
  warnings: readonly string[],
  agent: AgentPresence,
): Promise<RequestOutcome> {
  const { recording } = session;
  const requestBytes = parsed.body.length;
  const finish = (outcome: RequestOutcome): RequestOutcome => {
    recording.answered(index, outcome);
    return outcome;
  };
  const masking = maskingFor(session, parsed);
  const headers: OutgoingHttpHeaders = forwardableRequestHeaders(request.headers, { upgrade: false });
  if (masking) {
    headers.accept = masking.accept(request.headers.accept);
    delete headers['accept-encoding'];
  }
  if (parsed.body.length > 0 || request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined) {
    headers['content-length'] = parsed.body.length;
  }
  // The agent going away aborts the upstream request.
  const abort = new AbortController();
  agent.closed.then(() => {
    if (agent.gone()) abort.abort();
  });
  let upstream: IncomingMessage;
  try {
    const client = await services.upstream.client(session.context.principal);
    upstream = await client.request({
      method: parsed.method,
      path: parsed.target,
      headers,
      ...(parsed.body.length > 0 ? { body: parsed.body } : {}),
      signal: abort.signal,
    });
  } catch (error) {
    const { code = 'UpstreamUnavailable', message } = error as Error & { code?: string };
    recording.failed(index, code, message);
    if (abort.signal.aborted) return finish({ httpStatus: 0, requestBytes, responseBytes: 0, complete: false });
    const status = sendStatus(
      response,
      'ServiceUnavailable',
      `the API server of target ${session.context.target.name} cannot be reached: ${message}`,
      {
        warnings,
      },
    );
    return finish({ httpStatus: status, requestBytes, responseBytes: 0, complete: true });
  }
  if (upstream.statusCode === 401) services.upstream.rejected();
  try {
    if (!masking) {
      const relayed = await relayResponse(upstream, response, { warnings });
      return finish({ httpStatus: relayed.statusCode, requestBytes, responseBytes: relayed.bytes, complete: relayed.complete });
    }
    if (parsed.info.kind === 'resource' && parsed.info.watch && (upstream.statusCode ?? 0) < 300) {
      const transform = masking.watchTransform();
      const relayed = await relayResponse(upstream, response, { transform, warnings });
      recording.masked(index, transform.counts);
      return finish({ httpStatus: relayed.statusCode, requestBytes, responseBytes: relayed.bytes, complete: relayed.complete });
    }
    const answered = await sendMaskedAnswer(upstream, response, masking, { maxBytes: services.maxMaskedBodyBytes, warnings });
    recording.masked(index, answered.counts);
    return finish({ httpStatus: answered.statusCode, requestBytes, responseBytes: answered.bytes, complete: answered.complete });
  } catch (error) {
    const code = error instanceof KubernetesMaskingError ? error.code : ((error as { code?: string }).code ?? 'RelayFailed');
    recording.failed(index, code, (error as Error).message);
    if (!response.headersSent) {
      const status =
        error instanceof KubernetesMaskingError
          ? sendStatus(response, 'InternalError', `the answer could not be masked, so it is not passed on: ${error.message}`)
          : sendStatus(
              response,
              'ServiceUnavailable',
              `the API server's answer broke off before it could be masked: ${(error as Error).message}`,
            );
      return finish({ httpStatus: status, requestBytes, responseBytes: 0, complete: true });
    }
    response.destroy();
    return finish({ httpStatus: upstream.statusCode ?? 0, requestBytes, responseBytes: 0, complete: false });
  }
}

function maskingFor(session: KubernetesSession, parsed: ParsedRequest): KubernetesResponseMasking | undefined {
  const rules = session.policy().maskingRules;
  const { info } = parsed;
  return responseMaskingFor({
    ...(info.kind === 'resource'
      ? { resource: { apiGroup: info.apiGroup, resource: info.resource, subresource: info.subresource, verb: info.verb } }
      : {}),
    ...(rules ? { rules } : {}),
  });
}
