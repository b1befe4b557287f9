/**
 * One interactive session (`shell`), decided when it opens. A keystroke stream cannot be read
 * ahead of time (what is typed depends on what the host answers), so the session as a whole is
 * the operation: allowed, denied, or held for a reviewer who approves this session, knowing that
 * what is typed in it is not decided command by command. A shell without a terminal (`ssh -T host`
 * with a script on stdin) is the same request and is decided the same way.
 *
 * denied → the reason on stderr (on the terminal when there is one) and status 126, the host never
 * contacted; held → the approval hold (held-exec.ts, kind `shell`, so the digest never equals an
 * exec's), the agent closing the channel withdraws it, a refusal is status 1; allowed or approved
 * → the host's shell opened once with the agent's terminal (upstream-run.ts), both ways piped until
 * it ends, its exit status handed to the agent.
 */
import type { Decision } from '@airlock/contracts/policy';
import type { ServerChannel } from 'ssh2';
import { EXIT_STATUS, shellDeniedSentences, shellSummary } from './agent-messages.ts';
import { answer } from './channel-answer.ts';
import { decideShell } from './command-decision.ts';
import type { ExecContext } from './exec-command.ts';
import { holdOnChannel } from './held-exec.ts';
import { type ExecutionReport, runOnUpstream } from './upstream-run.ts';

export const SHELL_SHUTDOWN_WITHDRAWAL =
  'the sidecar is shutting down: the request was withdrawn and the shell was not opened; connect again';

export async function runShell(agent: ServerChannel, context: ExecContext): Promise<void> {
  const { services, recording } = context;
  const terminal = context.pty !== undefined;
  const statementIndex = recording.nextCommandIndex();
  const decided = decideShell(services.policies);
  recording.decided(statementIndex, decided);
  const { decision } = decided;
  switch (decision.action) {
    case 'deny':
      answer(agent, shellDeniedSentences(decision.reason, services.target.name), EXIT_STATUS.denied, terminal);
      return;
    case 'requireApproval': {
      const released = await holdShell(agent, context, decided.text, statementIndex, decision);
      if (released) await open(agent, context, statementIndex, released.report);
      return;
    }
    case 'allow':
      await open(agent, context, statementIndex, undefined);
      return;
  }
}

/** Resolves with the release, or undefined once the agent was told why the shell will not open (or is gone). */
async function holdShell(
  agent: ServerChannel,
  context: ExecContext,
  text: string,
  statementIndex: number,
  decision: Decision,
): Promise<{ readonly report?: ExecutionReport } | undefined> {
  const { services, recording, upstream } = context;
  const terminal = context.pty !== undefined;
  // The reviewer reads which user the sidecar logs in as, once this connection has logged in;
  // otherwise the summary names only the host. Never fetched just for the summary: with a
  // certificate authority that would sign a certificate nobody uses.
  const user = upstream.username;
  return holdOnChannel(
    services,
    recording,
    {
      kind: 'shell',
      noun: 'shell',
      command: text,
      summary: shellSummary(user, services.target.name, context.pty?.term),
      statementIndex,
      decision,
    },
    {
      agent,
      terminal,
      closed: context.closed,
      shutdown: context.shutdown,
      shutdownMessage: SHELL_SHUTDOWN_WITHDRAWAL,
      notRun: 'the shell was not opened',
    },
  );
}

function open(agent: ServerChannel, context: ExecContext, statementIndex: number, report: ExecutionReport | undefined): Promise<void> {
  return runOnUpstream(
    agent,
    { ...context, terminal: context.pty !== undefined },
    statementIndex,
    { open: () => context.upstream.shell(context.pty), noun: 'shell', notStarted: 'the shell was not opened' },
    report,
  );
}
