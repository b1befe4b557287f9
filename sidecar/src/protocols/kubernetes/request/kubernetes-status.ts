/**
 * The sidecar's own answers in the API server's error format, a `Status` object: kubectl and every
 * client library print its message (`Error from server (Forbidden): ...`) and read its reason, so
 * the agent learns why in the words it already parses. Messages start with `airlock:` so that no
 * reader takes them for the API server's own RBAC.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RenderRefusal } from '../../../core/http/http-refusal.ts';
import { sendJson } from '../../../core/http/response-relay.ts';
import { sendJsonOnSocket } from '../../../core/http/upgrade-answer.ts';

export type StatusReason =
  | 'Unauthorized'
  | 'Forbidden'
  | 'BadRequest'
  | 'RequestEntityTooLarge'
  | 'ServiceUnavailable'
  | 'InternalError'
  | 'Timeout';

const CODES: Readonly<Record<StatusReason, number>> = {
  Unauthorized: 401,
  Forbidden: 403,
  BadRequest: 400,
  RequestEntityTooLarge: 413,
  ServiceUnavailable: 503,
  InternalError: 500,
  Timeout: 504,
};

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  /** The resource, as the API server fills `details.kind` for authorization failures. */
  readonly kind?: string;
}

export function statusBody(reason: StatusReason, message: string, details?: StatusDetails): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `airlock: ${message}`,
    reason,
    ...(details && Object.keys(details).length > 0 ? { details } : {}),
    code: CODES[reason],
  };
}

export function statusCode(reason: StatusReason): number {
  return CODES[reason];
}

/** Answers the request with a Status; `warnings` go in Warning headers, which kubectl prints. */
export function sendStatus(
  response: ServerResponse,
  reason: StatusReason,
  message: string,
  options: { readonly details?: StatusDetails; readonly warnings?: readonly string[] } = {},
): number {
  const code = CODES[reason];
  sendJson(response, code, statusBody(reason, message, options.details), options.warnings ? { warnings: options.warnings } : undefined);
  return code;
}

/** The same answer on the raw socket of an upgrade request (exec, attach, port-forward), which then closes. */
export function sendStatusOnSocket(
  socket: Duplex,
  reason: StatusReason,
  message: string,
  options: { readonly details?: StatusDetails; readonly warnings?: readonly string[] } = {},
): number {
  const code = CODES[reason];
  if (!socket.destroyed)
    sendJsonOnSocket(socket, code, statusBody(reason, message, options.details), options.warnings ? { warnings: options.warnings } : {});
  return code;
}

/** The listener's own refusals (malformed requests, limits) as a Status too, so kubectl prints them as it prints the API server's. */
export const renderStatusRefusal: RenderRefusal = ({ code, statusCode, message }) => ({
  contentType: 'application/json',
  body: JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `airlock: ${message}`,
    reason: code,
    code: statusCode,
  }),
});
