/**
 * One authenticated agent connection: one recorded session, one upstream link shared by its
 * channels, at most `maxChannelsPerConnection` session channels and `maxForwardsPerConnection`
 * forwarded connections at once. Session channels are served (session/session-channel.ts);
 * `direct-tcpip` channels (`ssh -L`, `ssh -D`) are decided one by one by their destination
 * (forwarding/forwarded-connection.ts). What would open connections from the host into the pod,
 * `tcpip-forward` and `streamlocal-forward` requests (`ssh -R`), is refused and recorded, and so
 * are `direct-streamlocal` channels (a Unix socket on the host, which no destination names). A
 * refused channel is answered "administratively prohibited" with the reason, which the agent's
 * ssh prints (frontend/channel-open-refusal.ts); a refused request gets no text (SSH has none).
 *
 * A connection that logged in with a token ends when the token expires (core/session/token-expiry.ts)
 * the way a graceful shutdown ends it: no new channels, held commands withdrawn with the reason on
 * their stderr, and the connection closed once no channel is open. A command or shell still running
 * when the grace is over gets the reason on its stderr, exit status 255 (what ssh reports for a lost
 * connection), and the connection is closed.
 */
import type { Connection, ServerChannel, Session, TcpipRequestInfo } from 'ssh2';
import {
  type SessionExpiry,
  scheduleSessionExpiry,
  TOKEN_EXPIRED_CODE,
  TOKEN_EXPIRED_REASON,
  type TokenExpiry,
} from '../../../core/session/token-expiry.ts';
import type { UpstreamLink } from '../backend/upstream-link.ts';
import { serveForward } from '../forwarding/forwarded-connection.ts';
import { EXIT_STATUS } from '../session/agent-messages.ts';
import { tell } from '../session/channel-answer.ts';
import { type ConnectionEnding, tokenExpiredCutSentences } from '../session/connection-ending.ts';
import { serveSessionChannel } from '../session/session-channel.ts';
import { SshRecording } from '../session/ssh-recording.ts';
import type { SshSessionServices } from '../session/ssh-session-services.ts';
import { refuseChannelOpen } from './channel-open-refusal.ts';

/** How long the lines told to open channels at the cut may take to reach the agent before the connection closes anyway. */
const CUT_LINGER_MS = 2000;

export const FORWARDING_REFUSAL = 'forwarding from the host into the pod and to Unix sockets is not served through airlock';

export interface AgentConnectionOptions {
  readonly connection: Connection;
  readonly services: SshSessionServices;
  readonly upstream: UpstreamLink;
}

export class AgentConnection {
  readonly #connection: Connection;
  readonly #services: SshSessionServices;
  readonly #recording: SshRecording;
  readonly #upstream: UpstreamLink;
  readonly closed: Promise<void>;
  #channels = 0;
  #forwards = 0;
  #draining = false;
  /** Set when the token the agent logged in with expired: the connection is ending because of it. */
  #expired: TokenExpiry | undefined;
  #expiry: SessionExpiry | undefined;
  readonly #shutdown = Promise.withResolvers<ConnectionEnding>();
  /** The agent's exec, shell and subsystem channels still open, and whether each has a terminal. */
  readonly #agentChannels = new Map<ServerChannel, boolean>();

  constructor(options: AgentConnectionOptions) {
    this.#connection = options.connection;
    this.#services = options.services;
    this.#upstream = options.upstream;
    this.#recording = new SshRecording(options.services);
    this.closed = new Promise<void>((resolve) => this.#connection.once('close', () => resolve()));
  }

  start(): void {
    const connection = this.#connection;
    connection.on('session', (accept, reject) => this.#session(accept, reject));
    connection.on('tcpip', (accept, reject, info: TcpipRequestInfo) => this.#forward(accept, reject, info));
    connection.on('openssh.streamlocal', (_accept, reject, info: { socketPath: string }) =>
      this.#refuseForwarding(`a connection to the socket ${info.socketPath}`, (text) => refuseChannelOpen(connection, reject, text)),
    );
    connection.on('request', (_accept, reject, name: string) => {
      if (name === 'tcpip-forward' || name === 'streamlocal-forward@openssh.com') {
        this.#refuseForwarding(`remote forwarding (${name}, ssh -R)`, () => reject?.());
      } else {
        reject?.();
      }
    });
    void this.closed.then(() => this.#closed());
    this.#expiry = scheduleSessionExpiry({
      principal: this.#services.principal,
      clock: this.#services.clock,
      onExpired: (expiry) => this.#tokenExpired(expiry),
      onGraceOver: (expiry) => this.#cut(expiry),
    });
  }

  /** No new channels, held commands withdrawn; the connection ends as soon as no channel is open (at once when none is). */
  drain(): void {
    this.#stopTakingWork({ kind: 'shutdown' });
  }

  #stopTakingWork(ending: ConnectionEnding): void {
    this.#draining = true;
    // The first ending is what held commands are told.
    this.#shutdown.resolve(ending);
    this.#endWhenIdle();
  }

  /** The token expired: as drain, with the reason recorded and told. */
  #tokenExpired(expiry: TokenExpiry): void {
    const { metrics, logger } = this.#services;
    this.#expired = expiry;
    metrics.error(TOKEN_EXPIRED_CODE);
    logger.info({ expiresAt: expiry.expiresAt }, 'the agent token expired; ending the session');
    this.#recording.failed(undefined, TOKEN_EXPIRED_CODE, expiry.message);
    this.#stopTakingWork({ kind: 'tokenExpired', expiry });
  }

