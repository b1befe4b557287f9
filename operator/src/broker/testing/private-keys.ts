/**
 * Private key texts for the broker's tests, built here byte by byte (not by the code under test):
 * an OpenSSH key file's framing with the cipher it names, and PEM blocks around base64.
 */

const u32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const sshString = (text: string): Buffer => Buffer.concat([u32(Buffer.byteLength(text)), Buffer.from(text, 'latin1')]);

/** PEM framing: BEGIN line, base64 in lines of 70 as ssh-keygen writes them, END line. */
export function pemBlock(label: string, body: Buffer, headers: readonly string[] = []): string {
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...headers, ...(headers.length > 0 ? [''] : []), ...lines, `-----END ${label}-----`, ''].join('\n');
}

/** An openssh-key-v1 file naming `cipher` (`none`: unencrypted); the key material is stand-in bytes. */
export function opensshKey(cipher = 'none'): string {
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(cipher),
    sshString(cipher === 'none' ? 'none' : 'bcrypt'),
    sshString(''),
    u32(1),
    sshString('ssh-ed25519-public-key-stand-in'),
    sshString('private-part-stand-in-with-the-secret-s3cr3t-bytes'),
  ]);
  return pemBlock('OPENSSH PRIVATE KEY', body);
}

/** The key's base64 lines: a refusal must never contain one. */
export const keyLines = (key: string): string[] => key.split('\n').filter((line) => line.length > 8 && !line.startsWith('-----'));
