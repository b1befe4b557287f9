/**
 * What one SSH agent connection needs: the protocol-neutral session context (policies compiled
 * with the SSH rule matcher, recorder, metrics; core/session) plus what reads SSH: the shell parser,
 * the limits, and the approvals scoped to this connection. One agent connection is one recorded
 * session; each exec channel on it is one command of that session.
 */
import type { SshFacts } from '@airlock/contracts/policy';
import { compileSshMatch } from '@airlock/contracts/policy';
import { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { AgentPrincipal } from '../../../core/ports.ts';
import { createSessionContexts, type SessionContext, type SessionContextDeps } from '../../../core/session/session-context.ts';
import type { SshLimits } from '../limits/ssh-limits.ts';
import type { ShellParser } from '../shell/index.ts';

export interface SshSessionServices extends SessionContext<SshFacts> {
  readonly parser: ShellParser;
  readonly limits: SshLimits;
  /** Approvals with scope session: they cover this agent connection only. */
  readonly sessionGrants: ApprovalGrants;
}

export interface SshSessionFactoryDeps extends Omit<SessionContextDeps<SshFacts>, 'protocol' | 'compileMatch'> {
  readonly parser: ShellParser;
  readonly limits: SshLimits;
}

export type SshSessionFactory = (input: {
  readonly sessionId: string;
  readonly principal: AgentPrincipal;
  readonly clientAddress: string;
  /** The user name the agent logged in with; recorded, never used to log in upstream. */
  readonly agentUser: string;
}) => SshSessionServices;

export function createSshSessionFactory(deps: SshSessionFactoryDeps): SshSessionFactory {
  const contexts = createSessionContexts<SshFacts>({ ...deps, protocol: 'ssh', compileMatch: compileSshMatch });
  return (input) => {
    const context = contexts({
      sessionId: input.sessionId,
      principal: input.principal,
      clientAddress: input.clientAddress,
      startupParameters: { user: input.agentUser },
    });
    return { ...context, parser: deps.parser, limits: deps.limits, sessionGrants: new ApprovalGrants(context.clock) };
  };
}
