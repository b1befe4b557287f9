/**
 * SSH keys as node:crypto KeyObjects: the public key blob and line OpenSSH writes for one, its
 * SHA256 fingerprint, and signatures in SSH's format. The types are the ones a certificate
 * authority may have: ed25519, ECDSA on P-256/384/521, and RSA of 2048 bits or more, which signs
 * with rsa-sha2-512 (never SHA-1 `ssh-rsa`, which OpenSSH 8.8 and later refuse).
 */
import { createHash, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { SshKeyError } from './errors.ts';
import { SshReader, sshMpint, sshString } from './ssh-wire.ts';

export const ED25519 = 'ssh-ed25519';
/** The ECDSA curves SSH names (RFC 5656 §10.1), by their JWK names: the SSH name, the hash a signature uses, the field size. */
export const ECDSA_CURVES = {
  'P-256': { name: 'nistp256', hash: 'sha256', size: 32 },
  'P-384': { name: 'nistp384', hash: 'sha384', size: 48 },
  'P-521': { name: 'nistp521', hash: 'sha512', size: 66 },
} as const;
export type EcdsaCurve = keyof typeof ECDSA_CURVES;
const MIN_RSA_BITS = 2048;

const fromBase64Url = (text: string | undefined): Buffer => Buffer.from(text ?? '', 'base64url');

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** How `key` signs in SSH: the signature's algorithm name and node:crypto's digest (null: ed25519 hashes itself). */
export function sshSignatureAlgorithm(key: KeyObject): { readonly name: string; readonly digest: string | null } {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { name: ED25519, digest: null };
  if (type === 'ec') {
    const curve = ecCurve(key);
    return { name: `ecdsa-sha2-${ECDSA_CURVES[curve].name}`, digest: ECDSA_CURVES[curve].hash };
  }
  if (type === 'rsa') {
    rsaBits(key);
    return { name: 'rsa-sha2-512', digest: 'sha512' };
  }
  throw unsupported(type);
}

/** The public key blob (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4) of a private or public key. */
export function sshPublicKeyBlob(key: KeyObject): Buffer {
  const pub = publicOf(key);
  // Refused before export: node:crypto has no JWK for DSA or DH keys.
  if (!['ed25519', 'ec', 'rsa'].includes(pub.asymmetricKeyType ?? '')) throw unsupported(pub.asymmetricKeyType);
  const jwk = pub.export({ format: 'jwk' });
  switch (pub.asymmetricKeyType) {
    case 'ed25519':
      return Buffer.concat([sshString(ED25519), sshString(fromBase64Url(jwk.x))]);
    case 'ec': {
      const curve = ECDSA_CURVES[ecCurve(pub)];
      const point = Buffer.concat([Buffer.from([4]), fromBase64Url(jwk.x), fromBase64Url(jwk.y)]);
      return Buffer.concat([sshString(`ecdsa-sha2-${curve.name}`), sshString(curve.name), sshString(point)]);
    }
    case 'rsa':
      rsaBits(pub);
      return Buffer.concat([sshString('ssh-rsa'), sshMpint(fromBase64Url(jwk.e)), sshMpint(fromBase64Url(jwk.n))]);
    default:
      throw unsupported(pub.asymmetricKeyType);
  }
}

/** The key type name at the front of a public key blob (or of a certificate blob). */
export function sshKeyType(blob: Uint8Array): string {
  return new SshReader(blob, 'the public key').text();
}

/** `type base64` as authorized_keys, known_hosts and TrustedUserCAKeys take it. */
export function sshPublicKeyLine(blob: Uint8Array): string {
  return `${sshKeyType(blob)} ${Buffer.from(blob).toString('base64')}`;
}

/** `SHA256:` and unpadded base64, as ssh-keygen -l and sshd's log print a key. */
export function sshFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The raw 32-byte key of an ssh-ed25519 public key line (`ssh-ed25519 AAAA... [comment]`), checked to be exactly that. */
export function ed25519PublicKey(line: string): Buffer {
  const [type, base64] = line.trim().split(/\s+/);
  if (type !== ED25519 || base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new SshKeyError(
      'UnsupportedKey',
      `not an ${ED25519} public key line ("${ED25519} AAAA..."); got a line of type ${type ?? 'none'}`,
    );
  }
  const reader = new SshReader(Buffer.from(base64, 'base64'), `the ${ED25519} public key`);
  if (reader.text() !== ED25519) throw new SshKeyError('Malformed', `the ${ED25519} public key line holds a key of another type`);
  const key = reader.string();
  reader.end();
  if (key.length !== 32) throw new SshKeyError('Malformed', `the ${ED25519} public key is ${key.length} bytes, not 32`);
  return key;
}

/** The blob of an ssh-ed25519 public key from its raw 32 bytes. */
export function ed25519PublicKeyBlob(raw: Uint8Array): Buffer {
  return Buffer.concat([sshString(ED25519), sshString(raw)]);
}

/** An SSH signature blob (`string algorithm, string signature`) of `data` by `key`. */
export function sshSign(key: KeyObject, data: Uint8Array): Buffer {
  const { name, digest } = sshSignatureAlgorithm(key);
  if (key.asymmetricKeyType === 'ec') {
    // SSH wants r and s as two mpints (RFC 5656 §3.1.2); ieee-p1363 gives them back to back, each of the curve's size.
    const raw = sign(digest, data, { key, dsaEncoding: 'ieee-p1363' });
    const half = raw.length / 2;
    return Buffer.concat([sshString(name), sshString(Buffer.concat([sshMpint(raw.subarray(0, half)), sshMpint(raw.subarray(half))]))]);
  }
  return Buffer.concat([sshString(name), sshString(sign(digest, data, key))]);
}

function ecCurve(key: KeyObject): EcdsaCurve {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const byOid: Readonly<Record<string, EcdsaCurve>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
  const named = curve === undefined ? undefined : byOid[curve];
  if (named === undefined) {
    throw new SshKeyError('UnsupportedKey', `an ECDSA key on curve ${curve ?? 'unknown'}; SSH uses P-256, P-384 or P-521`);
  }
  return named;
}

function rsaBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new SshKeyError('UnsupportedKey', `an RSA key of ${bits} bits; use ${MIN_RSA_BITS} bits or more (or ed25519)`);
  }
  return bits;
}

function unsupported(type: string | undefined): SshKeyError {
  return new SshKeyError('UnsupportedKey', `a ${type ?? 'unknown'} key; use ed25519, ECDSA (P-256, P-384, P-521) or RSA`);
}
