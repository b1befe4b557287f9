/**
 * The sidecar's HTTP/1.1 listener for one Target: 127.0.0.1:<localPort> inside the pod, a node:http
 * server with the strict parser, under which a protocol (Kubernetes, plain HTTP, MCP) plugs its
 * handlers. What the listener guarantees before a handler sees a request:
 *
 * - the bytes parsed as HTTP/1.1 without leniency (no obs-fold, bare CR/LF, NUL, CL+TE, duplicate
 *   Content-Length, obfuscated Transfer-Encoding): anything else is answered 400 (431 for a head
 *   over maxHeaderBytes) with `Connection: close`, the connection ends, and no handler runs;
 * - the request-target is origin-form (`/path?query`) and the method one of ALLOWED_METHODS;
 * - one request at a time per connection: a pipelined request is handed over only when the
 *   previous response is done, so a protocol's session never sees two requests of one connection
 *   at once, and the answers go back in order;
 * - at most maxConnections connections; one more is closed at once and logged;
 * - heads that trickle in (slowloris) are cut after headersTimeoutMs.
 *
 * close() follows TargetListener (core/protocol.ts): without grace every connection is dropped;
 * with `graceMs` no new connections or requests, idle keep-alive connections close at once, the
 * requests in flight finish (their answers say `Connection: close`), and what is still open after
 * `graceMs` is dropped. A protocol ends one connection the same way with HttpConnection.end (the
 * agent's token expired), and drops it with HttpConnection.destroy.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { boundPort, listen } from '@airlock/runtime';
import type { Logger } from 'pino';
import type { HttpLimits } from './http-limits.ts';
import {
  classifyParserError,
  endWithAnswer,
  type HttpRefusalCode,
  REFUSAL_STATUS,
  type RefusalBody,
  type RenderRefusal,
  refusalBytes,
  renderJsonRefusal,
} from './http-refusal.ts';

export type { HttpRefusalCode, RenderRefusal } from './http-refusal.ts';

/**
 * The methods a handler may see. CONNECT would open a raw tunnel and TRACE reflects headers back;
 * nothing the sidecar fronts needs them, or the WebDAV methods, so they are refused with 405.
 */
export const ALLOWED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface HttpConnection {
  readonly id: string;
  /** host:port of the agent end */
  readonly clientAddress: string;
  /** resolves when the TCP connection is gone */
  readonly closed: Promise<void>;
  /**
   * Ends this connection as close({ graceMs }) ends each one: at once when idle; otherwise the
   * requests in flight are answered (with `Connection: close`) and then it closes. An upgraded
   * connection is its handler's until destroy(). `reason` is the close reason the handlers get.
   */
  end(reason: string): void;
  /** Drops the connection now, whatever is in flight. */
  destroy(reason: string): void;
}

