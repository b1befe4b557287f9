/**
 * One exec request, from the line the agent sent to the exit status it gets: decided once
 * (command-decision.ts) and recorded; denied → the reason on stderr and status 126, the host never
 * contacted; held → the approval hold (held-exec.ts), then run once or the refusal and status 1;
 * allowed → run on the agent connection's upstream link with the exact line, the channels joined
 * (channel-pipe.ts) until the host reports how the command ended.
 */
import type { ClientChannel, PseudoTtyOptions, ServerChannel } from 'ssh2';
import { SshUpstreamError } from '../backend/upstream-error.ts';
import type { UpstreamChannel, UpstreamLink } from '../backend/upstream-link.ts';
import { commandSummary, deniedSentences, EXIT_STATUS, upstreamFailedSentences } from './agent-messages.ts';
import { answer, tell } from './channel-answer.ts';
import { pipeChannels } from './channel-pipe.ts';
import { decideCommand } from './command-decision.ts';
import { holdExec } from './held-exec.ts';
import { exitTag, type SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';

export interface ExecContext {
  readonly services: SshSessionServices;
  readonly recording: SshRecording;
  readonly upstream: UpstreamLink;
  /** The terminal the agent asked for on this channel, if any: the command runs with it. */
  readonly pty?: PseudoTtyOptions;
  /** Resolves when the agent closed the channel or its connection. */
  readonly closed: Promise<void>;
  /** Resolves when the sidecar shuts down: a held command is withdrawn (a running one may finish). */
  readonly shutdown: Promise<void>;
  /** The host's channel, once the command runs: window changes and signals go to it. */
  onUpstream(channel: ClientChannel): void;
}

export const SHUTDOWN_WITHDRAWAL = 'the sidecar is shutting down: the request was withdrawn and the command was not run; run it again';

type Report = (execution: { readonly ok: boolean; readonly result: string }) => Promise<void>;

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
      const user =
        upstream.username ??
        (await upstream.login().then(
          (login) => login.username,
          () => undefined,
        ));
      let shuttingDown = false;
      const shutdown = context.shutdown.then(() => {
        shuttingDown = true;
      });
      const held = await holdExec(
        services,
        recording,
        { command, summary: commandSummary(user, services.target.name, command), statementIndex, decision },
        { tell: (sentences) => tell(agent, sentences, terminal), closed: Promise.race([context.closed, shutdown]) },
      );
      if (!held.release) {
        if (held.sentences) answer(agent, held.sentences, EXIT_STATUS.notApproved, terminal);
        else if (shuttingDown) answer(agent, [SHUTDOWN_WITHDRAWAL], EXIT_STATUS.notApproved, terminal);
        return;
      }
      await run(agent, command, context, statementIndex, held.report);
      return;
    }
    case 'allow':
      await run(agent, command, context, statementIndex, undefined);
      return;
  }
}

async function run(
  agent: ServerChannel,
  command: string,
  context: ExecContext,
  statementIndex: number,
  report: Report | undefined,
): Promise<void> {
  const { services, recording, upstream } = context;
  const terminal = context.pty !== undefined;
  const reportSafely = (ok: boolean, result: string): void => {
    void report?.({ ok, result }).catch((error: Error) =>
      services.logger.warn({ err: { message: error.message } }, 'the execution report could not be sent'),
    );
  };
  try {
    // Recording Block: the decision is stored before the command goes to the host.
    await services.record.beforeForward();
  } catch (error) {
    const message = `the session's records cannot be stored, so the command was not run: ${(error as Error).message}`;
    recording.failed(statementIndex, 'StoreUnavailable', message);
    answer(agent, [message], EXIT_STATUS.denied, terminal);
    reportSafely(false, message);
    return;
  }
  let channel: UpstreamChannel;
  try {
    channel = await upstream.exec(command, context.pty);
  } catch (error) {
    const failure =
      error instanceof SshUpstreamError ? error : new SshUpstreamError('UpstreamUnreachable', (error as Error).message, { cause: error });
    recording.failed(statementIndex, failure.code, failure.message);
    services.logger.warn({ code: failure.code, message: failure.message }, 'command not run: upstream failed');
    answer(agent, upstreamFailedSentences(services.target.name, failure.message), EXIT_STATUS.upstreamFailed, terminal);
    reportSafely(false, failure.message);
    return;
  }
  context.onUpstream(channel.channel);
  const outcome = await pipeChannels(agent, channel, {
    bytesIn: (count) => recording.bytesIn(count),
    bytesOut: (count) => recording.bytesOut(count),
    agentGone: context.closed,
  });
  if (outcome.kind === 'agentGone') {
    recording.exited(statementIndex, {});
    reportSafely(false, 'the agent closed the channel before the command ended');
    return;
  }
  recording.exited(statementIndex, outcome.exit);
  reportSafely(outcome.exit.code === 0, exitTag(outcome.exit));
}
