/**
 * Opens the sidecar's own SSH connection to a Target's host: ssh2's client, logged in with the
 * Target's credentials (a private key or a password, nothing else is tried), the host key checked
 * against the Target's keys before anything is sent (host-keys.ts), bounded by a connect timeout.
 * Every failure is an SshUpstreamError that says what to fix; none carries a credential.
 */
import type { SshTargetCredentials } from '@airlock/contracts/targets';
import ssh2, { type Algorithms, type AuthMethod, type Client } from 'ssh2';
import { hostKeyAlgorithms, type TrustedHostKey, verifyHostKey } from './host-keys.ts';
import { SshUpstreamError } from './upstream-error.ts';

export type SshLogin = Omit<SshTargetCredentials, 'type'>;

export interface UpstreamEndpoint {
  /** The Target's name, for messages. */
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly hostKeys: readonly TrustedHostKey[];
}

export interface UpstreamConnectOptions {
  readonly connectTimeoutMs: number;
  /** SSH-level keepalive; 0 turns it off. */
  readonly keepAliveMs: number;
}

/** The one login method the credentials hold: a key when there is one, else the password. */
function loginMethod(login: SshLogin): AuthMethod {
  if (login.privateKey) {
    const parsed = ssh2.utils.parseKey(login.privateKey);
    if (parsed instanceof Error) {
      throw new SshUpstreamError(
        'CredentialsUnavailable',
        `the privateKey in the Target's credentials is not a key ssh2 can read (${parsed.message}); store an unencrypted OpenSSH or PEM private key`,
      );
    }
    return { type: 'publickey', username: login.username, key: login.privateKey } as AuthMethod;
  }
  if (login.password !== undefined) return { type: 'password', username: login.username, password: login.password } as AuthMethod;
  throw new SshUpstreamError('CredentialsUnavailable', "the Target's credentials hold neither a privateKey nor a password");
}

export function connectUpstream(endpoint: UpstreamEndpoint, login: SshLogin, options: UpstreamConnectOptions): Promise<Client> {
  const { host, port, hostKeys } = endpoint;
  const where = `${host}:${port}`;
  if (hostKeys.length === 0) {
    return Promise.reject(
      new SshUpstreamError(
        'TargetMisconfigured',
        `Target ${endpoint.target} lists no usable host key (spec.ssh.hostKeys), so ${where} cannot be verified`,
      ),
    );
  }
  let method: AuthMethod;
  try {
    method = loginMethod(login);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise<Client>((resolve, reject) => {
    const client = new ssh2.Client();
    let refusedKey: string | undefined;
    const fail = (error: Error & { level?: string; code?: unknown }): void => {
      client.removeAllListeners('ready');
      client.on('error', () => undefined);
      client.end();
      reject(upstreamError(error, where, endpoint, refusedKey));
    };
    client.once('ready', () => {
      client.off('error', fail);
      resolve(client);
    });
    client.once('error', fail);
    client.connect({
      host,
      port,
      username: login.username,
      authHandler: [method],
      algorithms: { serverHostKey: hostKeyAlgorithms(hostKeys) as NonNullable<Algorithms['serverHostKey']> },
      hostVerifier: (key: Buffer) => {
        const verdict = verifyHostKey(hostKeys, key);
        if (!verdict.trusted) refusedKey = `${verdict.presented.type} ${verdict.presented.fingerprint}`;
        return verdict.trusted;
      },
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: options.keepAliveMs,
      keepaliveCountMax: 3,
    });
  });
}

function upstreamError(
  error: Error & { level?: string; code?: unknown },
  where: string,
  endpoint: UpstreamEndpoint,
  refusedKey: string | undefined,
): SshUpstreamError {
  if (refusedKey !== undefined) {
    const trusted = endpoint.hostKeys.map((key) => `${key.type} ${key.fingerprint}`).join(', ');
    return new SshUpstreamError(
      'HostKeyMismatch',
      `${where} presented the host key ${refusedKey}, which is not one of Target ${endpoint.target}'s spec.ssh.hostKeys (${trusted}); nothing was sent to it. If the host's key changed, update the Target`,
      { cause: error },
    );
  }
  switch (error.level) {
    case 'client-authentication':
      return new SshUpstreamError(
        'UpstreamAuthFailed',
        `${where} did not accept the Target's credentials: check the user and key or password in its credentials Secret`,
        { cause: error },
      );
    case 'client-timeout':
      return new SshUpstreamError('UpstreamUnreachable', `${where} did not complete the SSH handshake in time (${error.message})`, {
        cause: error,
      });
    case 'client-socket':
    case 'client-dns':
      return new SshUpstreamError('UpstreamUnreachable', `cannot connect to ${where}: ${error.message}`, { cause: error });
    default:
      return new SshUpstreamError('UpstreamUnreachable', `the SSH handshake with ${where} failed: ${error.message}`, { cause: error });
  }
}
