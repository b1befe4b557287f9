/**
 * The sidecar's half of a certificate login: a fresh ed25519 key pair for every upstream connect
 * (the private key never leaves this process, and is dropped with the connection), and the check
 * that the certificate the broker sent for it is one to present: a user certificate of exactly
 * this key, for exactly the Target's user, with no critical option. A certificate that fails the
 * check is not offered to the host.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  certificateBlob,
  loginCertificateProblem,
  parseUserCertificate,
  sshPublicKeyBlob,
  sshPublicKeyLine,
} from '@airlock/contracts/ssh-certificates';
import type { SshLogin } from './upstream-connect.ts';
import { SshUpstreamError } from './upstream-error.ts';

export interface LoginKeyPair {
  /** `ssh-ed25519 AAAA...`: what the broker's certificate certifies. */
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

export function loginKeyPair(): LoginKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: sshPublicKeyLine(sshPublicKeyBlob(publicKey)), privateKey };
}

/** The certificate login for `key`, or CredentialsUnavailable when `certificate` is not one the sidecar may present. */
export function certificateLogin(
  target: string,
  certificate: string,
  key: LoginKeyPair,
  username: string,
): NonNullable<SshLogin['certificate']> {
  const problem = loginCertificateProblem(certificate, { publicKey: key.publicKey, username });
  if (problem !== undefined) {
    throw new SshUpstreamError('CredentialsUnavailable', `the certificate the broker sent for target ${target} cannot be used: ${problem}`);
  }
  const blob = certificateBlob(certificate);
  const parsed = parseUserCertificate(blob);
  return {
    certificate: blob,
    publicKey: key.publicKey,
    key: key.privateKey,
    keyId: parsed.keyId,
    validBefore: new Date(Number(parsed.validBefore) * 1000),
  };
}
