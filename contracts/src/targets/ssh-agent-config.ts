/**
 * The ssh_config that points the agents' OpenSSH tools at the sidecar's SSH listeners, so that
 * `ssh <target-name>` reaches the sidecar and checks its host key strictly (no
 * StrictHostKeyChecking=no anywhere): per SSH Target a `Host <target-name>` block (address, port,
 * the sidecar's known_hosts only, strict checking, no keys of the agent offered, password as the
 * only method after `none`), and a `Host <loopback>` block that adds that known_hosts to the
 * user's for the address form.
 *
 * Two writers, one text: the webhook renders it at admission into a pod annotation that a
 * downward API volume gives the agents at SSH_CONFIG_INCLUDE_PATH (the kubelet writes that file as
 * root, and OpenSSH refuses an included file that another user owns), and the sidecar writes it
 * to the config volume for `ssh -F` (GIT_SSH_COMMAND). It depends only on the Targets' names, the
 * listeners' addresses and ports and the config directory, not on the sidecar's host key (that is
 * in known_hosts), so both can render it. Pure: the same input gives the same bytes.
 *
 * Login: OpenSSH always asks for `none` first, and the sidecar accepts it under pod identity, so
 * no prompt comes up (BatchMode works); where the sidecar requires the agent's token, the token is
 * the password (an SSH_ASKPASS program can give it). The user name is left to the agent.
 */
import { SSH_CONFIG_FILE, SSH_KNOWN_HOSTS_FILE } from './target-types.ts';

/** One SSH listener of the sidecar as the agents reach it. */
export interface AgentSshListener {
  readonly target: string;
  /** The address the listener is bound to (AIRLOCK_LISTEN_HOST). */
  readonly host: string;
  readonly port: number;
}

/**
 * A Target name that can be a Host pattern and a known_hosts name as it is: Kubernetes names are
 * DNS subdomains, so every real one is; anything else is left out rather than written into a file
 * that ssh parses (whitespace or a newline would add directives of its own).
 */
export function isSshHostAlias(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name);
}

/**
 * An absolute path that ssh_config may name as it is (unquoted): no whitespace, quotes, `%`
 * tokens or `~`.
 */
export function isPlainPath(path: string): boolean {
  return /^\/[A-Za-z0-9._/-]*$/.test(path);
}

/** Where an agent reaches a listener bound to `host`: a wildcard bind is reached on loopback. */
export function agentAddress(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** Sorted by Target name; throws for a name that cannot be an ssh host alias. */
export function sortedSshListeners(listeners: readonly AgentSshListener[]): AgentSshListener[] {
  for (const { target } of listeners) {
    if (!isSshHostAlias(target)) throw new Error(`target name ${JSON.stringify(target)} cannot be an ssh host alias`);
  }
  return [...listeners].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** `directory` is where the agents see the config volume, which holds known_hosts. */
export function renderSshConfig(listeners: readonly AgentSshListener[], directory: string): string {
  if (!isPlainPath(directory)) throw new Error(`config directory ${JSON.stringify(directory)} cannot be written into ssh_config`);
  const knownHosts = `${directory}/${SSH_KNOWN_HOSTS_FILE}`;
  const all = sortedSshListeners(listeners);
  const blocks = all.map(({ target, host, port }) =>
    [
      `Host ${target}`,
      `  HostName ${agentAddress(host)}`,
      `  Port ${port}`,
      `  HostKeyAlias ${target}`,
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile none',
      '  StrictHostKeyChecking yes',
      '  CheckHostIP no',
      '  UpdateHostKeys no',
      '  IdentitiesOnly yes',
      '  IdentityFile none',
      '  PreferredAuthentications password',
      '',
    ].join('\n'),
  );
  const addresses = [...new Set(all.map(({ host }) => agentAddress(host)))];
  const loopback = addresses.map((address) =>
    [
      // Any port of the address: the user's own file stays first (ssh adds new keys to the first).
      `Host ${address}`,
      `  UserKnownHostsFile ~/.ssh/known_hosts ${knownHosts}`,
      '',
    ].join('\n'),
  );
  return [
    '# Written by airlock: the SSH Targets of this pod, served by the airlock sidecar on the',
    `# pod's loopback. \`ssh <target-name>\`; where /etc/ssh/ssh_config.d is not read, \`ssh -F ${directory}/${SSH_CONFIG_FILE}\`.`,
    '# The sidecar accepts the `none` login (pod identity); where it asks for the agent token, that is the password.',
    '',
    ...blocks,
    ...loopback,
  ].join('\n');
}
