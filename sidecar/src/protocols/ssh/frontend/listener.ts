/**
 * The sidecar's SSH listener for one Target: 127.0.0.1:<localPort> inside the pod, an ssh2 server
 * with the sidecar's host key. The TCP side is the listener's own, so that limits apply before ssh2
 * sees a byte: at most `maxConnections` connections (more are closed at once), and a handshake
 * (key exchange and login) that has not finished within `handshakeTimeoutMs` is cut. Each
 * authenticated connection becomes an AgentConnection with its own recorded session and upstream
 * link. A failing connection never affects another.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { boundPort, listen } from '@airlock/runtime';
import type { Logger } from 'pino';
import ssh2, { type ClientInfo, type Connection } from 'ssh2';
import type { AgentAuthenticator, CredentialSource, TargetConfig } from '../../../core/ports.ts';
import type { TargetListener } from '../../../core/protocol.ts';
import type { UpstreamEndpoint } from '../backend/upstream-connect.ts';
import { UpstreamLink } from '../backend/upstream-link.ts';
import type { SshLimits } from '../limits/ssh-limits.ts';
import type { SshSessionFactory } from '../session/ssh-session-services.ts';
import { authenticateAgent } from './agent-auth.ts';
import { AGENT_CIPHERS } from './agent-ciphers.ts';
import { AgentConnection } from './agent-connection.ts';
import type { ListenerHostKey } from './listener-host-key.ts';

export interface SshListenerOptions {
  readonly target: TargetConfig;
  readonly endpoint: UpstreamEndpoint;
  readonly host: string;
  /** 0 picks a free port (tests); the Target's localPort otherwise. */
  readonly port: number;
  readonly hostKey: ListenerHostKey;
  readonly authenticator: AgentAuthenticator;
  readonly credentials: CredentialSource;
  readonly limits: SshLimits;
  readonly logger: Logger;
  readonly sessions: SshSessionFactory;
  readonly onSessionCount?: (delta: 1 | -1) => void;
}

interface Pending {
  readonly socket: Socket;
  readonly timer: NodeJS.Timeout;
}

export class SshListener implements TargetListener {
  readonly #server: Server;
  readonly #ssh: ssh2.Server;
  readonly #options: SshListenerOptions;
  readonly #sockets = new Set<Socket>();
  /** Connections still in their handshake, by the agent's address. */
  readonly #handshakes = new Map<string, Pending>();
  readonly #connections = new Set<AgentConnection>();

  private constructor(options: SshListenerOptions) {
    this.#options = options;
    this.#ssh = new ssh2.Server(
      { hostKeys: [options.hostKey.privateKey], ident: 'airlock', algorithms: { cipher: AGENT_CIPHERS } },
      (connection, info) => this.#accept(connection, info),
    );
    this.#server = createServer({ noDelay: true }, (socket) => this.#connect(socket));
  }

  static async start(options: SshListenerOptions): Promise<SshListener> {
    const listener = new SshListener(options);
    const server = listener.#server;
    await listen(server, options.port, options.host);
    return listener;
  }

  get port(): number {
    return boundPort(this.#server);
  }

  /**
   * Without `graceMs`, every connection is dropped at once. With it: no new connections or
   * channels, each connection ends once its running commands have, and whatever is still open
   * after `graceMs` is dropped.
   */
  async close(options: { readonly graceMs?: number } = {}): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (options.graceMs !== undefined) {
      for (const pending of this.#handshakes.values()) pending.socket.destroy();
      for (const connection of this.#connections) connection.drain();
      const ended = Promise.all([...this.#connections].map((connection) => connection.closed));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs)))]);
      clearTimeout(timer);
    }
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #connect(socket: Socket): void {
    const { limits, logger } = this.#options;
    socket.on('error', () => undefined);
    if (this.#sockets.size >= limits.maxConnections) {
      logger.warn({ limit: 'maxConnections', max: limits.maxConnections }, 'agent connection refused');
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const timer = setTimeout(() => {
      logger.warn({ limit: 'handshakeTimeoutMs', ms: limits.handshakeTimeoutMs }, 'agent handshake timed out');
      socket.destroy();
    }, limits.handshakeTimeoutMs);
    this.#handshakes.set(key, { socket, timer });
    socket.once('close', () => {
      clearTimeout(timer);
      this.#handshakes.delete(key);
      this.#sockets.delete(socket);
    });
    this.#ssh.injectSocket(socket);
  }

  #accept(connection: Connection, info: ClientInfo): void {
    const { target, logger } = this.#options;
    const key = `${info.ip}:${info.port}`;
    connection.on('error', (error: Error) => logger.debug({ message: error.message }, 'agent connection error'));
    authenticateAgent(connection, { target, authenticator: this.#options.authenticator, logger }, (login) => {
      const pending = this.#handshakes.get(key);
      if (pending) {
        clearTimeout(pending.timer);
        this.#handshakes.delete(key);
      }
      let services: ReturnType<SshSessionFactory>;
      const sessionId = randomUUID();
      try {
        services = this.#options.sessions({
          sessionId,
          principal: login.principal,
          clientAddress: key,
          agentUser: login.user,
        });
      } catch (error) {
        // The config cannot serve this agent (a policy's masking rules do not compile): no session, nothing upstream.
        logger.error({ err: { message: (error as Error).message } }, 'agent session could not be opened');
        connection.end();
        return;
      }
      const agent = new AgentConnection({
        connection,
        services,
        upstream: new UpstreamLink({
          target,
          sessionId,
          principal: login.principal,
          endpoint: this.#options.endpoint,
          credentials: this.#options.credentials,
          connect: { connectTimeoutMs: this.#options.limits.connectTimeoutMs, keepAliveMs: this.#options.limits.keepAliveMs },
        }),
      });
      this.#connections.add(agent);
      this.#options.onSessionCount?.(1);
      void agent.closed.then(() => {
        this.#connections.delete(agent);
        this.#options.onSessionCount?.(-1);
      });
      agent.start();
    });
  }
}
