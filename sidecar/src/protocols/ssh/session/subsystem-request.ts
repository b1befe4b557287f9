/**
 * One subsystem request (sftp and the like), decided when it opens. Approval is not offered for
 * subsystems yet: a held subsystem is refused.
 *
 * `sftp` is then decided request by request (sftp/, ADR 0024): each file operation by its
 * direction and paths, recorded as a statement of the session with its decision, refused ones
 * answered by the sidecar and never sent. Any other subsystem a rule allows is a byte stream the
 * sidecar cannot read: it passes as it is, and the rule that allows it allows whatever it does.
 */
import { decide, type SshFacts } from '@airlock/contracts/policy';
import type { ClientChannel, ServerChannel } from 'ssh2';
import { SshUpstreamError } from '../backend/upstream-error.ts';
import type { UpstreamChannel, UpstreamLink } from '../backend/upstream-link.ts';
import { SftpFilter } from '../sftp/sftp-filter.ts';
import { pipeSftp } from '../sftp/sftp-pipe.ts';
import { deniedSentences, EXIT_STATUS, upstreamFailedSentences } from './agent-messages.ts';
import { answer } from './channel-answer.ts';
import { pipeChannels } from './channel-pipe.ts';
import { decideSubsystem } from './command-decision.ts';
import type { SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';

/** Runs only when a rule allows it (sftp through its filter, another as bytes); otherwise answered like a denied command. */
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
  const hooks = {
    bytesIn: (count: number) => recording.bytesIn(count),
    bytesOut: (count: number) => recording.bytesOut(count),
    agentGone: closed,
  };
  if (name !== SFTP) {
    const outcome = await pipeChannels(agent, channel, hooks);
    recording.exited(statementIndex, outcome.kind === 'ended' ? outcome.exit : {});
    return;
  }
  const filter = new SftpFilter((facts) => judgeFileOperation(facts, services, recording));
  const outcome = await pipeSftp(agent, channel, filter, { ...hooks, beforeForward: () => services.record.beforeForward() });
  if (outcome.kind === 'closed') recording.failed(statementIndex, outcome.code, outcome.message);
  recording.exited(statementIndex, outcome.kind === 'ended' ? outcome.exit : {});
}

/** The subsystem whose requests the sidecar reads and decides one by one. */
const SFTP = 'sftp';

/** One SFTP file operation: decided, and recorded as a statement of the session. */
function judgeFileOperation(facts: SshFacts, services: SshSessionServices, recording: SshRecording) {
  const decision = decide(facts, services.policies);
  recording.decided(recording.nextCommandIndex(), { requestType: 'subsystem', text: facts.text, decision });
  return decision;
}
