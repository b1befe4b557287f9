/**
 * One SSH listener for one ssh Target, and the agent files that describe every listener so far.
 * Loaded by ssh-protocol.ts with the first ssh Target: ssh2, the shell parser and the SSH session
 * machinery are not loaded by a sidecar that serves none.
 */
import type { AgentSshListener } from '@airlock/contracts/targets';
import { isSshHostAlias, renderSshConfig, SSH_CONFIG_FILE, SSH_KNOWN_HOSTS_FILE } from '@airlock/contracts/targets';
import type { Logger } from 'pino';
import type { ConfigVolume } from '../../core/config-volume.ts';
import type { ListenRequest, TargetListener } from '../../core/protocol.ts';
import { parseHostKeys } from './backend/host-keys.ts';
import type { UpstreamEndpoint } from './backend/upstream-connect.ts';
import { renderKnownHosts } from './frontend/agent-ssh-files.ts';
import { SshListener } from './frontend/listener.ts';
import { generateHostKey, type ListenerHostKey } from './frontend/listener-host-key.ts';
import type { SshLimits } from './limits/ssh-limits.ts';
import { createSshSessionFactory } from './session/ssh-session-services.ts';
import { ShellParser } from './shell/index.ts';

/** What the SSH listeners of one sidecar share: one host key, one shell parser, the list the agent files describe. */
export interface SshListenerState {
  parser?: ShellParser;
  hostKey?: ListenerHostKey;
  readonly listening: AgentSshListener[];
}

export async function listenSsh(request: ListenRequest, limits: SshLimits, state: SshListenerState): Promise<TargetListener> {
  const { target } = request;
  const logger = request.logger.child({ target: target.name });
  state.parser ??= ShellParser.load();
  state.hostKey ??= generateHostKey();
  const { parser, hostKey: key, listening } = state;
  const spec = target.spec.ssh;
  const hostKeys = parseHostKeys(spec?.hostKeys ?? []);
  if (!spec) logger.error('the Target has no spec.ssh: every command will fail');
  for (const problem of hostKeys.problems) logger.error({ problem }, 'host key ignored');
  const endpoint: UpstreamEndpoint = { target: target.name, host: spec?.host ?? '', port: spec?.port ?? 22, hostKeys: hostKeys.keys };
  // The services every protocol shares come with the request; SSH adds its own.
  const sessions = createSshSessionFactory({ ...request, logger, parser, limits });
  logger.info({ hostKey: key.publicKey, fingerprint: key.fingerprint }, 'ssh listener host key');
  const listener = await SshListener.start({
    target,
    endpoint,
    host: request.host,
    port: request.port,
    hostKey: key,
    authenticator: request.authenticator,
    credentials: request.credentials,
    limits,
    logger,
    sessions,
    ...(request.onSessionCount ? { onSessionCount: request.onSessionCount } : {}),
  });
  if (isSshHostAlias(target.name)) listening.push({ target: target.name, host: request.host, port: listener.port });
  else logger.error('the Target name cannot be an ssh host alias: it is left out of ssh_config and known_hosts');
  try {
    writeAgentFiles(request.configVolume, listening, key.publicKey, logger);
  } catch (error) {
    await listener.close();
    throw error;
  }
  return listener;
}

/** Throws ConfigVolumeError: an agent must not start without the files (sidecar.ts stops the start). */
function writeAgentFiles(volume: ConfigVolume | undefined, listeners: readonly AgentSshListener[], hostKey: string, logger: Logger): void {
  if (!volume) {
    logger.debug('no config volume: ssh_config and known_hosts for the agents are not written');
    return;
  }
  // known_hosts first: ssh_config points at it.
  const knownHosts = volume.write(SSH_KNOWN_HOSTS_FILE, renderKnownHosts(listeners, hostKey));
  const sshConfig = volume.write(SSH_CONFIG_FILE, renderSshConfig(listeners, volume.directory));
  logger.debug({ directory: volume.directory, knownHosts, sshConfig }, 'ssh_config and known_hosts for the agents');
}
