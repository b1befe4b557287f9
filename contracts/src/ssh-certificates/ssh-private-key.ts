/**
 * A private key as ssh-keygen writes it, read into a node:crypto KeyObject: the OpenSSH format
 * (`-----BEGIN OPENSSH PRIVATE KEY-----`, openssh-key-v1, what ssh-keygen writes by default and
 * node:crypto cannot read) or PEM (PKCS#8, PKCS#1 RSA, SEC1 EC), unencrypted. A certificate
 * authority's key is read this way to sign with node:crypto. The OpenSSH reader checks the file's
 * public key against the private one, so a spliced or corrupted file is refused, not used.
 * Errors never quote the key.
 */
import { createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import { SshKeyError } from './errors.ts';
import { ECDSA_CURVES, type EcdsaCurve, ED25519, sshPublicKeyBlob } from './ssh-keys.ts';
import { SshReader, sshString, sshUint32 } from './ssh-wire.ts';

const OPENSSH_BLOCK = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END OPENSSH PRIVATE KEY-----$/;
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const ENCRYPTED = 'it is encrypted with a passphrase: store it without one (ssh-keygen -p -N "" -f KEYFILE); the Secret protects it';

/** The private key in `text`; throws SshKeyError (Malformed, EncryptedKey, UnsupportedKey) when it is not one this code signs with. */
export function readSshPrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  const openssh = OPENSSH_BLOCK.exec(trimmed);
  if (openssh) return readOpenSshKey(Buffer.from(openssh[1]!.replace(/\s+/g, ''), 'base64'));
  if (!trimmed.startsWith('-----BEGIN ')) {
    throw new SshKeyError('Malformed', 'it is not a private key in OpenSSH format or PEM: store the key file as ssh-keygen wrote it');
  }
  if (/^-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/m.test(trimmed)) throw new SshKeyError('EncryptedKey', ENCRYPTED);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: trimmed, format: 'pem' });
  } catch (error) {
    // OpenSSL's message names the parser step, never the key's bytes.
    throw new SshKeyError('Malformed', `it is not a readable PEM private key (${(error as Error).message})`, { cause: error });
  }
  // Refuses DSA, small RSA and other curves with the reason.
  sshPublicKeyBlob(key);
  return key;
}

function readOpenSshKey(bytes: Buffer): KeyObject {
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SshKeyError('Malformed', 'its OpenSSH block does not hold an openssh-key-v1 key: store the key file as ssh-keygen wrote it');
  }
  const reader = new SshReader(bytes.subarray(MAGIC.length), 'the OpenSSH private key');
  const cipher = reader.text();
  reader.text(); // kdf name
  reader.string(); // kdf options
  if (cipher !== 'none') throw new SshKeyError('EncryptedKey', ENCRYPTED);
  const count = reader.uint32();
  if (count !== 1) throw new SshKeyError('UnsupportedKey', `the OpenSSH key file holds ${count} keys; store exactly one`);
  const publicBlob = reader.string();
  const section = new SshReader(reader.string(), 'the OpenSSH private key');
  reader.end();
  const [check, checkAgain] = [section.uint32(), section.uint32()];
  if (check !== checkAgain) {
    // Equal check words are how OpenSSH tells a decrypted section from garbage; here they say the file is damaged.
    throw new SshKeyError(
      'Malformed',
      'the OpenSSH private key is damaged (its check words differ): store the key file as ssh-keygen wrote it',
    );
  }
  const type = section.text();
  const key = privateKeyOf(type, section);
  section.text(); // comment; the padding (1, 2, 3...) follows
  if (!sshPublicKeyBlob(key).equals(publicBlob)) {
    throw new SshKeyError(
      'Malformed',
      'the public key in the OpenSSH key file does not belong to its private key: store the key file as ssh-keygen wrote it',
    );
  }
  return key;
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** Left-pads with zeros to `size` bytes: JWK wants EC coordinates and scalars at the field's size. */
function padded(bytes: Buffer, size: number): Buffer {
  if (bytes.length > size) throw new SshKeyError('Malformed', 'the OpenSSH private key holds an EC value larger than its curve');
  return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
}

