/**
 * HTTPS to the operator's broker: JSON calls and NDJSON streams, with the pod's projected
 * service-account token as the bearer. The kubelet rotates the token file (at 80% of the token's
 * life, so the old token stays valid for minutes after): the client reads it again when its copy
 * is a minute old, as client-go's cached file token source does, and at once after the broker
 * answered 401. Reading it for every call cost four thread-pool trips (open, fstat, read, close)
 * per recording batch, i.e. per PostgreSQL statement under Block. Idempotent calls are retried with backoff when the broker cannot be reached
 * or answers 503 Unavailable; everything else fails at once with the broker's code and message.
 * The token is never part of an error or a log line.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import {
  AGENT_TOKEN_REFUSALS,
  type AgentPrincipal,
  type AgentTokenRequest,
  type AgentTokenResponse,
  BROKER_ERROR_STATUS,
  BROKER_PATHS,
  type BrokerErrorCode,
  type DelegationRequest,
  type DelegationResponse,
  HEARTBEAT_SECONDS,
  NDJSON_CONTENT_TYPE,
} from '@airlock/contracts/broker';
import { type Backoff, backoffDelay, pause } from '@airlock/runtime';
import { BrokerError } from './errors.ts';
import { NdjsonLineReader } from './ndjson.ts';
import { isAgentPrincipal } from './principal-shape.ts';

export interface BrokerClientOptions {
  /** https://host:port of the broker. */
  readonly url: string;
  /** PEM CA bundle the broker's serving certificate chains to; nothing else is trusted. */
  readonly caPem: string;
  /** The projected service-account token (audience airlock). */
  readonly tokenFile: string;
  /** Idempotent calls: how many attempts and how long between them (default 6 attempts, 200 ms doubling to 5 s). */
  readonly retry?: Backoff & { readonly attempts: number };
  /** A JSON call whose connection is idle this long fails (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** A stream without a byte for this long is dead (default three heartbeats). */
  readonly streamIdleTimeoutMs?: number;
  /**
   * A stream the broker has not answered this long after it was sent is abandoned and opened again
   * (default 10 s). The broker answers at once; no answer means a connection to a replica that is
   * gone: during a roll a Service can still send a new connection to a pod that no longer exists,
   * whose SYNs go unanswered for minutes.
   */
  readonly streamOpenTimeoutMs?: number;
  /** How long a token read from tokenFile is used before it is read again (default 60 s). */
  readonly tokenRereadMs?: number;
  /** Milliseconds, monotonic; default performance.now. For tests. */
  readonly now?: () => number;
}

/** A call body already serialized as JSON (the recording store composes it from the records' stored lines). */
export class JsonText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export interface CallOptions {
  /** Safe to send again: retried on Unreachable and Unavailable. */
  readonly idempotent?: boolean;
  /** Overrides the retry attempts for this call. */
  readonly attempts?: number;
  readonly signal?: AbortSignal;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const DEFAULT_RETRY = { attempts: 6, initialMs: 200, maxMs: 5000 };
const DEFAULT_STREAM_OPEN_TIMEOUT_MS = 10_000;
const DEFAULT_TOKEN_REREAD_MS = 60_000;
const KNOWN_CODES = new Set(Object.keys(BROKER_ERROR_STATUS));
const KNOWN_REASONS: ReadonlySet<string> = new Set(AGENT_TOKEN_REFUSALS);
/** One quick retry of an agent's token check covers a kept-alive connection the broker closed; the agent is waiting. */
const AGENT_TOKEN_ATTEMPTS = 2;

export class BrokerClient {
  readonly url: URL;
  readonly #options: BrokerClientOptions;
  readonly #agent: Agent;
  readonly #retry: Backoff & { readonly attempts: number };
  readonly #now: () => number;
  /** The token as last read, and when (#now). */
  #token: { readonly value: string; readonly readAt: number } | undefined;

  constructor(options: BrokerClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'https:') throw new BrokerError('Invalid', `the broker URL must be https:// (got ${url.protocol})`);
    this.url = url;
    this.#options = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#now = options.now ?? (() => performance.now());
    this.#agent = new Agent({ ca: options.caPem, keepAlive: true, minVersion: 'TLSv1.2' });
  }

