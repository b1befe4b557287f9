/**
 * SSH as the protocol registry serves it (core/protocol.ts): for each ssh Target an SshListener
 * whose sessions get their services from the core session context plus SSH's own
 * (session/ssh-session-services.ts). One host key per sidecar start, shared by its SSH listeners,
 * and one shell parser, loaded when the first SSH Target is served (a pod without one never pays
 * for it).
 *
 * Each listener, once it listens, is added to the ssh_config and known_hosts on the config volume
 * (frontend/agent-ssh-files.ts; ssh_config is the text the webhook also gives the agents at
 * /etc/ssh/ssh_config.d/airlock.conf), so both describe every SSH listener before the sidecar reports
 * ready (sidecar.ts starts the health server after the listeners). The listeners are the ones the
 * sidecar started with: a config change changes policies, not listeners, so the files stay right
 * for the life of the sidecar; a restarted sidecar has a new host key and rewrites known_hosts.
 */
import { type AgentSshListener, isSshHostAlias, renderSshConfig, SSH_CONFIG_FILE, SSH_KNOWN_HOSTS_FILE } from '@airlock/contracts/targets';
import type { Logger } from 'pino';
import type { ConfigVolume } from '../../core/config-volume.ts';
import type { Protocol } from '../../core/protocol.ts';
import { parseHostKeys } from './backend/host-keys.ts';
import type { UpstreamEndpoint } from './backend/upstream-connect.ts';
import { renderKnownHosts } from './frontend/agent-ssh-files.ts';
import { SshListener } from './frontend/listener.ts';
import { generateHostKey, type ListenerHostKey } from './frontend/listener-host-key.ts';
import { DEFAULT_SSH_LIMITS, type SshLimits } from './limits/ssh-limits.ts';
import { createSshSessionFactory } from './session/ssh-session-services.ts';
import { ShellParser } from './shell/index.ts';

/** What SSH needs beyond the services every protocol shares; all optional. */
export interface SshProtocolOptions {
  /** Over DEFAULT_SSH_LIMITS. */
  readonly limits?: Partial<SshLimits>;
}

export function sshProtocol(options: SshProtocolOptions = {}): Protocol {
  let parser: ShellParser | undefined;
  let hostKey: ListenerHostKey | undefined;
  const limits: SshLimits = { ...DEFAULT_SSH_LIMITS, ...options.limits };
  const listening: AgentSshListener[] = [];
  return {
    type: 'ssh',
    listen: async (request) => {
      const { target } = request;
      const logger = request.logger.child({ target: target.name });
      parser ??= ShellParser.load();
      hostKey ??= generateHostKey();
      const key = hostKey;
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
    },
  };
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
