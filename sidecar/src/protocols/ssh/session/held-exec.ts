/**
 * An exec command (or an interactive shell) held for approval: the neutral hold
 * (core/approval/approval-hold.ts) with SSH's words. The approval is bound to the exact command
 * line (digest over the request kind, the line, the target and the identity); the agent is told
 * on stderr which ApprovalRequest to get approved and how, the agent closing the channel withdraws
 * it, and a refusal becomes the sentences the agent reads. Nothing here runs anything: the caller
 * runs the command once, when the result says release.
 */
import type { Decision } from '@airlock/contracts/policy';
import type { ServerChannel } from 'ssh2';
import { holdForApproval } from '../../../core/approval/approval-hold.ts';
import type { PendingApproval } from '../../../core/ports.ts';
import { EXIT_STATUS, notApprovedSentences, waitingSentences } from './agent-messages.ts';
import { answer, tell } from './channel-answer.ts';
import { type ConnectionEnding, withdrawalSentences } from './connection-ending.ts';
import type { SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';
import type { ExecutionReport } from './upstream-run.ts';

export type HeldExecResult =
  | { readonly release: true; readonly report?: (execution: { readonly ok: boolean; readonly result: string }) => Promise<void> }
  /** `sentences` is absent when the agent went away: there is nobody to tell. */
  | { readonly release: false; readonly sentences?: readonly string[] };

export interface HeldExecInput {
  /** The request held: an exec (the default) or an interactive shell. Part of the digest, so an approval of one never releases the other. */
  readonly kind?: 'exec' | 'shell' | 'subsystem';
  /** What the agent's messages call it: "command" (the default) or "shell". */
  readonly noun?: string;
  readonly command: string;
  readonly summary: string;
  readonly statementIndex: number;
  readonly decision: Decision;
}

export interface HeldExecHooks {
  /** Writes the sidecar's lines to the agent's stderr. */
  tell(sentences: readonly string[]): void;
  /** Resolves when the agent closed the channel or its connection. */
  readonly closed: Promise<void>;
  onPending?(pending: PendingApproval): void;
}

export async function holdExec(
  services: SshSessionServices,
  recording: SshRecording,
  input: HeldExecInput,
  hooks: HeldExecHooks,
): Promise<HeldExecResult> {
  const result = await holdForApproval(
    services,
    {
      kind: input.kind ?? 'exec',
      text: input.command,
      parameters: [],
      summary: input.summary,
      statementIndex: input.statementIndex,
      decision: input.decision,
      noun: input.noun ?? 'command',
    },
    {
      waiting: (notice) => hooks.tell(waitingSentences(notice)),
      onPending: (pending) => hooks.onPending?.(pending),
      closed: hooks.closed,
      record: (event) => recording.record(event),
    },
  );
  if (result.release) return result.report ? { release: true, report: result.report } : { release: true };
  return result.refusal ? { release: false, sentences: notApprovedSentences(result.refusal) } : { release: false };
}

/** The agent's channel a hold waits on, and what the agent reads if the connection's end (shutdown, token expiry) withdraws it. */
export interface HoldChannel {
  readonly agent: ServerChannel;
  /** The agent has a terminal: the sidecar's lines end in CRLF. */
  readonly terminal: boolean;
  /** Resolves when the agent closed the channel or its connection. */
  readonly closed: Promise<void>;
  /** Resolves when the connection stops taking work (the sidecar shuts down, the token expired): that withdraws the request. */
  readonly shutdown: Promise<ConnectionEnding>;
  readonly shutdownMessage: string;
  /** What did not happen, for the token-expiry sentence: "the command was not run". */
  readonly notRun: string;
}

/**
 * holdExec on an agent channel: the waiting lines on its stderr, withdrawn when the agent leaves
 * or the sidecar shuts down, a refusal answered with its sentences and exit status 1. Resolves
 * with the release, or undefined once the agent was told why not (or is gone).
 */
export async function holdOnChannel(
  services: SshSessionServices,
  recording: SshRecording,
  input: HeldExecInput,
  channel: HoldChannel,
): Promise<{ readonly report?: ExecutionReport } | undefined> {
  const { agent, terminal } = channel;
  let ending: ConnectionEnding | undefined;
  const shutdown = channel.shutdown.then((why) => {
    ending = why;
  });
  const held = await holdExec(services, recording, input, {
    tell: (sentences) => tell(agent, sentences, terminal),
    closed: Promise.race([channel.closed, shutdown]),
  });
  if (held.release) return held.report ? { report: held.report } : {};
  if (held.sentences) answer(agent, held.sentences, EXIT_STATUS.notApproved, terminal);
  else if (ending) answer(agent, withdrawalSentences(ending, channel.shutdownMessage, channel.notRun), EXIT_STATUS.notApproved, terminal);
  return undefined;
}