export interface HttpHandlers<C> {
  /** Once per TCP connection, before its first request: the per-connection state (the protocol's session). */
  open(connection: HttpConnection): C;
  /** The connection is gone (reason: client-closed, client-reset, idle-timeout, timeout, shutdown, protocol-error, refused, server-closed). Called once, only after open. */
  close(state: C, reason: string): void;
  /** One request. Must answer it; a throw is logged and answered 500 (if headers not sent) or the connection destroyed. */
  request(state: C, request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** An Upgrade request (WebSocket, SPDY/3.1). The handler owns the socket from here. */
  upgrade(state: C, request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /**
   * The listener refused what the client sent; already answered (400, 405, 408, 431 or 503, see
   * REFUSAL_STATUS) with Connection: close, and the connection ends (TooManyConnections: closed
   * without an answer). `state` is absent when no request was handed to the handlers yet on that
   * connection.
   */
  refused?(state: C | undefined, code: HttpRefusalCode, message: string): void;
}

export interface HttpListenerHandle {
  readonly port: number;
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

export interface HttpListenerOptions<C> {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly limits: HttpLimits;
  readonly logger: Logger;
  readonly handlers: HttpHandlers<C>;
  /** The body of the listener's own refusals and 500s, in the form the protocol's clients read; a small JSON object by default. */
  readonly renderRefusal?: RenderRefusal;
}

interface Connection<C> {
  readonly socket: Socket;
  readonly info: HttpConnection;
  /** Set by the first request or upgrade handed to the handlers. */
  opened: { readonly state: C } | undefined;
  /** Responses handed out and not yet closed, in order. */
  readonly responses: Set<ServerResponse>;
  /** Serializes the handlers' work on this connection. */
  queue: Promise<void>;
  upgraded: boolean;
  /** The listener answered a refusal or gave up on the connection: nothing more is handed to the handlers. */
  ending: boolean;
  /** Set by HttpConnection.end: the close reason once what is in flight is answered. */
  finishing: string | undefined;
  reason: string | undefined;
}

export function startHttpListener<C>(options: HttpListenerOptions<C>): Promise<HttpListenerHandle> {
  return HttpListener.start(options);
}

class HttpListener<C> implements HttpListenerHandle {
  readonly #server: Server;
  readonly #options: HttpListenerOptions<C>;
  readonly #render: RenderRefusal;
  readonly #connections = new Map<Socket, Connection<C>>();
  #draining = false;
  #serverClosed: Promise<void> | undefined;

  private constructor(options: HttpListenerOptions<C>) {
    this.#options = options;
    this.#render = options.renderRefusal ?? renderJsonRefusal;
    const { limits } = options;
    this.#server = createServer({
      insecureHTTPParser: false,
      // Checked in #check instead: node's own refusal is a bare 400 without the protocol's body.
      requireHostHeader: false,
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      // A backstop for a request the handler never reads; readRequestBody enforces its own bound.
      requestTimeout: limits.headersTimeoutMs + limits.requestBodyTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often node looks for expired heads: often enough that headersTimeoutMs holds within a quarter.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      joinDuplicateHeaders: false,
      noDelay: true,
    });
    this.#server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    this.#server.on('connection', (socket: Socket) => this.#connect(socket));
    this.#server.on('request', (request: IncomingMessage, response: ServerResponse) => this.#request(request, response));
    this.#server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
    this.#server.on('connect', (request: IncomingMessage, socket: Duplex) =>
      this.#refuseOnSocket(socket, 'MethodNotAllowed', methodMessage(request.method)),
    );
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.#clientError(error, socket));
  }

