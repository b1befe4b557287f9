/**
 * What the agents' OpenSSH tools are told about the sidecar's SSH listeners: two files on the
 * config volume (core/config-volume.ts).
 *
 * - ssh_config: rendered by @airlock/contracts/targets (ssh-agent-config.ts), the same text the
 *   webhook gives the agents at /etc/ssh/ssh_config.d/airlock.conf; here for `ssh -F` (GIT_SSH_COMMAND).
 * - known_hosts: per SSH Target one line naming both ways a client looks the key up: the Target's
 *   name (the HostKeyAlias of its ssh_config block) and `[<loopback>]:<port>` (what
 *   `ssh -p <port> 127.0.0.1` looks up), with the sidecar's host key. Only the sidecar can write
 *   it: the key is generated when the sidecar starts.
 *
 * Pure functions of the listeners, the host key and the directory: the same input gives the same
 * bytes, so an unchanged file is not rewritten.
 */
import { type AgentSshListener, agentAddress, sortedSshListeners } from '@airlock/contracts/targets';

/** The host name a client looks a key up by without a HostKeyAlias (OpenSSH's put_host_port). */
function knownHostsAddress(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `hostKey` is the sidecar's public key as `<type> <base64>`. */
export function renderKnownHosts(listeners: readonly AgentSshListener[], hostKey: string): string {
  const lines = sortedSshListeners(listeners).map(
    ({ target, host, port }) => `${target},${knownHostsAddress(agentAddress(host), port)} ${hostKey}`,
  );
  return [
    '# Written by the airlock sidecar: its host key, generated when it started, for each SSH Target',
    '# it serves, by Target name (the HostKeyAlias in ssh_config) and by loopback address and port.',
    ...lines,
    '',
  ].join('\n');
}
