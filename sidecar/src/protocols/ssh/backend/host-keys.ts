/**
 * The upstream host keys a Target trusts (spec.ssh.hostKeys, `type base64` as in known_hosts
 * without the host name) and the check of the key a server presents: the key's type and its whole
 * public-key blob must equal one of them, byte for byte. There is no trust on first use and no
 * other source of trust; a server that presents anything else is refused, and the message names
 * the fingerprint it presented (SHA256, as `ssh-keygen -lf` prints it) so an operator can compare
 * it with the host's own.
 *
 * The client offers only the signature algorithms of the key types the Target lists, so a server
 * with several host keys presents one of the trusted ones. RSA keys are offered as rsa-sha2-512 and
 * rsa-sha2-256 only: `ssh-rsa` signatures use SHA-1, which OpenSSH itself no longer accepts.
 */
import { sshFingerprint } from '@airlock/contracts/ssh-certificates';

export interface TrustedHostKey {
  /** The key type, as the blob names it: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ... */
  readonly type: string;
  /** The SSH public-key blob. */
  readonly blob: Buffer;
  readonly fingerprint: string;
}

export interface ParsedHostKeys {
  readonly keys: readonly TrustedHostKey[];
  /** Entries that are not a usable key, each with why. */
  readonly problems: readonly string[];
}

/** Host key algorithms ssh2 can verify, by the key type of the blob. */
const ALGORITHMS_BY_KEY_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256'],
};

/** The key type a public-key blob starts with (a uint32 length and the name), or undefined when it does not parse. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  const type = blob.toString('latin1', 4, 4 + length);
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads the Target's entries; a malformed or unsupported one is a problem, never a wildcard. */
export function parseHostKeys(entries: readonly string[]): ParsedHostKeys {
  const keys: TrustedHostKey[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const [type, data] = entry.trim().split(/\s+/);
    const where = `spec.ssh.hostKeys[${index}]`;
    if (type === undefined || data === undefined || !BASE64.test(data)) {
      problems.push(`${where} is not "<type> <base64>"`);
      return;
    }
    const blob = Buffer.from(data, 'base64');
    const inner = blobKeyType(blob);
    if (inner !== type) {
      problems.push(`${where} says ${type} but its key is ${inner ?? 'not an SSH public key'}`);
      return;
    }
    if (ALGORITHMS_BY_KEY_TYPE[type] === undefined) {
      problems.push(`${where} is a ${type} key, which this sidecar cannot verify (use ssh-ed25519, ecdsa-sha2-nistp* or ssh-rsa)`);
      return;
    }
    keys.push({ type, blob, fingerprint: sshFingerprint(blob) });
  });
  return { keys, problems };
}

/** The server host key algorithms to offer: those of the trusted keys' types, in the order the Target lists them. */
export function hostKeyAlgorithms(keys: readonly TrustedHostKey[]): string[] {
  return [...new Set(keys.flatMap((key) => ALGORITHMS_BY_KEY_TYPE[key.type] ?? []))];
}

export type HostKeyVerdict =
  | { readonly trusted: true; readonly key: TrustedHostKey }
  | { readonly trusted: false; readonly presented: { readonly type: string; readonly fingerprint: string } };

/** Whether the presented blob is one of the trusted keys, exactly. */
export function verifyHostKey(keys: readonly TrustedHostKey[], presented: Buffer): HostKeyVerdict {
  const key = keys.find((candidate) => candidate.blob.equals(presented));
  if (key) return { trusted: true, key };
  return { trusted: false, presented: { type: blobKeyType(presented) ?? 'unknown', fingerprint: sshFingerprint(presented) } };
}