  /** One JSON call; `body` is serialized with JSON.stringify unless it is JsonText. Resolves the parsed body (undefined for 204). */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    const attempts = options.idempotent ? (options.attempts ?? this.#retry.attempts) : 1;
    const payload = body === undefined ? undefined : Buffer.from(body instanceof JsonText ? body.text : JSON.stringify(body), 'utf8');
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#once(method, path, payload, options.signal)) as T;
      } catch (error) {
        const retry = error instanceof BrokerError && error.retryable && attempt < attempts && !options.signal?.aborted;
        if (!retry) throw error;
        await pause(backoffDelay(this.#retry, attempt), options.signal);
      }
    }
  }

  /**
   * Opens an NDJSON stream and hands every parsed line to `onLine` (heartbeats included). Resolves
   * when the broker ends the stream or `signal` aborts; rejects with the broker's error when it
   * refuses, and Unreachable when the connection breaks or goes quiet.
   */
  async stream(path: string, onLine: (line: unknown) => void, signal?: AbortSignal): Promise<void> {
    const token = await this.#currentToken();
    if (signal?.aborted) return;
    const idleMs = this.#options.streamIdleTimeoutMs ?? 3 * HEARTBEAT_SECONDS * 1000;
    const openMs = this.#options.streamOpenTimeoutMs ?? DEFAULT_STREAM_OPEN_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined || signal?.aborted) resolve();
        else reject(error);
      };
      const req = request(this.#target(path), {
        method: 'GET',
        agent: this.#agent,
        headers: { authorization: `Bearer ${token}`, accept: NDJSON_CONTENT_TYPE },
      });
      const onAbort = () => {
        req.destroy();
        finish();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => req.destroy(new Error(`no line from the broker for ${Math.round(idleMs / 1000)} s`)), idleMs);
      };
      req.on('error', (error) => finish(unreachable(this.url, error)));
      req.on('response', (response) => {
        if (response.statusCode !== 200) {
          if (response.statusCode === 401) this.#token = undefined;
          readBody(response).then(
            (text) => finish(errorFromResponse(response.statusCode ?? 0, text)),
            (error: unknown) => finish(unreachable(this.url, error)),
          );
          return;
        }
        const reader = new NdjsonLineReader();
        arm();
        response.on('data', (chunk: Buffer) => {
          arm();
          try {
            for (const line of reader.push(chunk)) onLine(line);
          } catch (error) {
            req.destroy();
            finish(error);
          }
        });
        response.on('end', () =>
          reader.pendingBytes > 0 ? finish(new BrokerError('Unreachable', 'the broker stream ended in the middle of a line')) : finish(),
        );
        response.on('error', (error) => finish(unreachable(this.url, error)));
        response.on('close', () => {
          if (!response.complete) finish(new BrokerError('Unreachable', 'the broker stream was cut off'));
        });
      });
      // Until the response: the open timeout (arm() replaces it with the idle one).
      idle = setTimeout(() => req.destroy(new Error(`no answer from the broker within ${openMs / 1000} s`)), openMs);
      req.end();
    });
  }

  /**
   * Who the agent is that presented `token` (BROKER_PATHS.agentTokens). Rejects with BrokerError
   * AgentTokenRefused (its `reason` says which check) when the broker refuses the token, BadResponse
   * when the answer holds no principal. The token goes only into the request body.
   */
  async agentPrincipal(token: string): Promise<AgentPrincipal> {
    const body: AgentTokenRequest = { token };
    const answer = await this.call<Partial<AgentTokenResponse> | undefined>('POST', BROKER_PATHS.agentTokens, body, {
      idempotent: true,
      attempts: AGENT_TOKEN_ATTEMPTS,
    });
    const principal: unknown = answer?.principal;
    if (!isAgentPrincipal(principal)) throw new BrokerError('BadResponse', 'the broker answered a token check without a valid principal');
    return principal;
  }

  /**
   * A narrower token for a sub-agent (BROKER_PATHS.delegations), minted by the broker for the parent
   * `request.agentToken` names (absent: the pod's own identity). Rejects with BrokerError
   * AgentTokenRefused (`reason` DelegationNotAllowed, DelegationTooDeep, DelegationTooBroad, or why
   * the parent's token was refused), Invalid, and BadResponse when the answer is not a grant. Sent
   * again once when the broker cannot be reached: a second token minted for a lost answer is never
   * handed out, and expires on its own.
   */
  async delegate(request: DelegationRequest): Promise<DelegationResponse> {
    const answer = await this.call<unknown>('POST', BROKER_PATHS.delegations, request, {
      idempotent: true,
      attempts: AGENT_TOKEN_ATTEMPTS,
    });
    if (!isDelegationResponse(answer)) throw new BrokerError('BadResponse', 'the broker answered a delegation without a valid grant');
    // Only the contract's fields: whatever else the answer held is not handed to the agent.
    return { token: answer.token, expiresAt: answer.expiresAt, targets: [...answer.targets], depth: answer.depth };
  }

  /** Drops kept-alive connections. Open streams end. */
  close(): void {
    this.#agent.destroy();
  }

  async #once(method: 'GET' | 'POST', path: string, payload: Buffer | undefined, signal?: AbortSignal): Promise<unknown> {
    const token = await this.#currentToken();
    const timeoutMs = this.#options.requestTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = request(this.#target(path), { method, agent: this.#agent, headers, timeout: timeoutMs, ...(signal ? { signal } : {}) });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
      req.on('error', (error) =>
        reject(
          signal?.aborted ? new BrokerError('Aborted', `${method} ${path} was aborted`, { cause: error }) : unreachable(this.url, error),
        ),
      );
      req.on('response', (response) => {
        readBody(response).then(
          (text) => {
            const status = response.statusCode ?? 0;
            // The token may have been rotated and this one revoked or expired: read the file again next time.
            if (status === 401) this.#token = undefined;
            if (status < 200 || status >= 300) return reject(errorFromResponse(status, text));
            if (text === '') return resolve(undefined);
            try {
              resolve(JSON.parse(text));
            } catch (error) {
              reject(
                new BrokerError('BadResponse', `the broker answered ${method} ${path} with something that is not JSON`, { cause: error }),
              );
            }
          },
          (error: unknown) => reject(unreachable(this.url, error)),
        );
      });
      req.end(payload);
    });
  }

  #target(path: string): URL {
    return new URL(path, this.url);
  }

  async #currentToken(): Promise<string> {
    const cached = this.#token;
    const rereadMs = this.#options.tokenRereadMs ?? DEFAULT_TOKEN_REREAD_MS;
    if (cached && this.#now() - cached.readAt < rereadMs) return cached.value;
    const value = await this.#readToken();
    this.#token = { value, readAt: this.#now() };
    return value;
  }

  async #readToken(): Promise<string> {
    let token: string;
    try {
      token = (await readFile(this.#options.tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new BrokerError(
        'TokenUnavailable',
        `cannot read the service-account token at ${this.#options.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; the pod needs the projected airlock token volume`,
        { cause: error },
      );
    }
    if (token === '') throw new BrokerError('TokenUnavailable', `the service-account token file ${this.#options.tokenFile} is empty`);
    return token;
  }
}

