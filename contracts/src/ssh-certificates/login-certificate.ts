/**
 * The certificate the broker signs for one upstream SSH login, and what the sidecar checks before
 * it presents one. What it permits is decided here, once, for both ends:
 *
 * - exactly one principal, the Target's username: the certificate logs in as that user and no other;
 * - valid from 30 seconds ago (the host's clock may be behind the operator's) until the Target's
 *   spec.ssh.certificateTTL from now (5m by default, at most 1h). sshd checks the window at login
 *   only, so the TTL is how long a leaked certificate could open new connections, not a session limit;
 * - no critical options: the sidecar decides every command, a force-command would only fight it,
 *   and a source-address would have to guess the pod's address as the host sees it (NAT);
 * - two extensions: permit-pty (the sidecar relays terminals it allowed) and permit-port-forwarding
 *   (the sidecar opens the local and dynamic forwardings a rule allows, each decided by its
 *   destination; it never asks the host for a remote forwarding). No agent or X11 forwarding and no
 *   ~/.ssh/rc: the sidecar refuses those to the agent, and the host refuses them to the
 *   certificate as well;
 * - a key id that sshd logs with every login: `airlock:<namespace>/<identity>/<pod>/<session>`,
 *   the same session id as the sidecar's recording, and a random serial the broker logs too.
 */

import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { TargetSpec } from '@airlock/crds';
import { durationSeconds } from '../approval/duration.ts';
import { SshKeyError } from './errors.ts';
import { ed25519PublicKey, sshFingerprint, sshPublicKeyBlob } from './ssh-keys.ts';
import { certificateBlob, certificateLine, parseUserCertificate, signUserCertificate, USER_CERTIFICATE } from './user-certificate.ts';

export const DEFAULT_CERTIFICATE_TTL = '5m';
export const MIN_CERTIFICATE_TTL_SECONDS = 30;
export const MAX_CERTIFICATE_TTL_SECONDS = 3600;
/** How far the host's clock may be behind the operator's and still accept a certificate signed now. */
export const CERTIFICATE_CLOCK_SKEW_SECONDS = 30;
// In the order PROTOCOL.certkeys requires (lexical), as they are encoded.
export const LOGIN_CERTIFICATE_EXTENSIONS: readonly string[] = ['permit-port-forwarding', 'permit-pty'];
/** Session ids as the sidecar makes them (UUIDs) and recordings name files: safe in a key id that sshd logs. */
const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Who a certificate logs in for; its key id names all four. */
export interface LoginKeyId {
  readonly namespace: string;
  readonly identity: string;
  readonly pod: string;
  readonly session: string;
}

export interface LoginCertificateRequest {
  /** The sidecar's key for this one connection: an `ssh-ed25519 AAAA...` line. */
  readonly publicKey: string;
  /** The Target's username: the one principal. */
  readonly username: string;
  readonly keyId: LoginKeyId;
  readonly ttlSeconds: number;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

export interface LoginCertificate {
  /** `ssh-ed25519-cert-v01@openssh.com AAAA... <key id>`. */
  readonly certificate: string;
  readonly keyId: string;
  /** Decimal, as sshd logs it. */
  readonly serial: string;
  /** Seconds since the epoch. */
  readonly validAfter: number;
  readonly validBefore: number;
  /** The CA key's SHA256 fingerprint, as sshd logs it ("CA ED25519 SHA256:..."). */
  readonly authority: string;
}

export function isLoginSessionId(session: string): boolean {
  return SESSION_ID.test(session);
}

export function loginKeyId(id: LoginKeyId): string {
  return `airlock:${id.namespace}/${id.identity}/${id.pod}/${id.session}`;
}

/** The Target's certificate lifetime in seconds; throws SshKeyError InvalidRequest outside 30s..1h (the CRD refuses those too). */
export function certificateTtlSeconds(spec: TargetSpec): number {
  const text = spec.ssh?.certificateTTL ?? DEFAULT_CERTIFICATE_TTL;
  let seconds: number;
  try {
    seconds = durationSeconds(text);
  } catch (error) {
    throw new SshKeyError('InvalidRequest', `spec.ssh.certificateTTL: ${(error as Error).message}`, { cause: error });
  }
  if (seconds < MIN_CERTIFICATE_TTL_SECONDS || seconds > MAX_CERTIFICATE_TTL_SECONDS) {
    throw new SshKeyError('InvalidRequest', `spec.ssh.certificateTTL ${text} is outside 30s to 1h: set it within`);
  }
  return Math.floor(seconds);
}

/** Signs the login certificate `request` asks for with `ca`. Throws SshKeyError when the request or the key is not usable. */
export function issueLoginCertificate(ca: KeyObject, request: LoginCertificateRequest): LoginCertificate {
  if (!isLoginSessionId(request.keyId.session)) {
    throw new SshKeyError('InvalidRequest', 'the session id must be 1 to 128 letters, digits, dots, dashes or underscores');
  }
  const now = Math.floor(request.now / 1000);
  const validAfter = now - CERTIFICATE_CLOCK_SKEW_SECONDS;
  const validBefore = now + request.ttlSeconds;
  const keyId = loginKeyId(request.keyId);
  const serial = randomBytes(8).readBigUInt64BE();
  const blob = signUserCertificate(
    {
      nonce: randomBytes(32),
      publicKey: ed25519PublicKey(request.publicKey),
      serial,
      keyId,
      principals: [request.username],
      validAfter: BigInt(validAfter),
      validBefore: BigInt(validBefore),
      criticalOptions: [],
      extensions: LOGIN_CERTIFICATE_EXTENSIONS.map((name) => ({ name })),
    },
    ca,
  );
  return {
    certificate: certificateLine(blob, keyId),
    keyId,
    serial: serial.toString(),
    validAfter,
    validBefore,
    authority: sshFingerprint(sshPublicKeyBlob(ca)),
  };
}

/**
 * Why `certificate` is not one the sidecar may present for its key and the Target's user, or
 * undefined when it is: a user certificate of that key, for that user only, with no critical
 * option. The validity window is left to the host, whose clock decides.
 */
export function loginCertificateProblem(
  certificate: string,
  expected: { readonly publicKey: string; readonly username: string },
): string | undefined {
  let parsed: ReturnType<typeof parseUserCertificate>;
  try {
    parsed = parseUserCertificate(certificateBlob(certificate));
  } catch (error) {
    return (error as Error).message;
  }
  if (parsed.type !== USER_CERTIFICATE) return `it is a host certificate (type ${parsed.type}), not a user certificate`;
  if (!Buffer.from(parsed.publicKey).equals(ed25519PublicKey(expected.publicKey))) return "it certifies another key than the sidecar's";
  if (parsed.principals.length !== 1 || parsed.principals[0] !== expected.username) {
    return `it is for ${parsed.principals.join(', ') || 'every user'}, not for exactly ${expected.username}`;
  }
  if (parsed.criticalOptions.length > 0) return `it has critical options (${parsed.criticalOptions.map((o) => o.name).join(', ')})`;
  return undefined;
}
