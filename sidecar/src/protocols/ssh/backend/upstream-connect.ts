/**
 * Opens the sidecar's own SSH connection to a Target's host: ssh2's client, logged in with the
 * Target's credentials (a private key, a password or a certificate; nothing else is tried), the
 * host key checked against the Target's keys before anything is sent (host-keys.ts), bounded by a
 * connect timeout. Every failure is an SshUpstreamError that says what to fix; none carries a
 * credential.
 */
import type { SshTargetCredentials } from '@airlock/contracts/targets';
import ssh2, { type Algorithms, type AuthMethod, type Client } from 'ssh2';
import { type CertificateLogin, certificateAuth } from './certificate-auth.ts';
import { hostKeyAlgorithms, type TrustedHostKey, verifyHostKey } from './host-keys.ts';
import { SshUpstreamError } from './upstream-error.ts';

export type SshLogin = Omit<SshTargetCredentials, 'type' | 'certificate'> & {
  /** A certificate the broker signed just now for a key pair the sidecar made for this one connection. */
  readonly certificate?: Omit<CertificateLogin, 'username'> & {
    /** For messages: the key id and the end of the validity, as sshd would log them. */
    readonly keyId: string;
    readonly validBefore: Date;
  };
};

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

/**
 * The one login method the credentials hold: a certificate, a key, or the password. A certificate
 * also needs its step on the client once connect() made its protocol (certificate-auth.ts).
 */
function loginMethod(login: SshLogin): { readonly method: AuthMethod; readonly install?: (client: Client) => void } {
  if (login.certificate) {
    try {
      return certificateAuth({ username: login.username, ...login.certificate });
    } catch (error) {
      throw new SshUpstreamError('CredentialsUnavailable', `cannot log in with the certificate: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return { method: keyOrPassword(login) };
}

function keyOrPassword(login: SshLogin): AuthMethod {
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
  let auth: ReturnType<typeof loginMethod>;
  try {
    auth = loginMethod(login);
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
      reject(upstreamError(error, where, endpoint, refusedKey, login));
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
      authHandler: [auth.method],
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
    // ssh2 leaves Nagle on for the socket it makes: a channel open and its exec request, each a
    // small packet, then wait for the host's delayed ACK (about 40 ms per command, measured by
    // bench/src/ssh-bench.ts). The agent side's sockets are created with noDelay (listener.ts).
    client.setNoDelay(true);
    try {
      auth.install?.(client);
    } catch (error) {
      fail(Object.assign(new Error((error as Error).message, { cause: error }), { level: 'client-certificate' }));
    }
  });
}

function upstreamError(
  error: Error & { level?: string; code?: unknown },
  where: string,
  endpoint: UpstreamEndpoint,
  refusedKey: string | undefined,
  login: SshLogin,
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
      if (login.certificate) {
        const { keyId, validBefore } = login.certificate;
        return new SshUpstreamError(
          'UpstreamAuthFailed',
          `${where} did not accept the certificate for ${login.username} (key id ${keyId}, valid until ${validBefore.toISOString()}) signed by the certificate authority of Target ${endpoint.target}: check that the host trusts that authority (sshd TrustedUserCAKeys), lets ${login.username} log in by it, and that its clock is right`,
          { cause: error },
        );
      }
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
    case 'client-certificate':
      return new SshUpstreamError('CredentialsUnavailable', `cannot log in to ${where} with the certificate: ${error.message}`, {
        cause: error,
      });
    default:
      return new SshUpstreamError('UpstreamUnreachable', `the SSH handshake with ${where} failed: ${error.message}`, { cause: error });
  }
}
