/**
 * The ciphers the sidecar's SSH server offers the agent: AES-GCM first, AES-CTR for clients
 * without GCM, and not chacha20-poly1305. OpenSSH clients prefer chacha20-poly1305, and in SSH the
 * client's preference wins, so offering it means using it; ssh2 without its optional native
 * binding (which the image does not build) computes Poly1305 in JavaScript/asm.js, while AES runs
 * in OpenSSL through node:crypto with AES-NI. The benchmark (bench/src/ssh-bench.ts) measured bulk
 * output through the sidecar at 13 MB/s with chacha20-poly1305 towards the agent. AES-GCM is as
 * strong a choice; the upstream side already prefers it (ssh2's default order).
 */
import type { CipherAlgorithm } from 'ssh2';

export const AGENT_CIPHERS: CipherAlgorithm[] = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
];
