/**
 * The sidecar's own SSH host key: ed25519, generated when the sidecar starts and kept in memory
 * only, so it never outlives the pod. The agent's tools trust it through the known_hosts the
 * sidecar writes on the config volume (agent-ssh-files.ts), with strict host key checking.
 */
import ssh2 from 'ssh2';
import { fingerprintOf } from '../backend/host-keys.ts';

export interface ListenerHostKey {
  /** OpenSSH private key format. */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA...`, a known_hosts entry without the host name. */
  readonly publicKey: string;
  readonly fingerprint: string;
}

export function generateHostKey(): ListenerHostKey {
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  const [type, data] = pair.public.trim().split(/\s+/);
  const publicKey = `${type} ${data}`;
  return { privateKey: pair.private, publicKey, fingerprint: fingerprintOf(Buffer.from(data ?? '', 'base64')) };
}
