/**
 * One agent connection's way to the host: a single upstream SSH connection, opened when the first
 * command is allowed (a denied command never contacts the host) and shared by the connection's
 * channels, as OpenSSH multiplexes one connection. Credentials are fetched just in time for each
 * connect and not kept. When the upstream connection ends, the next command opens a new one.
 */
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { AgentPrincipal, CredentialSource, TargetConfig } from '../../../core/ports.ts';
import { certificateLogin, loginKeyPair } from './upstream-certificate.ts';
import { connectUpstream, type SshLogin, type UpstreamConnectOptions, type UpstreamEndpoint } from './upstream-connect.ts';
import { SshUpstreamError } from './upstream-error.ts';

/** How the host said a command ended; empty until it says. */
export interface HostExit {
  readonly code?: number;
  /** Without the SIG prefix: TERM, KILL. */
  readonly signal?: string;
  readonly coreDumped?: boolean;
  readonly description?: string;
}

/** A channel the host opened for a request, and what it reported about the end of it. */
export interface UpstreamChannel {
  readonly channel: ClientChannel;
  /**
   * Read once the channel closed. Recorded from ssh2's 'exit' event as soon as the channel exists:
   * a short command's exit status can arrive in the same read as the host's answer to the request,
   * before whoever awaits the channel could listen.
   */
  exit(): HostExit;
}

export interface UpstreamLinkOptions {
  readonly target: TargetConfig;
  /** The agent connection's session: a login certificate's key id names it, so sshd's log points at the recording. */
  readonly sessionId: string;
  /** Who the agent is: credentials are asked for on its behalf (an agent's own token goes along). */
  readonly principal: AgentPrincipal;
  readonly endpoint: UpstreamEndpoint;
  readonly credentials: CredentialSource;
  readonly connect: UpstreamConnectOptions;
}

export class UpstreamLink {
  readonly #options: UpstreamLinkOptions;
  #client: Promise<Client> | undefined;
  #closed = false;
  /** The user the last connect logged in as: the reviewer's summary names it. */
  #username: string | undefined;

  constructor(options: UpstreamLinkOptions) {
    this.#options = options;
  }

  get username(): string | undefined {
    return this.#username;
  }

  /**
   * Fails closed: credentials of another type are never offered to an SSH server. Every call makes
   * a new ed25519 key pair, in memory only, and sends its public key along: a Target with a
   * certificate authority answers with a certificate for it (upstream-certificate.ts), so each
   * connect logs in with a certificate signed for it, never with one kept from before.
   */
  async login(): Promise<SshLogin> {
    const { target, credentials, sessionId, principal } = this.#options;
    const key = loginKeyPair();
    let answer: Awaited<ReturnType<CredentialSource['forTarget']>>;
    try {
      answer = await credentials.forTarget(target, { publicKey: key.publicKey, sessionId }, principal);
    } catch (error) {
      throw new SshUpstreamError(
        'CredentialsUnavailable',
        `could not get the credentials of target ${target.name}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (answer.type !== 'ssh') {
      throw new SshUpstreamError(
        'CredentialsUnavailable',
        `the credentials of target ${target.name} are ${answer.type} credentials, not ssh`,
      );
    }
    const { type: _type, certificate, ...login } = answer;
    this.#username = login.username;
    return certificate === undefined ? login : { ...login, certificate: certificateLogin(target.name, certificate, key, login.username) };
  }

  exec(command: string, pty: PseudoTtyOptions | undefined): Promise<UpstreamChannel> {
    return this.#open((client, done) => client.exec(command, pty ? { pty } : {}, done), 'exec');
  }

  /**
   * An interactive session: with the agent's terminal when it asked for one, otherwise none (ssh2
   * would request a default vt100 terminal unless told `false`, and a script piped to `ssh -T`
   * must not get a terminal the agent did not ask for).
   */
  shell(pty: PseudoTtyOptions | undefined): Promise<UpstreamChannel> {
    return this.#open((client, done) => client.shell(pty ?? false, done), 'shell');
  }

  subsystem(name: string): Promise<UpstreamChannel> {
    return this.#open((client, done) => client.subsys(name, done), `subsystem ${name}`);
  }

  /**
   * A direct-tcpip channel: the host connects to `host`:`port` as the agent named it (the host
   * resolves a name, not the sidecar). The originator is this side's loopback: the agent's own
   * address means nothing to the host.
   */
  forwardOut(host: string, port: number): Promise<UpstreamChannel> {
    return this.#open((client, done) => client.forwardOut('127.0.0.1', 0, host, port, done), `port-forward ${host}:${port}`);
  }

  /** Ends the upstream connection; channels still open on it close. */
  close(): void {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    void client?.then(
      (c) => c.end(),
      () => undefined,
    );
  }

  async #open(
    request: (client: Client, done: (error: Error | undefined, channel: ClientChannel) => void) => void,
    what: string,
  ): Promise<UpstreamChannel> {
    const client = await this.#connected();
    return new Promise<UpstreamChannel>((resolve, reject) => {
      try {
        request(client, (error, channel) => {
          if (error) {
            reject(new SshUpstreamError('UpstreamRefused', `the host refused the ${what} request: ${error.message}`, { cause: error }));
          } else {
            resolve(withExit(channel));
          }
        });
      } catch (error) {
        // ssh2 throws when the connection ended between the connect and this request.
        reject(new SshUpstreamError('UpstreamLost', `the connection to the host ended: ${(error as Error).message}`, { cause: error }));
      }
    });
  }

  #connected(): Promise<Client> {
    if (this.#closed) return Promise.reject(new SshUpstreamError('UpstreamLost', 'the agent connection is closing'));
    if (this.#client) return this.#client;
    const { endpoint, connect } = this.#options;
    const opening = this.login().then((login) => connectUpstream(endpoint, login, connect));
    this.#client = opening;
    opening.then(
      (client) => {
        client.on('error', () => undefined);
        client.once('close', () => {
          if (this.#client === opening) this.#client = undefined;
        });
        if (this.#closed) client.end();
      },
      () => {
        // A failed connect is not cached: the next command tries again.
        if (this.#client === opening) this.#client = undefined;
      },
    );
    return opening;
  }
}

function withExit(channel: ClientChannel): UpstreamChannel {
  let exit: HostExit = {};
  channel.on('exit', (code: number | null, signal?: string, dumped?: boolean, description?: string) => {
    if (typeof code === 'number') exit = { code };
    else if (typeof signal === 'string')
      exit = { signal: signal.replace(/^SIG/, ''), coreDumped: dumped === true, description: description ?? '' };
  });
  return { channel, exit: () => exit };
}
