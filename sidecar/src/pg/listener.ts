/**
 * The sidecar's PostgreSQL listener for one Target: 127.0.0.1:<localPort> inside the pod. Each
 * connection goes through the agent startup, gets its own upstream connection with credentials
 * fetched just in time, and then runs as a PgSession. A failing session never affects another:
 * every error ends in a FATAL ErrorResponse to that agent and a closed socket.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { serialize } from 'pg-protocol';
import type { Logger } from 'pino';
import type { AgentAuthenticator, AgentPrincipal, CredentialSource, TargetConfig } from '../ports.ts';
import { connectUpstream, openTransport } from './backend/upstream-connect.ts';
import { UpstreamError } from './backend/upstream-error.ts';
import type { CancelRegistry } from './cancel-registry.ts';
import { AgentAuthError, acceptAgent } from './frontend/agent-startup.ts';
import { filterStartupParameters } from './frontend/startup-parameters.ts';
import { ProtocolError } from './protocol/errors.ts';
import { fatalError, SQLSTATE } from './session/denials.ts';
import { PgSession } from './session/pg-session.ts';
import type { PgSessionServices } from './session/services.ts';

export interface PgLimits {
  readonly maxFrameBytes: number;
  readonly maxStatementBytes: number;
  readonly connectTimeoutMs: number;
  readonly startupTimeoutMs: number;
}

/** The limits when settings do not say otherwise (the settings schema's defaults). */
export const DEFAULT_PG_LIMITS: PgLimits = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxStatementBytes: 1024 * 1024,
  connectTimeoutMs: 10_000,
  startupTimeoutMs: 30_000,
};

export interface PgListenerOptions {
  readonly target: TargetConfig;
  readonly host: string;
  /** 0 picks a free port (tests); the Target's localPort otherwise. */
  readonly port: number;
  readonly authenticator: AgentAuthenticator;
  readonly credentials: CredentialSource;
  readonly cancels: CancelRegistry;
  readonly limits: PgLimits;
  readonly logger: Logger;
  /** Builds what one session needs (policies, masking, recorder, ...) for the authenticated agent. */
  readonly sessionServices: (input: {
    readonly sessionId: string;
    readonly principal: AgentPrincipal;
    readonly clientAddress: string;
    readonly parameters: ReadonlyMap<string, string>;
  }) => PgSessionServices;
  readonly onSessionCount?: (delta: 1 | -1) => void;
}

export class PgListener {
  readonly #server: Server;
  readonly #options: PgListenerOptions;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, options: PgListenerOptions) {
    this.#server = server;
    this.#options = options;
  }

  static async start(options: PgListenerOptions): Promise<PgListener> {
    const server = createServer({ noDelay: true });
    const listener = new PgListener(server, options);
    server.on('connection', (socket) => listener.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return listener;
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    void this.#run(socket).catch((error: Error) => {
      this.#options.logger.error({ err: { message: error.message } }, 'postgres session failed');
      socket.destroy();
    });
  }

  async #run(socket: Socket): Promise<void> {
    const { target, limits, logger } = this.#options;
    const signal = AbortSignal.timeout(limits.startupTimeoutMs);
    let startup: Awaited<ReturnType<typeof acceptAgent>>;
    try {
      startup = await acceptAgent(socket, {
        target,
        authenticator: this.#options.authenticator,
        maxFrameBytes: limits.maxFrameBytes,
        signal,
      });
    } catch (error) {
      return this.#refuse(socket, error as Error);
    }
    if (startup.kind === 'cancel') {
      // A CancelRequest gets no answer, whether or not its key was valid (as in PostgreSQL).
      this.#options.cancels.cancel(startup.processId, startup.secretKey);
      socket.destroy();
      return;
    }
    const parameters = filterStartupParameters(startup.parameters);
    if (!parameters.ok) {
      socket.end(fatalError(SQLSTATE.featureNotSupported, parameters.message));
      return;
    }
    const sessionId = randomUUID();
    const services = this.#options.sessionServices({
      sessionId,
      principal: startup.principal,
      clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      parameters: startup.parameters,
    });
    const endpoint = target.spec.postgres;
    if (!endpoint) throw new Error(`Target ${target.name} has no postgres endpoint`);
    let upstream: Awaited<ReturnType<typeof connectUpstream>>;
    try {
      const credentials = await this.#options.credentials.postgres(target);
      upstream = await connectUpstream({
        endpoint,
        credentials,
        parameters: parameters.forward,
        connectTimeoutMs: limits.connectTimeoutMs,
        maxFrameBytes: limits.maxFrameBytes,
      });
    } catch (error) {
      const upstreamError =
        error instanceof UpstreamError
          ? error
          : new UpstreamError('UpstreamUnreachable', `could not get credentials for target ${target.name}: ${(error as Error).message}`);
      services.metrics.error(upstreamError.code);
      services.record.record({ type: 'error', code: upstreamError.code, message: upstreamError.message });
      services.record.record({ type: 'session.close', reason: upstreamError.message, bytesIn: 0, bytesOut: 0, statements: 0 });
      logger.warn({ target: target.name, code: upstreamError.code, message: upstreamError.message }, 'upstream connection failed');
      socket.end(fatalError(upstreamError.sqlState, `cannot reach target ${target.name}: ${upstreamError.message}`));
      await services.record.close().catch(() => undefined);
      return;
    }
    const session = new PgSession(socket, startup.frames.decoder, upstream, services);
    session.sendUpstreamCancel = async (key) => {
      const credentials = await this.#options.credentials.postgres(target);
      const transport = await openTransport(endpoint, credentials, limits.connectTimeoutMs);
      transport.end(serialize.cancel(key.processId, key.secretKey.readInt32BE(0)));
    };
    this.#options.onSessionCount?.(1);
    void session.closed.then(async () => {
      this.#options.onSessionCount?.(-1);
      await services.record
        .close()
        .catch((error: Error) => logger.error({ err: { message: error.message }, sessionId }, 'recording could not be closed'));
    });
    session.start(startup.frames.detach(), upstream.pending);
  }

  #refuse(socket: Socket, error: Error): void {
    if (error instanceof ProtocolError) {
      socket.end(fatalError(SQLSTATE.protocolViolation, `protocol violation: ${error.message}`));
    } else if (error instanceof AgentAuthError) {
      socket.end(fatalError(SQLSTATE.invalidAuthorization, error.message));
    } else if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      socket.end(fatalError(SQLSTATE.protocolViolation, 'the startup did not complete in time'));
    } else {
      socket.destroy();
    }
  }
}
