/**
 * OpenSSH user certificates for ed25519 keys, as OpenSSH's PROTOCOL.certkeys defines them
 * (`ssh-ed25519-cert-v01@openssh.com`): the encoder signs one with a certificate authority's key
 * (ed25519, ECDSA or RSA with rsa-sha2-512), the parser reads one back. Only what airlock issues
 * is supported: user certificates for ed25519 keys. Pure apart from node:crypto's signing.
 *
 * The layout, in order: type name, nonce, the certified key, serial, type (1 user, 2 host), key
 * id, valid principals, valid after, valid before (seconds since the epoch), critical options,
 * extensions, reserved, the CA's public key, and its signature over everything before it.
 */
import type { KeyObject } from 'node:crypto';
import { SshKeyError } from './errors.ts';
import { sshKeyType, sshPublicKeyBlob, sshSign } from './ssh-keys.ts';
import { SshReader, sshString, sshStrings, sshUint32, sshUint64 } from './ssh-wire.ts';

export const ED25519_CERTIFICATE = 'ssh-ed25519-cert-v01@openssh.com';
export const USER_CERTIFICATE = 1;
/** OpenSSH's own nonces are 32 random bytes; the nonce makes the signed bytes unpredictable to whoever asked for them. */
const MIN_NONCE_BYTES = 16;
const UINT64_MAX = 0xffff_ffff_ffff_ffffn;

/** A critical option or an extension: a name and, for options that take one, a value (`force-command`); a flag has none. */
export interface CertificateOption {
  readonly name: string;
  readonly value?: string;
}

export interface UserCertificateFields {
  readonly nonce: Uint8Array;
  /** The certified ed25519 key: its raw 32 bytes. */
  readonly publicKey: Uint8Array;
  readonly serial: bigint;
  readonly keyId: string;
  /** The user names it is valid for; never empty (OpenSSH reads an empty list as "any user"). */
  readonly principals: readonly string[];
  /** Seconds since the epoch; valid from validAfter, up to but not including validBefore. */
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: readonly CertificateOption[];
  readonly extensions: readonly CertificateOption[];
}

export interface ParsedUserCertificate extends UserCertificateFields {
  readonly type: number;
  /** The certificate authority's public key blob. */
  readonly signatureKey: Buffer;
  /** The signature blob, and the bytes it signs. */
  readonly signature: Buffer;
  readonly signedBytes: Buffer;
}

/** The certificate blob: `fields` signed by `ca`. Throws SshKeyError (InvalidRequest, UnsupportedKey) on what OpenSSH would refuse or misread. */
export function signUserCertificate(fields: UserCertificateFields, ca: KeyObject): Buffer {
  checkFields(fields);
  const body = Buffer.concat([
    sshString(ED25519_CERTIFICATE),
    sshString(fields.nonce),
    sshString(fields.publicKey),
    sshUint64(fields.serial),
    sshUint32(USER_CERTIFICATE),
    sshString(fields.keyId),
    sshString(sshStrings(fields.principals)),
    sshUint64(fields.validAfter),
    sshUint64(fields.validBefore),
    sshString(encodeOptions(fields.criticalOptions)),
    sshString(encodeOptions(fields.extensions)),
    sshString(''),
    sshString(sshPublicKeyBlob(ca)),
  ]);
  return Buffer.concat([body, sshString(sshSign(ca, body))]);
}