function isDelegationResponse(value: unknown): value is DelegationResponse {
  if (typeof value !== 'object' || value === null) return false;
  const { token, expiresAt, targets, depth } = value as Record<string, unknown>;
  return (
    typeof token === 'string' &&
    token !== '' &&
    typeof expiresAt === 'string' &&
    !Number.isNaN(Date.parse(expiresAt)) &&
    Array.isArray(targets) &&
    targets.every((target) => typeof target === 'string') &&
    Number.isInteger(depth) &&
    (depth as number) >= 1
  );
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.destroy(new Error(`the broker's answer is over ${MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

function unreachable(url: URL, error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new BrokerError('Unreachable', `cannot reach the broker at ${url.origin}: ${code ? `${code} ` : ''}${(error as Error).message}`, {
    cause: error,
  });
}

function errorFromResponse(status: number, text: string): BrokerError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // a proxy or load balancer answered, not the broker
  }
  if (typeof body === 'object' && body !== null) {
    const { code, message, reason } = body as { code?: unknown; message?: unknown; reason?: unknown };
    if (typeof code === 'string' && KNOWN_CODES.has(code) && typeof message === 'string') {
      // The reason ends up in what the agent reads: only one the protocol names is kept.
      const named = typeof reason === 'string' && KNOWN_REASONS.has(reason) ? { reason } : {};
      return new BrokerError(code as BrokerErrorCode, message, { status, ...named });
    }
  }
  if (status === 502 || status === 504) return new BrokerError('Unreachable', `the broker is not reachable (HTTP ${status})`, { status });
  if (status === 503) return new BrokerError('Unavailable', `the broker is unavailable (HTTP ${status})`, { status });
  return new BrokerError('BadResponse', `the broker answered HTTP ${status} without an error body`, { status });
}
