/**
 * An SshListener with nothing behind it, for tests of what happens before a login: pod identity
 * accepted for anyone, no upstream (credentials throw) and no session (the factory throws), so a
 * test that reaches either fails loudly.
 */
import { createLogger } from '@airlock/runtime';
import type { AgentPrincipal, TargetConfig } from '../../../core/ports.ts';
import { SshListener } from '../frontend/listener.ts';
import { generateHostKey } from '../frontend/listener-host-key.ts';
import { DEFAULT_SSH_LIMITS, type SshLimits } from '../limits/ssh-limits.ts';

const PRINCIPAL: AgentPrincipal = {
  identity: 'bot',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:bot',
  pod: { name: 'bot-1', uid: 'uid-1' },
  groups: [],
};
const TARGET: TargetConfig = {
  name: 'bastion',
  namespace: 'agents',
  labels: {},
  spec: { type: 'ssh', localPort: 2222, ssh: { host: '127.0.0.1', port: 1, hostKeys: [] } },
};

export function startBareListener(limits: Partial<SshLimits>): Promise<SshListener> {
  return SshListener.start({
    target: TARGET,
    endpoint: { target: TARGET.name, host: '127.0.0.1', port: 1, hostKeys: [] },
    host: '127.0.0.1',
    port: 0,
    hostKey: generateHostKey(),
    authenticator: { requiresToken: () => false, authenticate: async () => PRINCIPAL },
    credentials: {
      forTarget: async () => {
        throw new Error('no upstream in this test');
      },
    },
    limits: { ...DEFAULT_SSH_LIMITS, ...limits },
    logger: createLogger({ level: 'silent' }),
    sessions: () => {
      throw new Error('no agent gets a session in this test');
    },
  });
}
