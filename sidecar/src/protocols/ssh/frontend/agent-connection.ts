/**
 * One authenticated agent connection: one recorded session, one upstream link shared by its
 * channels, at most `maxChannelsPerConnection` session channels at once. Session channels are
 * served (session/session-channel.ts); everything that would carry other traffic through the
 * sidecar is refused and recorded: `direct-tcpip` channels (`ssh -L`, `ssh -D`), `tcpip-forward`
 * and streamlocal requests (`ssh -R`), `direct-streamlocal` channels. ssh2 answers a refused
 * channel with "connect failed", which the agent's client prints; the record and the log say why.
 */
import type { Connection, Session } from 'ssh2';
import type { UpstreamLink } from '../backend/upstream-link.ts';
import { serveSessionChannel } from '../session/session-channel.ts';
import { SshRecording } from '../session/ssh-recording.ts';
import type { SshSessionServices } from '../session/ssh-session-services.ts';

export const FORWARDING_REFUSAL = 'port forwarding is not served through airlock';

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
    connection.on('tcpip', (_accept, reject, info: { destIP: string; destPort: number }) =>
      this.#refuseForwarding(`a connection to ${info.destIP}:${info.destPort} (ssh -L or -D)`, reject),
    );
    connection.on('openssh.streamlocal', (_accept, reject, info: { socketPath: string }) =>
      this.#refuseForwarding(`a connection to the socket ${info.socketPath}`, reject),
    );
    connection.on('request', (_accept, reject, name: string) => {
      if (name === 'tcpip-forward' || name === 'streamlocal-forward@openssh.com') {
        this.#refuseForwarding(`remote forwarding (${name}, ssh -R)`, reject);
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
    if (this.#channels === 0) this.#connection.end();
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
        if (this.#draining && this.#channels === 0) this.#connection.end();
      },
    });
  }

  #refuseForwarding(what: string, reject: (() => void) | undefined): void {
    const message = `${FORWARDING_REFUSAL}: ${what} was refused`;
    this.#services.logger.info({ message }, 'forwarding refused');
    this.#recording.failed(undefined, 'ForwardingRefused', message);
    reject?.();
  }

  async #closed(): Promise<void> {
    const { record, logger } = this.#services;
    this.#upstream.close();
    this.#recording.closed(this.#draining ? 'shutdown' : 'client-disconnected');
    await record.close().catch((error: Error) => logger.error({ err: { message: error.message } }, 'recording could not be closed'));
  }
}
