/**
 * The part of an exec or a shell that happens once it is allowed (or approved): the Recording
 * Block check, the host's channel opened for exactly what was decided, the agent's channel joined
 * to it with its output recorded (recorded-pipe.ts) until the host reports how it ended, the
 * result recorded, and, when an approval released it, reported back to the ApprovalRequest. The
 * two requests differ only in what they open on the host and what the agent's messages call them.
 */
import type { ClientChannel, PseudoTtyOptions, ServerChannel } from 'ssh2';
import { SshUpstreamError } from '../backend/upstream-error.ts';
import type { UpstreamChannel } from '../backend/upstream-link.ts';
import { EXIT_STATUS, upstreamFailedSentences } from './agent-messages.ts';
import { answer } from './channel-answer.ts';
import { channelMasking } from './output-masking.ts';
import { pipeRecorded, type ResizeRecorder } from './recorded-pipe.ts';
import { exitTag, type SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';

export interface UpstreamRunContext {
  readonly services: SshSessionServices;
  readonly recording: SshRecording;
  /** The agent asked for a terminal: the sidecar's own lines end in CRLF. */
  readonly terminal: boolean;
  /** That terminal, recorded with the channel's output. */
  readonly pty?: PseudoTtyOptions;
  /** The channel's recording, once it runs: window changes are recorded through it. */
  onCapture?(capture: ResizeRecorder): void;
  /** Resolves when the agent closed the channel or its connection. */
  readonly closed: Promise<void>;
  /** The host's channel, once open: window changes and signals go to it. */
  onUpstream(channel: ClientChannel): void;
}

export interface UpstreamRequest {
  /** Opens the host's channel for exactly what was decided. */
  open(): Promise<UpstreamChannel>;
  /** What the messages call it: "command", "shell". */
  readonly noun: string;
  /** What did not happen when it could not start: "the command was not run". */
  readonly notStarted: string;
}

export type ExecutionReport = (execution: { readonly ok: boolean; readonly result: string }) => Promise<void>;

export async function runOnUpstream(
  agent: ServerChannel,
  context: UpstreamRunContext,
  statementIndex: number,
  request: UpstreamRequest,
  report: ExecutionReport | undefined,
): Promise<void> {
  const { services, recording, terminal } = context;
  const reportSafely = (ok: boolean, result: string): void => {
    void report?.({ ok, result }).catch((error: Error) =>
      services.logger.warn({ err: { message: error.message } }, 'the execution report could not be sent'),
    );
  };
  try {
    // Recording Block: the decision is stored before anything goes to the host.
    await services.record.beforeForward();
  } catch (error) {
    const message = `the session's records cannot be stored, so ${request.notStarted}: ${(error as Error).message}`;
    recording.failed(statementIndex, 'StoreUnavailable', message);
    answer(agent, [message], EXIT_STATUS.denied, terminal);
    reportSafely(false, message);
    return;
  }
  let channel: UpstreamChannel;
  try {
    channel = await request.open();
  } catch (error) {
    const failure =
      error instanceof SshUpstreamError ? error : new SshUpstreamError('UpstreamUnreachable', (error as Error).message, { cause: error });
    recording.failed(statementIndex, failure.code, failure.message);
    services.logger.warn({ code: failure.code, message: failure.message }, `${request.noun} not run: upstream failed`);
    answer(agent, upstreamFailedSentences(services.target.name, failure.message), EXIT_STATUS.upstreamFailed, terminal);
    reportSafely(false, failure.message);
    return;
  }
  context.onUpstream(channel.channel);
  // Records the channel's output and, before the exit status goes to the agent, its result.
  const outcome = await pipeRecorded(agent, channel, {
    recording,
    statementIndex,
    pty: context.pty,
    closed: context.closed,
    onCapture: (capture) => context.onCapture?.(capture),
    masking: channelMasking(services.maskingRules, (rule, count) => services.metrics.masked(rule, count)),
  });
  if (outcome.kind === 'agentGone') {
    reportSafely(false, `the agent closed the channel before the ${request.noun} ended`);
    return;
  }
  if (outcome.kind === 'unrecorded') {
    reportSafely(false, outcome.message);
    return;
  }
  reportSafely(outcome.exit.code === 0, exitTag(outcome.exit));
}