  static async start<C>(options: HttpListenerOptions<C>): Promise<HttpListener<C>> {
    const listener = new HttpListener(options);
    await listen(listener.#server, options.port, options.host);
    return listener;
  }

  get port(): number {
    return boundPort(this.#server);
  }

  async close(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.#draining = true;
    this.#serverClosed ??= new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (options.graceMs !== undefined) await this.#drain(options.graceMs);
    for (const connection of this.#connections.values()) {
      connection.reason ??= 'shutdown';
      connection.socket.destroy();
    }
    await this.#serverClosed;
  }

  async #drain(graceMs: number): Promise<void> {
    for (const connection of this.#connections.values()) {
      if (connection.responses.size === 0 && !connection.upgraded) {
        connection.reason ??= 'shutdown';
        connection.socket.destroySoon();
        continue;
      }
      for (const response of connection.responses) if (!response.headersSent) response.setHeader('connection', 'close');
    }
    const allClosed = Promise.all([...this.#connections.values()].map((connection) => connection.info.closed));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([allClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  #connect(socket: Socket): void {
    const { limits, logger, handlers } = this.#options;
    // Node's own error listener goes away on upgrade; an error on a socket nobody listens to must not crash the sidecar.
    socket.on('error', () => undefined);
    if (this.#connections.size >= limits.maxConnections) {
      const message = `too many connections: the sidecar already serves ${limits.maxConnections} (limits.maxConnections); close idle connections`;
      logger.warn({ limit: 'maxConnections', max: limits.maxConnections }, 'agent connection refused');
      socket.destroy();
      this.#notifyRefused(undefined, 'TooManyConnections', message);
      return;
    }
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    const connection: Connection<C> = {
      socket,
      info: {
        id: randomUUID(),
        clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
        closed,
        end: (reason) => this.#finish(connection, reason),
        destroy: (reason) => {
          connection.reason ??= reason;
          socket.destroy();
        },
      },
      opened: undefined,
      responses: new Set(),
      queue: Promise.resolve(),
      upgraded: false,
      ending: false,
      finishing: undefined,
      reason: undefined,
    };
    this.#connections.set(socket, connection);
    socket.once('end', () => (connection.reason ??= 'client-closed'));
    socket.on('timeout', () => (connection.reason ??= 'idle-timeout'));
    socket.once('close', () => {
      this.#connections.delete(socket);
      connection.reason ??= 'server-closed';
      if (connection.opened) {
        try {
          handlers.close(connection.opened.state, connection.reason);
        } catch (error) {
          logger.error({ err: { message: (error as Error).message } }, 'http connection close handler failed');
        }
      }
      resolveClosed();
    });
  }

  #request(request: IncomingMessage, response: ServerResponse): void {
    const connection = this.#connections.get(request.socket as Socket);
    if (!connection || connection.ending) {
      response.destroy();
      return;
    }
    connection.responses.add(response);
    const responseClosed = new Promise<void>((resolve) =>
      response.once('close', () => {
        connection.responses.delete(response);
        if ((this.#draining || connection.finishing !== undefined) && connection.responses.size === 0 && !connection.upgraded) {
          connection.reason ??= connection.finishing ?? 'shutdown';
          connection.socket.destroySoon();
        }
        resolve();
      }),
    );
    const refusal = this.#check(request);
    if (refusal) {
      this.#refuseWithResponse(connection, response, refusal.code, refusal.message, refusal.headers);
      return;
    }
    const opened = this.#open(connection);
    if (!opened) {
      this.#answerInternalError(response);
      return;
    }
    connection.queue = connection.queue.then(() => this.#serve(connection, opened.state, request, response, responseClosed));
  }

  /** HttpConnection.end: the drain of close({ graceMs }), for one connection. */
  #finish(connection: Connection<C>, reason: string): void {
    if (connection.finishing !== undefined) return;
    connection.finishing = reason;
    if (connection.responses.size === 0 && !connection.upgraded) {
      connection.reason ??= reason;
      connection.socket.destroySoon();
      return;
    }
    for (const response of connection.responses) if (!response.headersSent) response.setHeader('connection', 'close');
  }

  async #serve(
    connection: Connection<C>,
    state: C,
    request: IncomingMessage,
    response: ServerResponse,
    responseClosed: Promise<void>,
  ): Promise<void> {
    const { logger, handlers } = this.#options;
    if (response.destroyed) return;
    if ((this.#draining || connection.finishing !== undefined) && !response.headersSent) response.setHeader('connection', 'close');
    try {
      await handlers.request(state, request, response);
      if (!response.headersSent) {
        logger.error({ method: request.method }, 'http request handler returned without answering');
        this.#answerInternalError(response);
      }
    } catch (error) {
      logger.error({ err: { message: (error as Error).message }, method: request.method }, 'http request handler failed');
      if (response.headersSent) response.destroy();
      else this.#answerInternalError(response);
    }
    await responseClosed;
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { logger, handlers } = this.#options;
    const connection = this.#connections.get(socket as Socket);
    if (!connection || connection.ending) {
      socket.destroy();
      return;
    }
    const refusal = this.#check(request);
    if (refusal) {
      this.#refuseOnSocket(socket, refusal.code, refusal.message, refusal.headers);
      return;
    }
    const opened = this.#open(connection);
    if (!opened) {
      socket.destroy();
      return;
    }
    connection.upgraded = true;
    connection.queue = connection.queue.then(async () => {
      if (socket.destroyed) return;
      try {
        await handlers.upgrade(opened.state, request, socket, head);
      } catch (error) {
        logger.error({ err: { message: (error as Error).message }, method: request.method }, 'http upgrade handler failed');
        socket.destroy();
      }
    });
  }

  /** The listener's own rules, checked before any handler runs. */
  #check(request: IncomingMessage): { code: HttpRefusalCode; message: string; headers?: Record<string, string> } | undefined {
    const method = request.method ?? '';
    if (!ALLOWED_METHODS.has(method))
      return { code: 'MethodNotAllowed', message: methodMessage(method), headers: { allow: [...ALLOWED_METHODS].join(', ') } };
    const target = request.url ?? '';
    if (!target.startsWith('/')) {
      return {
        code: 'AbsoluteFormTarget',
        message:
          'the request-target must be a path starting with / (origin-form); send requests to the sidecar as to a server, not as to a proxy',
      };
    }
    if (request.httpVersion !== '1.0' && request.headers.host === undefined) {
      return { code: 'MalformedRequest', message: 'an HTTP/1.1 request needs a Host header' };
    }
    if (this.#draining) return { code: 'ShuttingDown', message: 'the sidecar is shutting down; retry on a new connection' };
    return undefined;
  }

  #open(connection: Connection<C>): { readonly state: C } | undefined {
    if (connection.opened) return connection.opened;
    try {
      connection.opened = { state: this.#options.handlers.open(connection.info) };
      return connection.opened;
    } catch (error) {
      this.#options.logger.error({ err: { message: (error as Error).message } }, 'http connection could not be opened');
      connection.ending = true;
      connection.reason ??= 'open-failed';
      return undefined;
    }
  }

  #clientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    const connection = this.#connections.get(socket as Socket);
    if (!connection) {
      socket.destroy();
      return;
    }
    // llhttp stays failed: every later chunk reports the same error again.
    if (connection.ending) return;
    connection.ending = true;
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) {
      connection.reason ??= 'client-reset';
      socket.destroy();
      return;
    }
    const refusal = classifyParserError(error, { limits: this.#options.limits, requestInFlight: connection.responses.size > 0 });
    connection.reason ??= refusal.code === 'HeadersTimeout' || refusal.code === 'RequestTimeout' ? 'timeout' : 'protocol-error';
    this.#options.logger.warn({ code: refusal.code, parserError: error.code }, 'http request refused');
    if (this.#canAnswer(connection)) endWithAnswer(socket, this.#refusal(refusal.code, refusal.message));
    else socket.destroy();
    this.#notifyRefused(connection.opened?.state, refusal.code, refusal.message);
  }

  /**
   * A raw answer fits only when it cannot be taken for the answer to another request: nothing was
   * answered yet, and the only request in flight (if any) is the one whose body failed to parse.
   */
  #canAnswer(connection: Connection<C>): boolean {
    const responses = [...connection.responses];
    if (responses.some((response) => response.headersSent)) return false;
    if (responses.length === 0) return true;
    return responses.length === 1 && responses[0]?.req !== undefined && !responses[0].req.complete;
  }

  #refuseWithResponse(
    connection: Connection<C>,
    response: ServerResponse,
    code: HttpRefusalCode,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    connection.reason ??= 'refused';
    const statusCode = REFUSAL_STATUS[code];
    const rendered = this.#render({ code, statusCode, message });
    this.#options.logger.warn({ code }, 'http request refused');
    response.writeHead(statusCode, {
      ...headers,
      connection: 'close',
      'content-type': rendered.contentType,
      'content-length': Buffer.byteLength(rendered.body),
    });
    response.end(rendered.body);
    this.#notifyRefused(connection.opened?.state, code, message);
  }

  /** For requests that come without a ServerResponse (CONNECT, Upgrade): the answer goes on the socket. */
  #refuseOnSocket(socket: Duplex, code: HttpRefusalCode, message: string, headers: Record<string, string> = {}): void {
    const connection = this.#connections.get(socket as Socket);
    if (connection) {
      connection.ending = true;
      connection.reason ??= 'refused';
    }
    this.#options.logger.warn({ code }, 'http request refused');
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    endWithAnswer(socket, refusalBytes(REFUSAL_STATUS[code], this.#render({ code, statusCode: REFUSAL_STATUS[code], message }), extra));
    this.#notifyRefused(connection?.opened?.state, code, message);
  }

  #refusal(code: HttpRefusalCode, message: string): Buffer {
    return refusalBytes(REFUSAL_STATUS[code], this.#render({ code, statusCode: REFUSAL_STATUS[code], message }));
  }

  #answerInternalError(response: ServerResponse): void {
    const rendered: RefusalBody = this.#render({
      code: 'InternalError',
      statusCode: 500,
      message: 'the sidecar failed to handle this request; its log says why',
    });
    response.writeHead(500, {
      connection: 'close',
      'content-type': rendered.contentType,
      'content-length': Buffer.byteLength(rendered.body),
    });
    response.end(rendered.body);
  }

  #notifyRefused(state: C | undefined, code: HttpRefusalCode, message: string): void {
    try {
      this.#options.handlers.refused?.(state, code, message);
    } catch (error) {
      this.#options.logger.error({ err: { message: (error as Error).message } }, 'http refusal handler failed');
    }
  }
}

function methodMessage(method: string | undefined): string {
  return `method ${method ?? '(none)'} is not accepted; the sidecar serves ${[...ALLOWED_METHODS].join(', ')}`;
}
