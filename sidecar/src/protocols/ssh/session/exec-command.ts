/**
 * One exec request, from the line the agent sent to the exit status it gets: decided once
 * (command-decision.ts) and recorded; denied → the reason on stderr and status 126, the host never
 * contacted; held → the approval hold (held-exec.ts), then run once or the refusal and status 1;
 * allowed → run on the agent connection's upstream link with the exact line (upstream-run.ts), the
 * channels joined until the host reports how the command ended.
 */
import type { ClientChannel, PseudoTtyOptions, ServerChannel } from 'ssh2';
import type { UpstreamLink } from '../backend/upstream-link.ts';
import { commandSummary, deniedSentences, EXIT_STATUS } from './agent-messages.ts';
import { answer } from './channel-answer.ts';
import { decideCommand } from './command-decision.ts';
import type { ConnectionEnding } from './connection-ending.ts';
import { holdOnChannel } from './held-exec.ts';
import type { ResizeRecorder } from './recorded-pipe.ts';
import type { SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';
import { type ExecutionReport, runOnUpstream } from './upstream-run.ts';

export interface ExecContext {
  readonly services: SshSessionServices;
  readonly recording: SshRecording;
  readonly upstream: UpstreamLink;
  /** The terminal the agent asked for on this channel, if any: the command runs with it. */
  readonly pty?: PseudoTtyOptions;
  /** Resolves when the agent closed the channel or its connection. */
  readonly closed: Promise<void>;
  /** Resolves when the connection stops taking work (shutdown, token expiry): a held command is withdrawn (a running one may finish). */
  readonly shutdown: Promise<ConnectionEnding>;
  /** The host's channel, once the command runs: window changes and signals go to it. */
  onUpstream(channel: ClientChannel): void;
  /** The channel's recording, once the command runs: window changes are recorded through it. */
  onCapture?(capture: ResizeRecorder): void;
}

export const SHUTDOWN_WITHDRAWAL = 'the sidecar is shutting down: the request was withdrawn and the command was not run; run it again';

export async function runExec(agent: ServerChannel, command: string, context: ExecContext): Promise<void> {
  const { services, recording, upstream } = context;
  const terminal = context.pty !== undefined;
  const statementIndex = recording.nextCommandIndex();
  const decided = decideCommand(command, services.parser, services.policies, services.limits);
  recording.decided(statementIndex, decided);
  const { decision } = decided;
  switch (decision.action) {
    case 'deny':
      answer(agent, deniedSentences(decision.reason), EXIT_STATUS.denied, terminal);
      return;
    case 'requireApproval': {
      // The login user once this connection has logged in; never fetched just for the summary: with a
      // certificate authority that would sign a certificate nobody uses.
      const user = upstream.username;
      const held = await holdOnChannel(
        services,
        recording,
        { command, summary: commandSummary(user, services.target.name, command), statementIndex, decision },
        {
          agent,
          terminal,
          closed: context.closed,
          shutdown: context.shutdown,
          shutdownMessage: SHUTDOWN_WITHDRAWAL,
          notRun: 'the command was not run',
        },
      );
      if (!held) return;
      await run(agent, command, context, statementIndex, held.report);
      return;
    }
    case 'allow':
      await run(agent, command, context, statementIndex, undefined);
      return;
  }
}

function run(
  agent: ServerChannel,
  command: string,
  context: ExecContext,
  statementIndex: number,
  report: ExecutionReport | undefined,
): Promise<void> {
  return runOnUpstream(
    agent,
    { ...context, terminal: context.pty !== undefined },
    statementIndex,
    { open: () => context.upstream.exec(command, context.pty), noun: 'command', notStarted: 'the command was not run' },
    report,
  );
}
