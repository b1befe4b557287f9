/**
 * One subsystem request (sftp and the like), decided when it opens: denied (126 + the reason),
 * allowed, or held for approval of the session (kind `subsystem` in the approval digest, so the
 * approval never releases an exec of the same text; the agent closing the channel withdraws it; a
 * refusal is status 1). An approved sftp session is like an approved shell: what in it needs
 * approval is covered by that approval, while what a rule denies stays denied.
 *
 * `sftp` is then decided request by request (sftp/, ADR 0024): each file operation by its
 * direction and paths, recorded as a statement of the session with its decision, refused ones
 * answered by the sidecar and never sent. Any other subsystem a rule allows is a byte stream the
 * sidecar cannot read: it passes as it is, and the rule that allows it allows whatever it does.
 */
import { type Decision, decide, type SshFacts } from '@airlock/contracts/policy';
import type { ClientChannel, ServerChannel } from 'ssh2';
import { SshUpstreamError } from '../backend/upstream-error.ts';
import type { UpstreamChannel, UpstreamLink } from '../backend/upstream-link.ts';
import { SftpFilter } from '../sftp/sftp-filter.ts';
import { pipeSftp } from '../sftp/sftp-pipe.ts';
import { deniedSentences, EXIT_STATUS, subsystemSummary, upstreamFailedSentences } from './agent-messages.ts';
import { answer, tell } from './channel-answer.ts';
import { pipeChannels } from './channel-pipe.ts';
import { decideSubsystem } from './command-decision.ts';
import { holdExec } from './held-exec.ts';
import type { SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';
import type { ExecutionReport } from './upstream-run.ts';

/** Runs only when a rule allows it (sftp through its filter, another as bytes); otherwise answered like a denied command. */
export async function runSubsystem(
  agent: ServerChannel,
  name: string,
  deps: { readonly services: SshSessionServices; readonly recording: SshRecording; readonly upstream: UpstreamLink },
  closed: Promise<void>,
  onUpstream: (channel: ClientChannel) => void,
  shutdown: Promise<unknown> = new Promise(() => undefined),
): Promise<void> {
  const { services, recording } = deps;
  const statementIndex = recording.nextCommandIndex();
  const decided = decideSubsystem(name, services.policies);
  recording.decided(statementIndex, decided);
  const { decision } = decided;
  if (decision.action === 'deny') {
    answer(agent, deniedSentences(decision.reason), EXIT_STATUS.denied, false);
    return;
  }
  let approval: { readonly name?: string; readonly report?: ExecutionReport } | undefined;
  if (decision.action === 'requireApproval') {
    let pending: string | undefined;
    const held = await holdExec(
      services,
      recording,
      {
        kind: 'subsystem',
        noun: 'subsystem',
        command: decided.text,
        summary: subsystemSummary(deps.upstream.username, services.target.name, name),
        statementIndex,
        decision,
      },
      {
        tell: (sentences) => tell(agent, sentences, false),
        closed: Promise.race([closed, shutdown.then(() => undefined)]),
        onPending: (request) => {
          pending = request.name;
        },
      },
    );
    if (!held.release) {
      if (held.sentences) answer(agent, held.sentences, EXIT_STATUS.notApproved, false);
      else agent.close();
      return;
    }
    approval = { ...(pending ? { name: pending } : {}), ...(held.report ? { report: held.report } : {}) };
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
  const filter = new SftpFilter((facts) => judgeFileOperation(facts, services, recording, approval));
  const outcome = await pipeSftp(agent, channel, filter, { ...hooks, beforeForward: () => services.record.beforeForward() });
  if (outcome.kind === 'closed') recording.failed(statementIndex, outcome.code, outcome.message);
  recording.exited(statementIndex, outcome.kind === 'ended' ? outcome.exit : {});
  const result =
    outcome.kind === 'ended' ? 'the sftp session ended' : outcome.kind === 'closed' ? outcome.message : 'the agent closed the sftp session';
  await approval?.report?.({ ok: outcome.kind === 'ended', result }).catch(() => undefined);
}

/** The subsystem whose requests the sidecar reads and decides one by one. */
const SFTP = 'sftp';

/**
 * One SFTP file operation: decided, and recorded as a statement of the session. In a session a
 * reviewer approved, an operation that needs approval is covered by that approval (a request-by-
 * request hold is not offered); one a rule denies stays denied.
 */
function judgeFileOperation(
  facts: SshFacts,
  services: SshSessionServices,
  recording: SshRecording,
  approval: { readonly name?: string } | undefined,
): Decision {
  const decided = decide(facts, services.policies);
  const decision: Decision =
    approval && decided.action === 'requireApproval'
      ? {
          ...decided,
          action: 'allow',
          reason: `${decided.reason}; covered by the approval of this sftp session${approval.name ? ` (ApprovalRequest ${approval.name})` : ''}`,
        }
      : decided;
  recording.decided(recording.nextCommandIndex(), { requestType: 'subsystem', text: facts.text, decision });
  return decision;
}
