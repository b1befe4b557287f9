/**
 * SSH as the protocol registry serves it (core/protocol.ts): for each ssh Target an SshListener
 * whose sessions get their services from the core session context plus SSH's own
 * (session/ssh-session-services.ts). One host key per sidecar start, shared by its SSH listeners,
 * and one shell parser. ssh-listen.ts and everything it needs (ssh2, the shell parser, the session
 * machinery) load with the first SSH Target: a sidecar without one never pays for them.
 *
 * Each listener, once it listens, is added to the ssh_config and known_hosts on the config volume
 * (frontend/agent-ssh-files.ts; ssh_config is the text the webhook also gives the agents at
 * /etc/ssh/ssh_config.d/airlock.conf), so both describe every SSH listener before the sidecar reports
 * ready (sidecar.ts starts the health server after the listeners). The listeners are the ones the
 * sidecar started with: a config change changes policies, not listeners, so the files stay right
 * for the life of the sidecar; a restarted sidecar has a new host key and rewrites known_hosts.
 */
import type { AgentSshListener } from '@airlock/contracts/targets';
import type { Protocol } from '../../core/protocol.ts';
import { DEFAULT_SSH_LIMITS, type SshLimits } from './limits/ssh-limits.ts';
import type { SshListenerState } from './ssh-listen.ts';

/** What SSH needs beyond the services every protocol shares; all optional. */
export interface SshProtocolOptions {
  /** Over DEFAULT_SSH_LIMITS. */
  readonly limits?: Partial<SshLimits>;
}

export function sshProtocol(options: SshProtocolOptions = {}): Protocol {
  const limits: SshLimits = { ...DEFAULT_SSH_LIMITS, ...options.limits };
  const listening: AgentSshListener[] = [];
  const state: SshListenerState = { listening };
  return {
    type: 'ssh',
    listen: async (request) => {
      const { listenSsh } = await import('./ssh-listen.ts');
      return listenSsh(request, limits, state);
    },
  };
}
