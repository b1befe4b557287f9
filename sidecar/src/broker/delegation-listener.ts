/**
 * Where a parent agent asks its sidecar for a narrower token for a sub-agent it spawns (token
 * exchange in the spirit of RFC 8693): `POST /v1/delegations` on 127.0.0.1:AIRLOCK_DELEGATION_PORT,
 * started only on pods whose identity may delegate. The sidecar decides nothing here: it passes the
 * request to the broker (BROKER_PATHS.delegations), which knows the parent, its limits and the
 * chain, and hands the agent the broker's answer. The sub-agent then presents the token to this
 * same sidecar like any agent token (the broker binds it to this pod).
 *
 * - The parent is whoever sends `Authorization: Bearer <its token>`; without the header (or with
 *   the POD_IDENTITY_PASSWORD word, as on the other listeners) it is the pod's own identity.
 * - Body: JSON `{ name, targets?, ttlSeconds? }`, at most MAX_DELEGATION_BODY_BYTES.
 * - 201 with `{ token, expiresAt, targets, depth }`; a refusal with the broker's status and
 *   `{ code, reason?, message }`; 503 Unavailable when the broker cannot be asked (fail closed:
 *   no token is made up here).
 * - Neither the parent's token nor the minted one is ever logged; grants are logged without them.
 *
 * The HTTP/1.1 parsing, bounds and graceful close are the sidecar's shared listener's
 * (core/http/http-listener.ts), as for every HTTP Target.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DelegationRequest, DelegationResponse } from '@airlock/contracts/broker';
import { POD_IDENTITY_PASSWORD } from '@airlock/contracts/broker';
import { DELEGATION_PATH } from '@airlock/contracts/install';
import type { Logger } from 'pino';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../core/http/http-limits.ts';
import { type HttpListenerHandle, startHttpListener } from '../core/http/http-listener.ts';
import { endWithAnswer, refusalBytes, renderJsonRefusal } from '../core/http/http-refusal.ts';
import { HttpBodyError, readRequestBody } from '../core/http/request-body.ts';
import type { DelegationOutcome, SidecarMetrics } from '../core/observability/metrics.ts';
import type { BrokerClient } from './broker-client.ts';
import { BrokerError } from './errors.ts';

/** A delegation request is a name, a few target names and a number: anything near this is not one. */
export const MAX_DELEGATION_BODY_BYTES = 16 * 1024;

/** The `code` of the listener's own answers; a refusal from the broker carries the broker's code. */
export type DelegationErrorCode =
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooLarge'
  | 'RequestTimeout'
  | 'Unavailable';

export interface DelegationListenerOptions {
  /** Loopback: a sidecar answering here mints tokens of the pod's identity for whoever asks. */
  readonly host: string;
  /** AIRLOCK_DELEGATION_PORT; 0 picks a free port (tests). */
  readonly port: number;
  readonly broker: Pick<BrokerClient, 'delegate'>;
  readonly logger: Logger;
  /** Counts each request's outcome (airlock_sidecar_delegations_total). */
  readonly metrics?: Pick<SidecarMetrics, 'delegations'>;
  /** Over the shared HTTP defaults; maxRequestBodyBytes defaults to MAX_DELEGATION_BODY_BYTES. */
  readonly limits?: Partial<HttpLimits>;
}

export interface DelegationListener {
  readonly port: number;
  /** Without `graceMs` every connection is dropped; with it, requests in flight may finish first. */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

const REQUEST_FIELDS: ReadonlySet<string> = new Set(['name', 'targets', 'ttlSeconds']);
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export async function startDelegationListener(options: DelegationListenerOptions): Promise<DelegationListener> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, maxRequestBodyBytes: MAX_DELEGATION_BODY_BYTES, ...options.limits };
  const logger = options.logger;
  const handle: HttpListenerHandle = await startHttpListener<undefined>({
    host: options.host,
    port: options.port,
    limits,
    logger,
    handlers: {
      open: () => undefined,
      close: () => undefined,
      request: (_state, request, response) => serve({ options, limits, logger }, request, response),
      upgrade: async (_state, _request, socket: Duplex) => {
        const message = `only POST ${DELEGATION_PATH} is served here; it does not upgrade`;
        endWithAnswer(socket, refusalBytes(400, renderJsonRefusal({ code: 'MalformedRequest', statusCode: 400, message })));
      },
    },
  });
  logger.info({ port: handle.port }, 'delegation endpoint listening');
  return { port: handle.port, close: (closeOptions) => handle.close(closeOptions) };
}

interface Serving {
  readonly options: DelegationListenerOptions;
  readonly limits: HttpLimits;
  readonly logger: Logger;
}

