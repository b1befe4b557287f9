/**
 * One agent request to the Kubernetes API, from the first byte to the last: read the body
 * (bounded), place the request the way the API server will (parsed-request.ts), decide it, record
 * the decision (stored first when recording blocks), then
 * - deny: a 403 Status with the reason, nothing sent upstream;
 * - requireApproval: the evidence of a dry run, the hold, and on approval the same request, once;
 *   a refusal is a 403 Status naming the ApprovalRequest;
 * - allow: the request upstream with the sidecar's credential, the answer back with backpressure,
 *   masked where it may hold a Secret or a value the masking rules select.
 *
 * The agent's own Authorization and Cookie never go upstream (the sidecar's credential replaces
 * them), and a request with Impersonate-* headers is refused: impersonation would make the API
 * server act as someone the policy never saw.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpBodyError, readRequestBody } from '../../../core/http/request-body.ts';
import type { KubernetesSession } from '../session/kubernetes-session.ts';
import { watchAgent } from './agent-presence.ts';
import { decideAndRecord, NOT_RECORDED_MESSAGE } from './decide-and-record.ts';
import { forwardRequest } from './forward-request.ts';
import { holdRequest } from './held-request.ts';
import { sendStatus } from './kubernetes-status.ts';
import { parseRequest } from './parsed-request.ts';
import type { KubernetesListenerServices } from './request-context.ts';

export async function handleRequest(
  session: KubernetesSession,
  services: KubernetesListenerServices,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { recording } = session;
  const index = recording.nextOperationIndex();
  const agent = watchAgent(request, response);
  let body: Buffer;
  try {
    body = await readRequestBody(request, {
      maxBytes: services.limits.maxRequestBodyBytes,
      timeoutMs: services.limits.requestBodyTimeoutMs,
    });
  } catch (error) {
    if (!(error instanceof HttpBodyError)) throw error;
    recording.failed(index, error.code, error.message);
    const status =
      error.code === 'BodyTooLarge'
        ? sendStatus(response, 'RequestEntityTooLarge', `the request body is over ${services.limits.maxRequestBodyBytes} bytes`)
        : sendStatus(response, 'BadRequest', `the request body did not arrive whole: ${error.message}`);
    recording.answered(index, { httpStatus: status, requestBytes: 0, responseBytes: 0, complete: true });
    return;
  }
  const parsed = await parseRequest(request, body, services.scopes);
  const { stored, decision } = await decideAndRecord(session, parsed, request.headers, index);
  if (!stored) {
    const status = sendStatus(response, 'ServiceUnavailable', NOT_RECORDED_MESSAGE);
    recording.answered(index, { httpStatus: status, requestBytes: body.length, responseBytes: 0, complete: true });
    return;
  }
  const details = statusDetails(parsed.info);
  switch (decision.action) {
    case 'deny': {
      const status = sendStatus(response, 'Forbidden', decision.reason, { details });
      recording.answered(index, { httpStatus: status, requestBytes: body.length, responseBytes: 0, complete: true });
      return;
    }
    case 'requireApproval': {
      if (agent.gone()) {
        // Nobody would read the answer: no dry run, no ApprovalRequest, nothing that could run later.
        recording.failed(index, 'AgentDisconnected', 'the agent closed its connection before the request was held');
        return;
      }
      const held = await holdRequest(session, services, parsed, decision, index, agent.closed);
      if (!held.release) {
        if (held.refusal && !response.writableEnded && !response.destroyed) {
          const status = sendStatus(response, 'Forbidden', held.refusal, { details, warnings: held.warnings });
          recording.answered(index, { httpStatus: status, requestBytes: body.length, responseBytes: 0, complete: true });
        }
        return;
      }
      if (agent.gone()) {
        recording.failed(index, 'AgentDisconnected', 'the agent closed its connection while the request was held');
        return;
      }
      const outcome = await forwardRequest(session, services, parsed, index, request, response, held.warnings, agent);
      await held.report?.({ ok: outcome.httpStatus < 400, result: `HTTP ${outcome.httpStatus}` }).catch(() => undefined);
      return;
    }
    case 'allow':
      if (agent.gone()) {
        recording.failed(index, 'AgentDisconnected', 'the agent closed its connection before the request was sent');
        return;
      }
      await forwardRequest(session, services, parsed, index, request, response, [], agent);
      return;
  }
}

/** What the API server puts in a Status about the object: kubectl prints the resource and name. */
function statusDetails(info: Awaited<ReturnType<typeof parseRequest>>['info']): { name?: string; group?: string; kind?: string } {
  if (info.kind !== 'resource') return {};
  return {
    ...(info.name ? { name: info.name } : {}),
    ...(info.apiGroup ? { group: info.apiGroup } : {}),
    kind: info.resource,
  };
}
