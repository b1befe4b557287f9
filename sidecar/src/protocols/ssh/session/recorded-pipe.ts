/**
 * The channels of a command (or shell) that runs, joined (channel-pipe.ts) with the recording in
 * between (channel-capture.ts): a `terminal` event, the output, and the result with its exit and
 * byte counts. When the session's records cannot be stored under recording Block, the pipe stops:
 * the agent reads why on stderr and its channel closes without an exit status (its `ssh` exits
 * 255), the same as when the host connection is lost mid-command, because the command's status
 * would claim a run whose record is not kept. The command itself may go on running on the host
 * until the closed channel ends it (sshd sends it SIGHUP through the pty, or it reads EOF).
 */
import type { PseudoTtyOptions, ServerChannel } from 'ssh2';
import type { HostExit, UpstreamChannel } from '../backend/upstream-link.ts';
import { tell } from './channel-answer.ts';
import { pipeChannels } from './channel-pipe.ts';
import type { ChannelMasking } from './output-masking.ts';
import type { SshRecording } from './ssh-recording.ts';

export interface RecordedPipeContext {
  readonly recording: SshRecording;
  readonly statementIndex: number;
  /** The agent's terminal, when it asked for one: recorded, and the sidecar's own lines end in CRLF. */
  readonly pty?: PseudoTtyOptions | undefined;
  /** Resolves when the agent closed the channel or its connection. */
  readonly closed: Promise<void>;
  /** The capture, as soon as it exists: window changes are recorded through it. */
  readonly onCapture?: ((capture: ResizeRecorder) => void) | undefined;
  /** The masking of the host's output (output-masking.ts); absent when no rule reads values. */
  readonly masking?: ChannelMasking | undefined;
}

/** What the session channel, which sees window-change requests, records them with. */
export interface ResizeRecorder {
  resized(cols: number, rows: number): void;
}

export type RecordedOutcome =
  | { readonly kind: 'ended'; readonly exit: HostExit }
  | { readonly kind: 'agentGone' }
  /** The recording could not be stored (Block): the agent was told and its channel closed. */
  | { readonly kind: 'unrecorded'; readonly message: string };

export async function pipeRecorded(agent: ServerChannel, host: UpstreamChannel, context: RecordedPipeContext): Promise<RecordedOutcome> {
  const { recording, statementIndex, pty } = context;
  const capture = recording.capture(statementIndex, pty);
  context.onCapture?.(capture);
  const { masking } = context;
  const outcome = await pipeChannels(agent, host, {
    bytesIn: (count) => recording.bytesIn(count),
    bytesOut: (count) => recording.bytesOut(count),
    agentGone: context.closed,
    tap: {
      data: (stream, chunk) => capture.data(stream, chunk),
      ended: (exit) => {
        // What was masked goes into the record before the result, so both are stored before the exit status is sent.
        const maskedByRule = masking?.counts() ?? {};
        if (Object.keys(maskedByRule).length > 0) recording.record({ type: 'masking', statementIndex, maskedByRule, nulledBinary: 0 });
        return capture.ended(exit);
      },
    },
    ...(masking ? { outputFilter: (stream: 'stdout' | 'stderr') => masking.filter(stream) } : {}),
  });
  switch (outcome.kind) {
    case 'ended':
      // The capture recorded the result before the exit status went to the agent.
      return outcome;
    case 'agentGone':
      void capture.ended({})?.catch(() => undefined);
      return outcome;
    case 'stopped': {
      void capture.ended({})?.catch(() => undefined);
      const message = `the session's records cannot be stored, so the output was cut off here and the exit status is withheld: ${outcome.error.message}`;
      recording.failed(statementIndex, 'StoreUnavailable', message);
      tell(agent, [message], pty !== undefined, () => agent.end());
      return { kind: 'unrecorded', message };
    }
  }
}
