/**
 * SSH as the protocol registry serves it (core/protocol.ts): for each ssh Target an SshListener
 * whose sessions get their services from the core session context plus SSH's own
 * (session/ssh-session-services.ts). One host key per sidecar start, shared by its SSH listeners,
 * and one shell parser, loaded when the first SSH Target is served (a pod without one never pays
 * for it).
 */
import type { Protocol } from '../../core/protocol.ts';
import { parseHostKeys } from './backend/host-keys.ts';
import type { UpstreamEndpoint } from './backend/upstream-connect.ts';
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
  return {
    type: 'ssh',
    listen: (request) => {
      const { target } = request;
      const logger = request.logger.child({ target: target.name });
      parser ??= ShellParser.load();
      hostKey ??= generateHostKey();
      const spec = target.spec.ssh;
      const hostKeys = parseHostKeys(spec?.hostKeys ?? []);
      if (!spec) logger.error('the Target has no spec.ssh: every command will fail');
      for (const problem of hostKeys.problems) logger.error({ problem }, 'host key ignored');
      const endpoint: UpstreamEndpoint = { target: target.name, host: spec?.host ?? '', port: spec?.port ?? 22, hostKeys: hostKeys.keys };
      const sessions = createSshSessionFactory({
        target,
        config: request.config,
        gate: request.gate,
        windowGrants: request.windowGrants,
        recordings: request.recordings,
        recordingHealth: request.recordingHealth,
        metrics: request.metrics,
        logger,
        clock: request.clock,
        ...(request.recorderOptions ? { recorderOptions: request.recorderOptions } : {}),
        parser,
        limits,
      });
      // The known_hosts entry the agent's tools will be given; until the webhook does, the log has it.
      logger.info({ hostKey: hostKey.publicKey, fingerprint: hostKey.fingerprint }, 'ssh listener host key');
      return SshListener.start({
        target,
        endpoint,
        host: request.host,
        port: request.port,
        hostKey,
        authenticator: request.authenticator,
        credentials: request.credentials,
        limits,
        logger,
        sessions,
        ...(request.onSessionCount ? { onSessionCount: request.onSessionCount } : {}),
      });
    },
  };
}
