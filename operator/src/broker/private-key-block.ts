/**
 * Whether a Secret's `privateKey` is what an SSH client can log in with: one unencrypted private
 * key block, OpenSSH (`-----BEGIN OPENSSH PRIVATE KEY-----`, what ssh-keygen writes) or PEM (PKCS#1
 * RSA, SEC1 EC, DSA, PKCS#8). The broker checks it before handing the key out, so a public key, a
 * truncated paste or a key with a passphrase is reported on the Target's Secret, where it can be
 * fixed, rather than as a login failure in the sidecar. A shape check, not a parse: the sidecar's
 * SSH client reads the key. Pure; a problem says what is wrong and never quotes the text.
 */

const PEM_LABELS = ['OPENSSH PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY', 'PRIVATE KEY'] as const;
const BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END ([A-Z0-9 ]+)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
/** RFC 1421 headers of a legacy PEM key (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`). */
const HEADER = /^[A-Za-z-]+: /;
const OPENSSH_MAGIC = 'openssh-key-v1\0';

const ENCRYPTED =
  'it is encrypted with a passphrase, which the sidecar does not have: store it without one (ssh-keygen -p -N "" -f KEYFILE); the Secret protects it';
const FORMATS = 'an unencrypted private key in OpenSSH format (-----BEGIN OPENSSH PRIVATE KEY-----) or PEM';

/** Why `text` is not one unencrypted private key block, or undefined when it is one. */
export function privateKeyProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-|sk-(ssh|ecdsa)-)/.test(trimmed)) {
    return 'it holds a public key line; store the private key file (id_ed25519, not id_ed25519.pub)';
  }
  const block = BLOCK.exec(trimmed);
  if (block === null) return `it is not ${FORMATS}: store the key file as ssh-keygen wrote it, BEGIN and END lines included`;
  const [, begin = '', body = '', end = ''] = block;
  if (begin !== end) return `its BEGIN and END lines name different blocks (${begin}, ${end})`;
  if (begin === 'ENCRYPTED PRIVATE KEY') return ENCRYPTED;
  if (!PEM_LABELS.some((label) => label === begin)) return `it is a ${begin} block, not ${FORMATS}`;
  const lines = body.split(/\r?\n/).map((line) => line.trim());
  const headers = lines.filter((line) => HEADER.test(line));
  if (headers.some((line) => /^Proc-Type:.*ENCRYPTED/i.test(line))) return ENCRYPTED;
  const data = lines.filter((line) => line !== '' && !HEADER.test(line));
  if (data.length === 0 || !data.every((line) => BASE64_LINE.test(line))) {
    return `the text between its BEGIN and END lines is not base64: store the key file as it is, without changes`;
  }
  if (begin === 'OPENSSH PRIVATE KEY') return opensshProblem(Buffer.from(data.join(''), 'base64'));
  return undefined;
}

/** The header of an OpenSSH key: magic, then the cipher name, which is `none` for an unencrypted key. */
function opensshProblem(bytes: Buffer): string | undefined {
  const magic = Buffer.from(OPENSSH_MAGIC, 'latin1');
  if (bytes.length < magic.length + 4 || !bytes.subarray(0, magic.length).equals(magic)) {
    return 'its OpenSSH block does not hold an OpenSSH key (the openssh-key-v1 header is missing): store the key file as ssh-keygen wrote it';
  }
  const length = bytes.readUInt32BE(magic.length);
  const start = magic.length + 4;
  if (length > 64 || start + length > bytes.length) return 'its OpenSSH block is cut short: store the whole key file';
  const cipher = bytes.subarray(start, start + length).toString('latin1');
  return cipher === 'none' ? undefined : ENCRYPTED;
}
