/**
 * The smallest protocol on the HTTP layer, for tests: every request is read whole
 * (readRequestBody), forwarded with the UpstreamHttpClient and relayed back (relayResponse);
 * upgrades become tunnels. It records what the listener told it (opens, closes, refusals), so
 * tests can assert that each connection was opened and closed once.
 */

import type { HttpLimits } from '../http-limits.ts';
import type { HttpConnection, HttpHandlers, HttpRefusalCode } from '../http-listener.ts';
import { HttpBodyError, readRequestBody } from '../request-body.ts';
import { forwardableRequestHeaders } from '../request-headers.ts';
import { type RelayResult, relayResponse, sendJson } from '../response-relay.ts';
import { relayOnSocket, sendJsonOnSocket } from '../upgrade-answer.ts';
import { type TunnelResult, tunnel } from '../upgrade-tunnel.ts';
import { UpstreamError, type UpstreamHttpClient } from '../upstream-client.ts';

export interface ForwardingSession {
  readonly connection: HttpConnection;
  requests: number;
}

export interface ForwardingEvents {
  readonly opened: HttpConnection[];
  readonly closed: { readonly id: string; readonly reason: string }[];
  readonly refused: { readonly id: string | undefined; readonly code: HttpRefusalCode; readonly message: string }[];
  readonly bodyErrors: string[];
  readonly tunnels: TunnelResult[];
  readonly relays: RelayResult[];
  /** What the tunnel taps saw. */
  readonly tapped: { fromAgent: Buffer[]; toAgent: Buffer[] };
}

const STATUS_FOR_BODY_ERROR = { BodyTooLarge: 413, BodyTimeout: 408, BodyIncomplete: 400 } as const;

export function forwardingHandlers(
  client: UpstreamHttpClient,
  limits: HttpLimits,
): { readonly handlers: HttpHandlers<ForwardingSession>; readonly events: ForwardingEvents } {
  const events: ForwardingEvents = {
    opened: [],
    closed: [],
    refused: [],
    bodyErrors: [],
    tunnels: [],
    relays: [],
    tapped: { fromAgent: [], toAgent: [] },
  };
  const handlers: HttpHandlers<ForwardingSession> = {
    open(connection) {
      events.opened.push(connection);
      return { connection, requests: 0 };
    },
    close(session, reason) {
      events.closed.push({ id: session.connection.id, reason });
    },
    refused(session, code, message) {
      events.refused.push({ id: session?.connection.id, code, message });
    },
    async request(session, request, response) {
      session.requests += 1;
      let body: Buffer;
      try {
        body = await readRequestBody(request, { maxBytes: limits.maxRequestBodyBytes, timeoutMs: limits.requestBodyTimeoutMs });
      } catch (error) {
        if (!(error instanceof HttpBodyError)) throw error;
        events.bodyErrors.push(error.code);
        sendJson(
          response,
          STATUS_FOR_BODY_ERROR[error.code],
          { code: error.code, message: error.message },
          { headers: { connection: 'close' } },
        );
        return;
      }
      const abort = new AbortController();
      response.once('close', () => abort.abort());
      let upstream: Awaited<ReturnType<UpstreamHttpClient['request']>>;
      try {
        upstream = await client.request({
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          headers: forwardableRequestHeaders(request.headers, { upgrade: false }),
          body: body.length > 0 || request.method !== 'GET' ? body : undefined,
          signal: abort.signal,
        });
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        sendJson(response, 502, { code: error.code, message: error.message });
        return;
      }
      events.relays.push(await relayResponse(upstream, response));
    },
    async upgrade(_session, request, socket, head) {
      let result: Awaited<ReturnType<UpstreamHttpClient['upgrade']>>;
      try {
        result = await client.upgrade({
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          headers: forwardableRequestHeaders(request.headers, { upgrade: true }),
        });
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        sendJsonOnSocket(socket, 502, { code: error.code, message: error.message });
        return;
      }
      if (!result.upgraded) {
        await relayOnSocket(result.response, socket);
        return;
      }
      const outcome = await tunnel(socket, head, result, {
        fromAgent: (chunk) => events.tapped.fromAgent.push(chunk),
        toAgent: (chunk) => events.tapped.toAgent.push(chunk),
      });
      events.tunnels.push(outcome);
    },
  };
  return { handlers, events };
}
