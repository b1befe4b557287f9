/**
 * One subsystem request (sftp and the like). Approval is not offered for subsystems yet: the
 * approval digest covers text, target and identity, not the request type, so an approval of
 * `subsystem sftp` would also cover an exec of that same text.
 */
import type { ClientChannel, ServerChannel } from 'ssh2';
import { SshUpstreamError } from '../backend/upstream-error.ts';
import type { UpstreamChannel, UpstreamLink } from '../backend/upstream-link.ts';
import { deniedSentences, EXIT_STATUS, upstreamFailedSentences } from './agent-messages.ts';
import { answer } from './channel-answer.ts';
import { pipeChannels } from './channel-pipe.ts';
import { decideSubsystem } from './command-decision.ts';
import type { SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';

/** Runs only when a rule allows it, the bytes passed through as they are; otherwise answered like a denied command. */
export async function runSubsystem(
  agent: ServerChannel,
  name: string,
  deps: { readonly services: SshSessionServices; readonly recording: SshRecording; readonly upstream: UpstreamLink },
  closed: Promise<void>,
  onUpstream: (channel: ClientChannel) => void,
): Promise<void> {
  const { services, recording } = deps;
  const statementIndex = recording.nextCommandIndex();
  const decided = decideSubsystem(name, services.policies);
  recording.decided(statementIndex, decided);
  const { decision } = decided;
  if (decision.action !== 'allow') {
    const sentences =
      decision.action === 'deny'
        ? deniedSentences(decision.reason)
        : [`denied: the ${name} subsystem needs approval, which is not offered for subsystems yet`];
    answer(agent, sentences, EXIT_STATUS.denied, false);
    return;
  }
  try {
    await services.record.beforeForward();
  } catch (error) {
    const message = `the session's records cannot be stored, so the subsystem was not started: ${(error as Error).message}`;
    recording.failed(statementIndex, 'StoreUnavailable', message);
    answer(agent, [message], EXIT_STATUS.denied, false);
    return;
  }
  let channel: UpstreamChannel;
  try {
    channel = await deps.upstream.subsystem(name);
  } catch (error) {
    const failure = error instanceof SshUpstreamError ? error : new SshUpstreamError('UpstreamUnreachable', (error as Error).message);
    recording.failed(statementIndex, failure.code, failure.message);
    answer(agent, upstreamFailedSentences(services.target.name, failure.message), EXIT_STATUS.upstreamFailed, false);
    return;
  }
  onUpstream(channel.channel);
  const outcome = await pipeChannels(agent, channel, {
    bytesIn: (count) => recording.bytesIn(count),
    bytesOut: (count) => recording.bytesOut(count),
    agentGone: closed,
  });
  recording.exited(statementIndex, outcome.kind === 'ended' ? outcome.exit : {});
}
