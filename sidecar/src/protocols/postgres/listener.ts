/**
 * The sidecar's PostgreSQL listener for one Target: 127.0.0.1:<localPort> inside the pod. Each
 * connection goes through the agent startup, gets its own upstream connection with credentials
 * fetched just in time, and then runs as a PgSession. A failing session never affects another:
 * every error ends in a FATAL ErrorResponse to that agent and a closed socket.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { boundPort, listen } from '@airlock/runtime';
import { serialize } from 'pg-protocol';
import type { Logger } from 'pino';
import { AgentAuthError } from '../../core/agent-auth-error.ts';
import type { AgentAuthenticator, AgentPrincipal, CredentialSource, PostgresCredentials, TargetConfig } from '../../core/ports.ts';
import { connectUpstream, openTransport } from './backend/upstream-connect.ts';
import { UpstreamError } from './backend/upstream-error.ts';
import type { CancelRegistry } from './cancel-registry.ts';
import { acceptAgent } from './frontend/agent-startup.ts';
import { filterStartupParameters } from './frontend/startup-parameters.ts';
import { drainSessions } from './graceful-drain.ts';
import { closeAfterFatal } from './limits/close-after-fatal.ts';
import { ConnectionGate } from './limits/connection-gate.ts';
import { DEFAULT_MAX_UPSTREAM_CONNECTIONS, type PgLimits } from './limits/pg-limits.ts';
import { UpstreamSlots } from './limits/upstream-slots.ts';
import { fatalError, SQLSTATE } from './session/denials.ts';
import { PgSession } from './session/pg-session.ts';
import type { PgSessionServices } from './session/services.ts';
import { SHUTDOWN_FATAL } from './session/shutdown-notice.ts';
import { sessionOpenRecorded } from './session/store-unavailable.ts';
import { ProtocolError } from './wire/errors.ts';

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
  readonly #sessions = new Set<PgSession>();
  /** Set by close({ graceMs }): sessions created from now on are shut down as soon as they start. */
  #draining = false;
  readonly #gate: ConnectionGate;
  readonly #upstreamSlots: UpstreamSlots;

  private constructor(server: Server, options: PgListenerOptions) {
    this.#server = server;
    this.#options = options;
    this.#gate = new ConnectionGate(options.limits, `target ${options.target.name}`);
    this.#upstreamSlots = new UpstreamSlots(options.target.spec.postgres?.maxConnections ?? DEFAULT_MAX_UPSTREAM_CONNECTIONS);
  }

  static async start(options: PgListenerOptions): Promise<PgListener> {
    const server = createServer({ noDelay: true });
    const listener = new PgListener(server, options);
    server.on('connection', (socket) => listener.#accept(socket));
    await listen(server, options.port, options.host);
    return listener;
  }

  get port(): number {
    return boundPort(this.#server);
  }

  /**
   * Without `graceMs`, every connection is dropped at once. With it (SIGTERM): no new connections,
   * each session ends with FATAL 57P01 once what it has in flight is answered, and whatever is still
   * open after `graceMs` is told and closed (graceful-drain.ts).
   */
  async close(options: { readonly graceMs?: number } = {}): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (options.graceMs === undefined) {
      for (const socket of this.#sockets) socket.destroy();
    } else {
      this.#draining = true;
      await drainSessions({ sessions: this.#sessions, sockets: this.#sockets, graceMs: options.graceMs });
    }
    await closed;
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const admission = this.#gate.admit();
    if (!admission.ok) {
      this.#options.logger.warn({ limit: admission.reason }, 'agent connection refused');
      closeAfterFatal(socket, fatalError(SQLSTATE.tooManyConnections, admission.message));
      return;
    }
    socket.once('close', admission.ticket.release);
    if (this.#options.limits.keepAliveMs > 0) socket.setKeepAlive(true, this.#options.limits.keepAliveMs);
    void this.#run(socket, admission.ticket.startupDone).catch((error: Error) => {
      this.#options.logger.error({ err: { message: error.message } }, 'postgres session failed');
      socket.destroy();
    });
  }

  async #run(socket: Socket, startupDone: () => void): Promise<void> {
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
    } finally {
      startupDone();
    }
    if (startup.kind === 'cancel') {
      // A CancelRequest gets no answer, whether or not its key was valid (as in PostgreSQL).
      this.#options.cancels.cancel(startup.processId, startup.secretKey);
      socket.destroy();
      return;
    }
    const parameters = filterStartupParameters(startup.parameters);
    if (!parameters.ok) {
      closeAfterFatal(socket, fatalError(SQLSTATE.featureNotSupported, parameters.message));
      return;
    }
    const releaseUpstream = this.#upstreamSlots.acquire();
    if (!releaseUpstream) {
      logger.warn({ limit: 'maxUpstreamConnections', max: this.#upstreamSlots.max }, 'agent connection refused');
      closeAfterFatal(socket, fatalError(SQLSTATE.tooManyConnections, upstreamCapMessage(target.name, this.#upstreamSlots.max)));
      return;
    }
    socket.once('close', releaseUpstream);
    const sessionId = randomUUID();
    const services = this.#options.sessionServices({
      sessionId,
      principal: startup.principal,
      clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      parameters: startup.parameters,
    });
    // Recording Block means block from the first byte: nothing goes upstream before session.open is stored.
    if (!(await sessionOpenRecorded(socket, services))) return;
    const endpoint = target.spec.postgres;
    if (!endpoint) throw new Error(`Target ${target.name} has no postgres endpoint`);
    let upstream: Awaited<ReturnType<typeof connectUpstream>>;
    try {
      const credentials = await this.#credentials(startup.principal);
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
      closeAfterFatal(socket, fatalError(upstreamError.sqlState, `cannot reach target ${target.name}: ${upstreamError.message}`));
      await services.record.close().catch(() => undefined);
      return;
    }
    if (limits.keepAliveMs > 0) upstream.socket.setKeepAlive(true, limits.keepAliveMs);
    const session = new PgSession(socket, startup.frames.decoder, upstream, services, limits);
    session.sendUpstreamCancel = async (key) => {
      const credentials = await this.#credentials(startup.principal);
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
    this.#sessions.add(session);
    void session.closed.then(() => this.#sessions.delete(session));
    if (this.#draining) session.shutdown(SHUTDOWN_FATAL);
  }

  /** Fails closed: credentials of another type are never offered to a PostgreSQL server. `principal`: the session's. */
  async #credentials(principal: AgentPrincipal): Promise<PostgresCredentials> {
    const { target } = this.#options;
    const credentials = await this.#options.credentials.forTarget(target, undefined, principal);
    if (credentials.type === 'postgres') return credentials;
    throw new Error(`the credentials for target ${target.name} are not postgres credentials`);
  }

  #refuse(socket: Socket, error: Error): void {
    if (error instanceof ProtocolError) {
      closeAfterFatal(socket, fatalError(SQLSTATE.protocolViolation, `protocol violation: ${error.message}`));
    } else if (error instanceof AgentAuthError) {
      closeAfterFatal(socket, fatalError(SQLSTATE.invalidAuthorization, error.message));
    } else if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      closeAfterFatal(
        socket,
        fatalError(
          SQLSTATE.protocolViolation,
          `the startup did not complete within ${this.#options.limits.startupTimeoutMs} ms (limits.startupTimeoutMs)`,
        ),
      );
    } else {
      socket.destroy();
    }
  }
}

function upstreamCapMessage(target: string, max: number): string {
  return `too many connections to target ${target}: this sidecar already holds ${max} upstream connections, the cap (Target spec.postgres.maxConnections); close idle sessions or raise the cap (keep it below the server's max_connections)`;
}
