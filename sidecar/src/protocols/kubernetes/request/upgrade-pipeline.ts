/**
 * An upgrade request — exec, attach, port-forward (WebSocket, or SPDY/3.1 where a client still
 * uses it), or a proxy that upgrades — decided like any request before a byte goes upstream. The
 * command of an exec is in its query (`command=sh&command=-c&command=...`), so it is known now:
 * the operation text shows it after `--` and an approval binds it, so approving one command never
 * lets another run. Allowed (or approved): the upgrade goes upstream with the sidecar's
 * credential and, once the API server answers 101, the two connections are joined; the bytes are
 * counted, both ways, in the request's result. The stream of an exec or attach is also recorded as
 * a terminal session (exec/exec-recording.ts: what the agent typed, what the command printed, its
 * exit status), through taps that see every byte without changing it; a port-forward carries other
 * protocols' TCP streams and a proxy anything at all, so theirs are only counted. A refusal is a
 * Status on the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { operationDigest } from '@airlock/contracts/approval';
import { forwardableRequestHeaders } from '../../../core/http/request-headers.ts';
import { relayOnSocket } from '../../../core/http/upgrade-answer.ts';
import { tunnel } from '../../../core/http/upgrade-tunnel.ts';
import type { KubernetesSession } from '../session/kubernetes-session.ts';
import { decideAndRecord, NOT_RECORDED_MESSAGE } from './decide-and-record.ts';
import { holdRequest } from './held-request.ts';
import { sendStatusOnSocket } from './kubernetes-status.ts';
import { type ParsedRequest, parseRequest } from './parsed-request.ts';
import type { KubernetesListenerServices } from './request-context.ts';

export async function handleUpgrade(
  session: KubernetesSession,
  services: KubernetesListenerServices,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { recording } = session;
  const index = recording.nextOperationIndex();
  // Watched from the start: an agent gone before the hold begins must leave nothing held.
  const closed = socket.destroyed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // An upgrade carries no body: what follows its head belongs to the upgraded protocol.
  const parsed = await parseRequest(request, Buffer.alloc(0), services.scopes);
  const refuse = (reason: 'Forbidden' | 'ServiceUnavailable', message: string, warnings: readonly string[] = []) => {
    const status = sendStatusOnSocket(socket, reason, message, { warnings });
    recording.answered(index, { httpStatus: status, requestBytes: 0, responseBytes: 0, complete: true });
  };
  const { stored, decision } = await decideAndRecord(session, parsed, request.headers, index, { upgrade: true });
  if (!stored) {
    refuse('ServiceUnavailable', NOT_RECORDED_MESSAGE);
    return;
  }
  let warnings: readonly string[] = [];
  let report: ((execution: { readonly ok: boolean; readonly result: string }) => Promise<void>) | undefined;
  if (decision.action === 'deny') {
    refuse('Forbidden', decision.reason);
    return;
  }
  if (decision.action === 'requireApproval') {
    if (socket.destroyed) {
      recording.failed(index, 'AgentDisconnected', 'the agent closed its connection before the request was held');
      return;
    }
    const held = await holdRequest(session, services, parsed, decision, index, closed);
    if (!held.release) {
      if (held.refusal) refuse('Forbidden', held.refusal, held.warnings);
      return;
    }
    warnings = held.warnings;
    report = held.report;
  }
  let upgraded: Awaited<ReturnType<Awaited<ReturnType<typeof services.upstream.client>>['upgrade']>>;
  try {
    const client = await services.upstream.client(session.context.principal);
    upgraded = await client.upgrade({
      method: parsed.method,
      path: parsed.target,
      headers: forwardableRequestHeaders(request.headers, { upgrade: true }),
    });
  } catch (error) {
    const { code = 'UpstreamUnavailable', message } = error as Error & { code?: string };
    recording.failed(index, code, message);
    refuse('ServiceUnavailable', `the API server of target ${session.context.target.name} cannot be reached: ${message}`, warnings);
    return;
  }
  if (!upgraded.upgraded) {
    // The API server refused the upgrade (404, 403, 400): its answer goes to the agent as it is.
    // Nothing ran, and kubectl now retries the same command over its other transport (SPDY after
    // WebSocket): the approval already given covers that one retry, within a minute.
    if (decision.action === 'requireApproval') allowRetry(session, parsed.text);
    const { statusCode, bytes } = await relayOnSocket(upgraded.response, socket, { warnings });
    if (statusCode === 401) services.upstream.rejected();
    recording.answered(index, { httpStatus: statusCode, requestBytes: 0, responseBytes: bytes, complete: true });
    await report?.({ ok: false, result: `HTTP ${statusCode}` }).catch(() => undefined);
    return;
  }
  const stream = isTerminalStream(parsed)
    ? recording.execStream(index, { query: parsed.query, responseHeaders: upgraded.headers })
    : undefined;
  const result = await tunnel(socket, head, upgraded, stream?.taps);
  recording.tunnelled(index, result, stream);
  await report?.({ ok: true, result: `HTTP 101, ${result.bytesToAgent} bytes to the agent` }).catch(() => undefined);
}

/** exec and attach of a pod carry a command's stdin, stdout and stderr: those are recorded. */
function isTerminalStream(parsed: ParsedRequest): boolean {
  const { info } = parsed;
  return (
    info.kind === 'resource' &&
    info.apiGroup === '' &&
    info.resource === 'pods' &&
    (info.subresource === 'exec' || info.subresource === 'attach')
  );
}

/** How long the retry of an approved connection whose upgrade the API server refused is let through. */
const RETRY_WINDOW_MS = 60_000;

function allowRetry(session: KubernetesSession, text: string): void {
  const { target, principal, clock, windowGrants } = session.context;
  const digest = operationDigest({
    text,
    parameters: [],
    target: { namespace: target.namespace, name: target.name },
    identity: { namespace: principal.namespace, name: principal.identity },
  });
  windowGrants.grantOnce(digest, clock() + RETRY_WINDOW_MS);
}
