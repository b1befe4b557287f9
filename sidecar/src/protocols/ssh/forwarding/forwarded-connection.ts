/**
 * One connection forwarded by `ssh -L` or `ssh -D` (a direct-tcpip channel open): decided when it
 * opens (forward-decision.ts) and recorded as a statement of the session (`port-forward
 * db.internal:5432`). Allowed: the host opens the same destination (the host resolves a name,
 * never the sidecar), and only then is the agent's channel opened, so a destination the host
 * cannot reach fails the agent's open as it would without the sidecar. Refused (denied, needs
 * approval, the store or the host failed): the open is refused with the reason, which the agent's
 * ssh prints after "administratively prohibited". The bytes are piped, counted and not recorded:
 * the result says how many went each way (`stdin` to the destination, `stdout` back).
 */
import type { Connection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import { SshUpstreamError } from '../backend/upstream-error.ts';
import type { UpstreamChannel, UpstreamLink } from '../backend/upstream-link.ts';
import { refuseChannelOpen } from '../frontend/channel-open-refusal.ts';
import type { SshRecording } from '../session/ssh-recording.ts';
import type { SshSessionServices } from '../session/ssh-session-services.ts';
import { decideForwarding } from './forward-decision.ts';
import { pipeForward } from './forward-pipe.ts';

export interface ForwardContext {
  readonly connection: Connection;
  readonly services: SshSessionServices;
  readonly recording: SshRecording;
  readonly upstream: UpstreamLink;
  /** Resolves when the agent connection is gone. */
  readonly connectionClosed: Promise<void>;
}

export interface ChannelOpen {
  /** ssh2's accept: the agent's channel, or nothing when the agent withdrew the open. */
  readonly accept: () => ServerChannel | undefined;
  readonly reject: (() => void) | undefined;
  readonly info: TcpipRequestInfo;
}

/** Resolves when the forwarded connection is over, or was refused. */
export async function serveForward(open: ChannelOpen, context: ForwardContext): Promise<void> {
  const { services, recording } = context;
  const { destIP: host, destPort: port } = open.info;
  const refuse = (reason: string): void => refuseChannelOpen(context.connection, open.reject, `airlock: ${reason}`);
  const statementIndex = recording.nextCommandIndex();
  const decided = decideForwarding(host, port, services.policies);
  recording.decided(statementIndex, decided);
  if (decided.decision.action !== 'allow') {
    services.logger.info({ operation: decided.text, reason: decided.decision.reason }, 'port forwarding refused');
    refuse(decided.decision.reason);
    return;
  }
  let gone = false;
  void context.connectionClosed.then(() => {
    gone = true;
  });
  try {
    await services.record.beforeForward();
  } catch (error) {
    const message = `the session's records cannot be stored, so the connection was not forwarded: ${(error as Error).message}`;
    recording.failed(statementIndex, 'StoreUnavailable', message);
    refuse(message);
    return;
  }
  let opened: UpstreamChannel;
  try {
    opened = await context.upstream.forwardOut(host, port);
  } catch (error) {
    const failure = error instanceof SshUpstreamError ? error : new SshUpstreamError('UpstreamUnreachable', (error as Error).message);
    recording.failed(statementIndex, failure.code, failure.message);
    refuse(failure.message);
    return;
  }
  const upstream = opened.channel;
  const agent = gone ? undefined : open.accept();
  if (!agent) {
    upstream.close();
    recording.exited(statementIndex, {}, { bytes: { stdin: 0, stdout: 0, stderr: 0 }, unrecordedBytes: 0 });
    return;
  }
  const traffic = await pipeForward(agent, upstream, {
    bytesIn: (count) => recording.bytesIn(count),
    bytesOut: (count) => recording.bytesOut(count),
    agentGone: context.connectionClosed,
  });
  recording.exited(
    statementIndex,
    {},
    { bytes: { stdin: traffic.toHost, stdout: traffic.toAgent, stderr: 0 }, unrecordedBytes: traffic.toHost + traffic.toAgent },
  );
}
