/**
 * Login certificates for ssh Targets whose Secret holds a certificateAuthorityKey: the broker reads
 * the authority key from the Secret for each request, checks what the Secret and the request hold,
 * and signs a certificate for the sidecar's key with @airlock/contracts/ssh-certificates (which
 * decides what a login certificate permits). The authority key is never in an answer or a message.
 */
import type { KeyObject } from 'node:crypto';
import {
  certificateTtlSeconds,
  isCertificatePrincipal,
  issueLoginCertificate,
  type LoginCertificate,
  readSshPrivateKey,
  SshKeyError,
} from '@airlock/contracts/ssh-certificates';
import type { Target } from '@airlock/crds';
import { BrokerHttpError } from './http-io.ts';
import { privateKeyProblem } from './private-key-block.ts';

/** What the broker needs to sign a login certificate: the key and session the sidecar sent, who asks, and when. */
export interface SshLoginRequest {
  /** From the request body: the sidecar's `ssh-ed25519 AAAA...` key for this connection. */
  readonly publicKey?: unknown;
  readonly sessionId?: unknown;
  /** As authenticated, never as the sidecar says. */
  readonly namespace: string;
  readonly identity: string;
  readonly pod: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Told about every certificate signed, for the broker's log (sshd logs the same key id and serial). */
  readonly onIssued?: (issued: LoginCertificate) => void;
}

/** The Secret's certificate authority key, or why it cannot sign (its shape first, then what node:crypto makes of it). */
function authorityKey(text: string, where: string): KeyObject {
  const refuse = (problem: string) =>
    new BrokerHttpError(
      'CredentialsUnavailable',
      `key certificateAuthorityKey of ${where} is not a usable certificate authority key: ${problem}`,
    );
  const shape = privateKeyProblem(text);
  if (shape !== undefined) throw refuse(shape);
  try {
    return readSshPrivateKey(text);
  } catch (error) {
    if (error instanceof SshKeyError) throw refuse(error.message);
    throw error;
  }
}

/**
 * The certificate line for the sidecar's key. The Secret's values are checked first (503: fix the
 * Secret); a request without a usable key or session is the sidecar's mistake (400 Invalid).
 */
export function signLogin(
  target: Target,
  where: string,
  username: string,
  authorityText: string,
  login: SshLoginRequest | undefined,
): string {
  const authority = authorityKey(authorityText, where);
  if (!isCertificatePrincipal(username)) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `key username of ${where} cannot be a certificate principal (printable, no spaces or commas): fix it, or log in with privateKey or password`,
    );
  }
  const name = target.metadata.name ?? '';
  if (typeof login?.publicKey !== 'string' || typeof login.sessionId !== 'string') {
    throw new BrokerHttpError(
      'Invalid',
      `Target ${name} logs in with certificates: send publicKey (the ssh-ed25519 public key of a key pair made for this connection) and sessionId with the request`,
    );
  }
  let ttlSeconds: number;
  try {
    ttlSeconds = certificateTtlSeconds(target.spec);
  } catch (error) {
    throw new BrokerHttpError('CredentialsUnavailable', `Target ${name}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const issued = issueLoginCertificate(authority, {
      publicKey: login.publicKey,
      username,
      keyId: { namespace: login.namespace, identity: login.identity, pod: login.pod, session: login.sessionId },
      ttlSeconds,
      now: login.now,
    });
    login.onIssued?.(issued);
    return issued.certificate;
  } catch (error) {
    // The Secret's values were checked above: what is left to refuse is the request's key or session id.
    if (!(error instanceof SshKeyError)) throw error;
    throw new BrokerHttpError('Invalid', `cannot sign a login certificate for Target ${name}: ${error.message}`, { cause: error });
  }
}
