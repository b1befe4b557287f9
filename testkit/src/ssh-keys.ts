/**
 * SSH keys for tests, made by the real ssh-keygen so they are exactly what OpenSSH reads: server
 * host keys, and client key pairs (OpenSSH private key format, unencrypted) for authorized_keys
 * and for the credentials an airlock Target's Secret holds.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from './errors.ts';

export type SshKeyType = 'ed25519' | 'rsa' | 'ecdsa';

export interface SshKeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` ... with a trailing newline. */
  privateKey: string;
  /** One line, `type base64` and the comment if one was given, no newline. */
  publicKey: string;
}

const run = promisify(execFile);

/** Writes `path` (private, 0600) and `path.pub`; returns the public key line without its comment. */
export async function writeKeyFiles(sshKeygen: string, path: string, type: SshKeyType, comment = ''): Promise<string> {
  try {
    await run(sshKeygen, ['-q', '-t', type, '-N', '', '-C', comment, '-f', path]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HarnessError('SshClientMissing', `${sshKeygen} (OpenSSH client) is not installed; run make system-packages`, {
        cause: error,
      });
    }
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new HarnessError('SshKeygenFailed', `ssh-keygen -t ${type} -f ${path} failed: ${stderr || String(error)}`, { cause: error });
  }
  return withoutComment(readFileSync(`${path}.pub`, 'utf8'));
}

/** A fresh unencrypted client key pair, ed25519 unless told. */
export async function generateSshKeyPair(options: { type?: SshKeyType; comment?: string; sshKeygen?: string } = {}): Promise<SshKeyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-ssh-key-'));
  try {
    const path = join(dir, 'key');
    await writeKeyFiles(options.sshKeygen ?? 'ssh-keygen', path, options.type ?? 'ed25519', options.comment ?? '');
    return { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `type base64` of a public key line, the form known_hosts and a Target's spec.ssh.hostKeys take. */
export function withoutComment(publicKeyLine: string): string {
  const [type, base64] = publicKeyLine.trim().split(/\s+/);
  if (!type || !base64) throw new HarnessError('BadPublicKey', `not an OpenSSH public key line: ${JSON.stringify(publicKeyLine)}`);
  return `${type} ${base64}`;
}

/** The SHA256 fingerprint as ssh and ssh-keygen -l print it: `SHA256:` and unpadded base64. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(withoutComment(publicKeyLine).split(' ')[1]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
