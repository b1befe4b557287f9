/**
 * The sidecar's HTTPS client towards one upstream server (the Kubernetes API server, an HTTP
 * target): keep-alive connections verified against the target's CA (never without verification),
 * an optional client certificate, and an Authorization value asked for per request, so a rotated
 * credential is used from the next request on. The agent's own Authorization never goes through:
 * whatever the caller passes under that name is replaced or removed.
 *
 * Upgrades (WebSocket, SPDY/3.1 for exec, attach, port-forward) use a connection of their own,
 * which becomes the tunnel's upstream side (upstream-upgrade.ts).
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import { UpstreamError, upstreamFailure } from './upstream-error.ts';
import { openUpgrade, type UpgradeResult } from './upstream-upgrade.ts';

export { UpstreamError, type UpstreamErrorCode } from './upstream-error.ts';
export type { UpgradedUpstream, UpgradeResult } from './upstream-upgrade.ts';

export interface UpstreamTls {
  /** https base, may have a path prefix */
  readonly server: URL;
  /** PEM; without it the system's CAs verify the server. */
  readonly ca?: string;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
}

export interface UpstreamClientOptions {
  readonly connectTimeoutMs: number;
  /** called per request; its value goes in Authorization */
  readonly authorization?: () => Promise<string | undefined>;
  /** Connections kept to the server at once (default 64); more requests wait for one. */
  readonly maxSockets?: number;
  /** The response head must arrive within this once the request is sent; none by default (watches answer at once, then stream). */
  readonly responseTimeoutMs?: number;
}

export interface UpstreamRequest {
  readonly method: string;
  /** path+query, starting with '/', appended to the server's path prefix */
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: Buffer;
  readonly signal?: AbortSignal;
}

/** A reused keep-alive connection the server had closed: the request never reached it, so a safe method is sent once more. */
const RETRY_ON_STALE = new Set(['GET', 'HEAD', 'OPTIONS']);
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export class UpstreamHttpClient {
  readonly #server: string;
  readonly #prefix: string;
  readonly #target: RequestOptions;
  readonly #agent: Agent;
  readonly #options: UpstreamClientOptions;

  constructor(tls: UpstreamTls, options: UpstreamClientOptions) {
    if (tls.server.protocol !== 'https:') {
      throw new UpstreamError('UpstreamInvalidRequest', `the upstream server must be an https URL, not ${tls.server.protocol}`);
    }
    this.#options = options;
    this.#server = tls.server.origin;
    this.#prefix = tls.server.pathname.replace(/\/+$/, '');
    const host = tls.server.hostname.replace(/^\[(.*)\]$/, '$1');
    this.#target = {
      host,
      port: Number(tls.server.port || 443),
      // SNI carries names only; an IP address is verified against the certificate's IP SANs.
      servername: isIP(host) ? undefined : host,
      ca: tls.ca,
      cert: tls.clientCertificate,
      key: tls.clientKey,
      rejectUnauthorized: true,
    };
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' });
  }

  /** The server's origin, as named in error messages. */
  get server(): string {
    return this.#server;
  }

  /**
   * One request upstream. Resolves with the response once its head arrived; the body streams.
   * Errors: UpstreamError (UpstreamUnavailable when nothing was sent, UpstreamLost when it may
   * have been, UpstreamAborted on `signal`, UpstreamTimeout for responseTimeoutMs).
   */
  async request(input: UpstreamRequest): Promise<IncomingMessage> {
    const headers = await this.#headers(input.headers);
    try {
      return await this.#send(input, headers);
    } catch (error) {
      if (!(error instanceof StaleConnection)) throw error;
      if (!RETRY_ON_STALE.has(input.method.toUpperCase()) || input.signal?.aborted) throw error.failure;
      return await this.#send(input, headers).catch((retryError: unknown) => {
        throw retryError instanceof StaleConnection ? retryError.failure : retryError;
      });
    }
  }

  /** Opens an upgraded connection (WebSocket, SPDY): 101 gives the socket, any other status the response to relay. */
  async upgrade(input: Omit<UpstreamRequest, 'body'>): Promise<UpgradeResult> {
    const headers = await this.#headers(input.headers);
    return openUpgrade({
      server: this.#server,
      options: { ...this.#target, method: input.method, path: this.#path(input.path), headers, agent: false, signal: input.signal },
      connectTimeoutMs: this.#options.connectTimeoutMs,
    });
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(input: UpstreamRequest, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
    const path = this.#path(input.path);
    const method = input.method.toUpperCase();
    const outgoing: OutgoingHttpHeaders = { ...headers };
    if (input.body !== undefined) outgoing['content-length'] = input.body.length;
    return new Promise<IncomingMessage>((resolve, reject) => {
      let settled = false;
      let connected = false;
      let connectTimer: NodeJS.Timeout | undefined;
      let responseTimer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(responseTimer);
      };
      let req: ReturnType<typeof httpsRequest>;
      try {
        req = httpsRequest({ ...this.#target, agent: this.#agent, method, path, headers: outgoing, signal: input.signal });
      } catch (error) {
        reject(
          new UpstreamError('UpstreamInvalidRequest', `the request to ${this.#server} cannot be sent: ${(error as Error).message}`, {
            cause: error,
          }),
        );
        return;
      }
      req.once('socket', (socket) => {
        if (req.reusedSocket) {
          connected = true;
          return;
        }
        connectTimer = setTimeout(() => {
          req.destroy(
            new UpstreamError(
              'UpstreamUnavailable',
              `cannot reach ${this.#server}: no TLS connection within ${this.#options.connectTimeoutMs} ms (limits.upstreamConnectTimeoutMs)`,
            ),
          );
        }, this.#options.connectTimeoutMs);
        socket.once('secureConnect', () => {
          connected = true;
          clearTimeout(connectTimer);
        });
      });
      req.once('finish', () => {
        const ms = this.#options.responseTimeoutMs;
        if (ms === undefined || settled) return;
        responseTimer = setTimeout(() => {
          req.destroy(
            new UpstreamError('UpstreamTimeout', `${this.#server} sent no answer within ${ms} ms; the request may have been applied`),
          );
        }, ms);
      });
      req.once('response', (response) => {
        settle();
        resolve(response);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        settle();
        const failure = upstreamFailure(this.#server, error, { connected, aborted: input.signal?.aborted === true });
        if (req.reusedSocket && STALE_CODES.has(error.code ?? '')) reject(new StaleConnection(failure));
        else reject(failure);
      });
      req.end(input.body);
    });
  }

  async #headers(given: OutgoingHttpHeaders): Promise<OutgoingHttpHeaders> {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(given)) {
      if (name.toLowerCase() === 'authorization' || value === undefined) continue;
      headers[name] = value;
    }
    if (!this.#options.authorization) return headers;
    let authorization: string | undefined;
    try {
      authorization = await this.#options.authorization();
    } catch (error) {
      throw new UpstreamError('UpstreamCredentialsUnavailable', `no credentials for ${this.#server}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (authorization !== undefined) headers.authorization = authorization;
    return headers;
  }

  #path(path: string): string {
    if (!path.startsWith('/')) {
      throw new UpstreamError('UpstreamInvalidRequest', `the path for ${this.#server} must start with /`);
    }
    // String concatenation, never URL resolution: `//host/x` stays a path on this server.
    return `${this.#prefix}${path}`;
  }
}

/** A request failed on a reused keep-alive connection before any answer: safe methods are tried once more. */
class StaleConnection extends Error {
  readonly failure: UpstreamError;
  constructor(failure: UpstreamError) {
    super(failure.message);
    this.failure = failure;
  }
}
