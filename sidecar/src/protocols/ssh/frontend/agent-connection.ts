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
 */
import type { Connection, ServerChannel, Session, TcpipRequestInfo } from 'ssh2';
import type { UpstreamLink } from '../backend/upstream-link.ts';
import { serveForward } from '../forwarding/forwarded-connection.ts';
import { serveSessionChannel } from '../session/session-channel.ts';
import { SshRecording } from '../session/ssh-recording.ts';
import type { SshSessionServices } from '../session/ssh-session-services.ts';
import { refuseChannelOpen } from './channel-open-refusal.ts';

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
  readonly #shutdown = Promise.withResolvers<void>();

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
  }

  /** No new channels, held commands withdrawn; the connection ends as soon as no channel is open (at once when none is). */
  drain(): void {
    this.#draining = true;
    this.#shutdown.resolve();
    this.#endWhenIdle();
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
    });
  }

  /** One connection forwarded by `ssh -L` or `ssh -D`, within the connection's limit. */
  #forward(accept: () => ServerChannel, reject: (() => void) | undefined, info: TcpipRequestInfo): void {
    const { limits, logger } = this.#services;
    if (this.#draining) {
      refuseChannelOpen(this.#connection, reject, 'airlock: the sidecar is shutting down');
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
    this.#upstream.close();
    this.#recording.closed(this.#draining ? 'shutdown' : 'client-disconnected');
    await record.close().catch((error: Error) => logger.error({ err: { message: error.message } }, 'recording could not be closed'));
  }
}