async function serve({ options, limits, logger }: Serving, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const count = (outcome: DelegationOutcome) => options.metrics?.delegations.inc({ outcome });
  // The connection ends with every refusal of the sidecar's own: a body it did not read is not read later either.
  const refuse = (status: number, code: DelegationErrorCode, message: string, headers: Record<string, string> = {}) => {
    count('invalid');
    logger.debug({ status, code }, 'delegation request refused by the sidecar');
    answer(response, status, { code, message }, { ...headers, connection: 'close' });
  };

  const path = (request.url ?? '').split('?')[0];
  if (path !== DELEGATION_PATH) return refuse(404, 'NotFound', `nothing at ${path}: POST ${DELEGATION_PATH} asks for a sub-agent's token`);
  if (request.method !== 'POST') {
    return refuse(405, 'MethodNotAllowed', `${request.method} is not served: POST ${DELEGATION_PATH}`, { allow: 'POST' });
  }
  if (!isJson(request.headers['content-type'])) {
    return refuse(415, 'UnsupportedMediaType', 'send the request as Content-Type: application/json');
  }
  const parent = parentToken(request.headers.authorization);
  if (!parent.ok) return refuse(400, 'Invalid', parent.message);

  let body: Buffer;
  try {
    body = await readRequestBody(request, { maxBytes: limits.maxRequestBodyBytes, timeoutMs: limits.requestBodyTimeoutMs });
  } catch (error) {
    if (!(error instanceof HttpBodyError)) throw error;
    if (error.code === 'BodyIncomplete') {
      count('invalid');
      response.destroy();
      return;
    }
    const tooLarge = error.code === 'BodyTooLarge';
    const message = tooLarge
      ? `the request body is over ${limits.maxRequestBodyBytes} bytes: send only { name, targets?, ttlSeconds? }`
      : error.message;
    return refuse(tooLarge ? 413 : 408, tooLarge ? 'TooLarge' : 'RequestTimeout', message);
  }
  const parsed = parseRequest(body);
  if (!parsed.ok) return refuse(400, 'Invalid', parsed.message);

  const forwarded: DelegationRequest = { ...(parent.token === undefined ? {} : { agentToken: parent.token }), ...parsed.request };
  const asker = { subAgent: parsed.request.name, parent: parent.token === undefined ? 'pod' : 'token' };
  let grant: DelegationResponse;
  try {
    grant = await options.broker.delegate(forwarded);
  } catch (error) {
    if (!(error instanceof BrokerError)) throw error;
    const refusal = brokerRefusal(error);
    if (refusal) {
      count('refused');
      logger.info({ ...asker, code: error.code, ...(error.reason ? { reason: error.reason } : {}) }, 'delegation refused by the broker');
      answer(response, refusal.status, { code: error.code, ...(error.reason ? { reason: error.reason } : {}), message: error.message });
      return;
    }
    count('unavailable');
    logger.warn({ ...asker, code: error.code, err: { message: error.message } }, 'delegation not possible: the broker cannot be asked');
    answer(response, 503, {
      code: 'Unavailable',
      message: `the sidecar cannot ask the operator's broker for a token now (${error.code}: ${error.message}); retry later`,
    });
    return;
  }
  count('granted');
  logger.info({ ...asker, depth: grant.depth, targets: grant.targets, expiresAt: grant.expiresAt }, 'delegated a token to a sub-agent');
  answer(response, 201, grant);
}

/**
 * The broker's refusals of the request itself (AgentTokenRefused, Invalid, Forbidden, NoIdentity,
 * TooLarge) go back to the agent as they are. The others are the sidecar's trouble, not the
 * agent's: its own credential refused (401), a broker without the route (404: an older operator),
 * the broker down or answering nonsense. Those become 503, so that an agent never reads them as a
 * verdict on its request.
 */
function brokerRefusal(error: BrokerError): { readonly status: number } | undefined {
  if (error.status === undefined || error.status >= 500) return undefined;
  if (error.code === 'Unauthenticated' || error.code === 'NotFound' || error.code === 'BadResponse') return undefined;
  return { status: error.status };
}

type ParentToken = { readonly ok: true; readonly token?: string } | { readonly ok: false; readonly message: string };

function parentToken(authorization: string | undefined): ParentToken {
  if (authorization === undefined || authorization.trim() === '') return { ok: true };
  const token = BEARER.exec(authorization)?.[1];
  // Never the header itself in the message: it is a credential, whatever its scheme.
  if (token === undefined)
    return { ok: false, message: 'the Authorization header must be "Bearer <your token>", or absent to delegate as the pod' };
  return token === POD_IDENTITY_PASSWORD ? { ok: true } : { ok: true, token };
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

type ParsedRequest =
  | { readonly ok: true; readonly request: Omit<DelegationRequest, 'agentToken'> }
  | { readonly ok: false; readonly message: string };

/** The shape only; the broker judges the name, the targets and the lifetime. */
function parseRequest(body: Buffer): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, message: 'the body is not JSON: send { "name": "<sub-agent>", "targets": [...], "ttlSeconds": N }' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'the body must be a JSON object: { "name": "<sub-agent>", "targets": [...], "ttlSeconds": N }' };
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !REQUEST_FIELDS.has(key));
  if (unknown.length > 0) return { ok: false, message: `unknown field ${unknown.join(', ')}: the fields are name, targets, ttlSeconds` };
  const { name, targets, ttlSeconds } = fields;
  if (typeof name !== 'string' || name === '')
    return { ok: false, message: "name is required: the sub-agent's name, as reviewers will see it" };
  if (targets !== undefined && !(Array.isArray(targets) && targets.every((t) => typeof t === 'string' && t !== ''))) {
    return { ok: false, message: 'targets must be a list of Target names; leave it out for all of your own' };
  }
  if (ttlSeconds !== undefined && !(Number.isSafeInteger(ttlSeconds) && (ttlSeconds as number) > 0)) {
    return { ok: false, message: 'ttlSeconds must be a whole number of seconds above 0; leave it out for the longest the identity allows' };
  }
  return {
    ok: true,
    request: {
      name,
      ...(targets === undefined ? {} : { targets: targets as string[] }),
      ...(ttlSeconds === undefined ? {} : { ttlSeconds: ttlSeconds as number }),
    },
  };
}

function answer(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // A token answer must not be stored by anything between (RFC 6749 section 5.1); the others carry none but are as cheap.
    'cache-control': 'no-store',
  });
  response.end(text);
}