  /** The grace after the expiry is over: every open channel is told and closed, then the connection. */
  #cut(expiry: TokenExpiry): void {
    const told = [...this.#agentChannels].map(
      ([agent, terminal]) =>
        new Promise<void>((resolve) =>
          tell(agent, tokenExpiredCutSentences(expiry), terminal, () => {
            agent.exit(EXIT_STATUS.upstreamFailed);
            agent.end();
            resolve();
          }),
        ),
    );
    let linger: NodeJS.Timeout | undefined;
    const lingered = new Promise<void>((resolve) => {
      linger = setTimeout(resolve, CUT_LINGER_MS).unref();
    });
    void Promise.race([Promise.all(told), lingered]).then(() => {
      clearTimeout(linger);
      this.#connection.end();
    });
  }

  #endWhenIdle(): void {
    if (this.#draining && this.#channels === 0 && this.#forwards === 0) this.#connection.end();
  }

  #session(accept: () => Session, reject: () => void): void {
    const { limits, logger } = this.#services;
    if (this.#draining) {
      reject();
      return;
    }
    if (this.#channels >= limits.maxChannelsPerConnection) {
      logger.warn({ limit: 'maxChannelsPerConnection', max: limits.maxChannelsPerConnection }, 'session channel refused');
      this.#recording.failed(
        undefined,
        'LimitExceeded',
        `session channel refused: ${limits.maxChannelsPerConnection} channels are already open on this connection (maxChannelsPerConnection)`,
      );
      reject();
      return;
    }
    const session = accept() as Session | undefined;
    if (!session) return;
    this.#channels += 1;
    serveSessionChannel(session, {
      services: this.#services,
      recording: this.#recording,
      upstream: this.#upstream,
      connectionClosed: this.closed,
      shutdown: this.#shutdown.promise,
      onDone: () => {
        this.#channels -= 1;
        this.#endWhenIdle();
      },
      onAgentChannel: (agent, terminal) => {
        this.#agentChannels.set(agent, terminal);
        agent.once('close', () => this.#agentChannels.delete(agent));
      },
    });
  }

  /** One connection forwarded by `ssh -L` or `ssh -D`, within the connection's limit. */
  #forward(accept: () => ServerChannel, reject: (() => void) | undefined, info: TcpipRequestInfo): void {
    const { limits, logger } = this.#services;
    if (this.#draining) {
      refuseChannelOpen(this.#connection, reject, `airlock: ${this.#expired ? this.#expired.message : 'the sidecar is shutting down'}`);
      return;
    }
    if (this.#forwards >= limits.maxForwardsPerConnection) {
      const message = `port forwarding to ${info.destIP}:${info.destPort} refused: ${limits.maxForwardsPerConnection} forwarded connections are already open on this connection (maxForwardsPerConnection); close one or open another ssh connection`;
      logger.warn({ limit: 'maxForwardsPerConnection', max: limits.maxForwardsPerConnection }, 'port forwarding refused');
      this.#recording.failed(undefined, 'LimitExceeded', message);
      refuseChannelOpen(this.#connection, reject, `airlock: ${message}`);
      return;
    }
    this.#forwards += 1;
    const context = {
      connection: this.#connection,
      services: this.#services,
      recording: this.#recording,
      upstream: this.#upstream,
      connectionClosed: this.closed,
    };
    void serveForward({ accept, reject, info }, context)
      .catch((error: Error) => {
        logger.error({ err: { message: error.message } }, 'port forwarding failed');
        reject?.();
      })
      .finally(() => {
        this.#forwards -= 1;
        this.#endWhenIdle();
      });
  }

  #refuseForwarding(what: string, refuse: (text: string) => void): void {
    const message = `${FORWARDING_REFUSAL}: ${what} was refused`;
    this.#services.logger.info({ message }, 'forwarding refused');
    this.#recording.failed(undefined, 'ForwardingRefused', message);
    refuse(`airlock: ${message}`);
  }

  async #closed(): Promise<void> {
    const { record, logger } = this.#services;
    this.#expiry?.cancel();
    this.#upstream.close();
    this.#recording.closed(this.#expired ? TOKEN_EXPIRED_REASON : this.#draining ? 'shutdown' : 'client-disconnected');
    await record.close().catch((error: Error) => logger.error({ err: { message: error.message } }, 'recording could not be closed'));
  }
}