/** `ssh-ed25519-cert-v01@openssh.com AAAA... [comment]`: what ssh-keygen -s writes to KEY-cert.pub. */
export function certificateLine(blob: Uint8Array, comment?: string): string {
  return `${ED25519_CERTIFICATE} ${Buffer.from(blob).toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** The blob of a certificate line; throws SshKeyError (Malformed, UnsupportedKey) when the line is not one. */
export function certificateBlob(line: string): Buffer {
  const [type, base64] = line.trim().split(/\s+/);
  if (type !== ED25519_CERTIFICATE || base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new SshKeyError('UnsupportedKey', `not an ${ED25519_CERTIFICATE} certificate line; got a line of type ${type ?? 'none'}`);
  }
  return Buffer.from(base64, 'base64');
}

/** Reads a certificate blob back. The signature is not checked here: that needs the CA's key, and sshd checks it. */
export function parseUserCertificate(blob: Uint8Array): ParsedUserCertificate {
  const reader = new SshReader(blob, 'the certificate');
  const name = reader.text();
  if (name !== ED25519_CERTIFICATE)
    throw new SshKeyError('UnsupportedKey', `a ${name} certificate; airlock reads ${ED25519_CERTIFICATE} only`);
  const nonce = reader.string();
  const publicKey = reader.string();
  const serial = reader.uint64();
  const type = reader.uint32();
  const keyId = reader.text();
  const principals = SshReader.strings(reader.string(), 'the certificate principals');
  const validAfter = reader.uint64();
  const validBefore = reader.uint64();
  const criticalOptions = decodeOptions(reader.string(), 'critical options');
  const extensions = decodeOptions(reader.string(), 'extensions');
  reader.string(); // reserved
  const signatureKey = reader.string();
  const signedBytes = Buffer.from(blob).subarray(0, reader.offset);
  const signature = reader.string();
  reader.end();
  if (publicKey.length !== 32) throw new SshKeyError('Malformed', `the certificate's ed25519 key is ${publicKey.length} bytes, not 32`);
  sshKeyType(signatureKey);
  return {
    type,
    nonce,
    publicKey,
    serial,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    extensions,
    signatureKey,
    signature,
    signedBytes,
  };
}

/**
 * Options sorted by name, each `string name, string data`: a flag's data is empty, a value is a
 * string inside the data string. OpenSSH refuses options out of order or twice.
 */
function encodeOptions(options: readonly CertificateOption[]): Buffer {
  const sorted = [...options].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return Buffer.concat(
    sorted.map((option) => Buffer.concat([sshString(option.name), sshString(option.value === undefined ? '' : sshString(option.value))])),
  );
}

function decodeOptions(bytes: Buffer, what: string): CertificateOption[] {
  const reader = new SshReader(bytes, `the certificate ${what}`);
  const options: CertificateOption[] = [];
  while (reader.remaining > 0) {
    const name = reader.text();
    const data = reader.string();
    if (data.length === 0) {
      options.push({ name });
    } else {
      const inner = new SshReader(data, `the certificate option ${name}`);
      const value = inner.text();
      inner.end();
      options.push({ name, value });
    }
  }
  return options;
}

/** A name that OpenSSH prints and logs as it is: printable ASCII, no spaces in principals or option names. */
const PRINTABLE = /^[\x21-\x7e]+$/;

/** Whether `name` can be a principal: printable, no spaces, and no commas (OpenSSH's principal lists are comma-separated). */
export function isCertificatePrincipal(name: string): boolean {
  return PRINTABLE.test(name) && !name.includes(',');
}

function checkFields(fields: UserCertificateFields): void {
  const invalid = (problem: string) => new SshKeyError('InvalidRequest', `cannot sign the certificate: ${problem}`);
  if (fields.publicKey.length !== 32) throw invalid(`the ed25519 key is ${fields.publicKey.length} bytes, not 32`);
  if (fields.nonce.length < MIN_NONCE_BYTES)
    throw invalid(`the nonce is ${fields.nonce.length} bytes; use ${MIN_NONCE_BYTES} or more random bytes`);
  if (fields.principals.length === 0) throw invalid('it names no principal, which OpenSSH reads as valid for every user');
  const bad = fields.principals.find((principal) => !isCertificatePrincipal(principal));
  if (bad !== undefined) throw invalid(`principal ${JSON.stringify(bad)} is not a user name (printable, no spaces or commas)`);
  if (!/^[\x20-\x7e]{1,256}$/.test(fields.keyId)) throw invalid('the key id must be 1 to 256 printable characters');
  for (const value of [fields.serial, fields.validAfter, fields.validBefore]) {
    if (value < 0n || value > UINT64_MAX) throw invalid('serial and validity must fit in 64 unsigned bits');
  }
  if (fields.validAfter >= fields.validBefore) throw invalid('valid after is not before valid before');
  for (const list of [fields.criticalOptions, fields.extensions]) {
    const names = list.map((option) => option.name);
    if (names.some((name) => !PRINTABLE.test(name))) throw invalid('an option name is not printable ASCII');
    if (new Set(names).size !== names.length) throw invalid('an option is named twice');
  }
}