function privateKeyOf(type: string, section: SshReader): KeyObject {
  if (type === ED25519) {
    const pub = section.string();
    const secret = section.string();
    // OpenSSH stores the 32-byte seed followed by the public key.
    if (pub.length !== 32 || secret.length !== 64) throw new SshKeyError('Malformed', 'the ed25519 private key has the wrong length');
    return jwkKey({ kty: 'OKP', crv: 'Ed25519', x: b64url(pub), d: b64url(secret.subarray(0, 32)) });
  }
  const ecdsa = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  if (ecdsa) {
    const curveName = section.text();
    const entry = Object.entries(ECDSA_CURVES).find(([, curve]) => curve.name === ecdsa[1]);
    if (entry === undefined || curveName !== ecdsa[1])
      throw new SshKeyError('Malformed', `the ${type} private key names curve ${curveName}`);
    const [crv, curve] = entry as [EcdsaCurve, (typeof ECDSA_CURVES)[EcdsaCurve]];
    const point = section.string();
    const d = section.mpint();
    if (point.length !== 1 + 2 * curve.size || point[0] !== 4) {
      throw new SshKeyError('Malformed', `the ${type} public point is not an uncompressed point of ${curveName}`);
    }
    const x = point.subarray(1, 1 + curve.size);
    const y = point.subarray(1 + curve.size);
    return jwkKey({ kty: 'EC', crv, x: b64url(x), y: b64url(y), d: b64url(padded(d, curve.size)) });
  }
  if (type === 'ssh-rsa') {
    const [n, e, d, iqmp, p, q] = [section.mpint(), section.mpint(), section.mpint(), section.mpint(), section.mpint(), section.mpint()];
    // OpenSSH keeps no CRT exponents; JWK needs them: d mod (p-1), d mod (q-1).
    const big = (bytes: Buffer) => BigInt(`0x${bytes.toString('hex') || '0'}`);
    const bytesOf = (value: bigint) => {
      const hex = value.toString(16);
      return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
    };
    const dp = big(d) % (big(p) - 1n);
    const dq = big(d) % (big(q) - 1n);
    return jwkKey({
      kty: 'RSA',
      n: b64url(n),
      e: b64url(e),
      d: b64url(d),
      p: b64url(p),
      q: b64url(q),
      dp: b64url(bytesOf(dp)),
      dq: b64url(bytesOf(dq)),
      qi: b64url(iqmp),
    });
  }
  throw new SshKeyError('UnsupportedKey', `a ${type} key; a certificate authority key is ed25519, ECDSA (P-256, P-384, P-521) or RSA`);
}

function jwkKey(jwk: Record<string, string>): KeyObject {
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new SshKeyError('Malformed', `the OpenSSH private key's values do not make a key (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * An ed25519 private key in the OpenSSH format (openssh-key-v1, unencrypted), as ssh-keygen writes
 * it: what ssh2 reads as a server's host key. Written here rather than by ssh2's
 * utils.generateKeyPairSync, whose ed25519 output drops a leading zero byte of the public key
 * (about 1 key in 250), which ssh2 itself then refuses to read.
 */
export function writeEd25519OpenSshKey(key: KeyObject, comment = ''): string {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new SshKeyError('UnsupportedKey', 'only an ed25519 private key is written in the OpenSSH format here');
  }
  const jwk = key.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const publicKey = Buffer.from(jwk.x ?? '', 'base64url');
  const blob = sshPublicKeyBlob(key);
  // The check words let a reader tell a wrong passphrase; unencrypted, any equal pair will do.
  const check = randomBytes(4);
  const section = Buffer.concat([
    check,
    check,
    sshString(ED25519),
    sshString(publicKey),
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([
    MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    sshUint32(1),
    sshString(blob),
    sshString(Buffer.concat([section, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
