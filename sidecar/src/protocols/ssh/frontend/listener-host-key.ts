/**
 * The sidecar's own SSH host key: ed25519, generated when the sidecar starts and kept in memory
 * only, so it never outlives the pod. The agent's tools trust it through the known_hosts the
 * sidecar writes on the config volume (agent-ssh-files.ts), with strict host key checking.
 */
import { generateKeyPairSync } from 'node:crypto';
import { sshFingerprint, sshPublicKeyBlob, sshPublicKeyLine, writeEd25519OpenSshKey } from '@airlock/contracts/ssh-certificates';

export interface ListenerHostKey {
  /** OpenSSH private key format. */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA...`, a known_hosts entry without the host name. */
  readonly publicKey: string;
  readonly fingerprint: string;
}

export function generateHostKey(): ListenerHostKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const blob = sshPublicKeyBlob(privateKey);
  return { privateKey: writeEd25519OpenSshKey(privateKey), publicKey: sshPublicKeyLine(blob), fingerprint: sshFingerprint(blob) };
}
