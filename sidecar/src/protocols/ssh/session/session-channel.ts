/**
 * One session channel of an agent connection and the requests on it. What runs is one exec
 * (exec-command.ts), one interactive shell (shell-session.ts) or an allowed subsystem; what only
 * shapes it is kept or refused here:
 * - `pty-req` is kept and the command or shell runs with that terminal; `window-change` and
 *   `signal` go to the running command or shell;
 * - `env` is ignored, never forwarded: a variable the agent sets (LD_PRELOAD, BASH_ENV, PATH)
 *   would change what the host runs without being in the command line the policy read;
 * - `x11-req` and `auth-agent-req` are refused: they would open channels from the host back into
 *   the pod;
 * - `shell` (an interactive session, with or without a terminal) is decided once, when it opens:
 *   a keystroke stream cannot be decided command by command;
 * - `subsystem` runs when a rule allows it, otherwise it is answered like a denied command.
 */
import type { ClientChannel, PseudoTtyInfo, PseudoTtyOptions, ServerChannel, Session, TerminalModes } from 'ssh2';
import type { UpstreamLink } from '../backend/upstream-link.ts';
import type { ConnectionEnding } from './connection-ending.ts';
import { type ExecContext, runExec } from './exec-command.ts';
import type { ResizeRecorder } from './recorded-pipe.ts';
import { runShell } from './shell-session.ts';
import type { SshRecording } from './ssh-recording.ts';
import type { SshSessionServices } from './ssh-session-services.ts';
import { runSubsystem } from './subsystem-request.ts';

export interface SessionChannelDeps {
  readonly services: SshSessionServices;
  readonly recording: SshRecording;
  readonly upstream: UpstreamLink;
  /** Resolves when the agent connection is gone. */
  readonly connectionClosed: Promise<void>;
  /** Resolves when the connection stops taking work: the sidecar shuts down, or the agent's token expired. */
  readonly shutdown: Promise<ConnectionEnding>;
  /** The channel is closed (or its connection is gone): it no longer counts against the connection's limit. */
  onDone(): void;
  /**
   * The agent's end of an exec, shell or subsystem, once accepted, and whether it has a terminal:
   * the connection closes it with a message when the grace after the token's expiry is over.
   */
  onAgentChannel?(agent: ServerChannel, terminal: boolean): void;
}

export function serveSessionChannel(session: Session, deps: SessionChannelDeps): void {
  const { services, recording } = deps;
  let pty: PseudoTtyOptions | undefined;
  let upstream: ClientChannel | undefined;
  let capture: ResizeRecorder | undefined;
  const closed = Promise.race([new Promise<void>((resolve) => session.once('close', () => resolve())), deps.connectionClosed]);
  void closed.then(() => deps.onDone());
  session.on('error', () => undefined);
  session.on('env', (_accept, reject) => reject?.());
  session.on('pty', (accept, _reject, info: PseudoTtyInfo & { modes?: TerminalModes }) => {
    pty = {
      term: info.term,
      rows: info.rows,
      cols: info.cols,
      width: info.width,
      height: info.height,
      ...(info.modes ? { modes: info.modes } : {}),
    };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (pty) pty = { ...pty, rows: info.rows, cols: info.cols, width: info.width, height: info.height };
    upstream?.setWindow(info.rows, info.cols, info.height, info.width);
    capture?.resized(info.cols, info.rows);
    accept?.();
  });
  session.on('signal', (accept, reject, info) => {
    try {
      upstream?.signal(info.name.replace(/^SIG/, ''));
      accept?.();
    } catch {
      // ssh2 refuses a signal name outside RFC 4254's list: the agent's request is refused, not the connection.
      reject?.();
    }
  });
  session.on('x11', (_accept, reject) => {
    services.logger.info('X11 forwarding refused');
    reject?.();
  });
  session.on('auth-agent', (_accept, reject) => {
    services.logger.info('agent forwarding refused');
    reject?.();
  });
  // What an exec or a shell runs with: the terminal as the agent set it before the request.
  const runContext = (): ExecContext => ({
    services,
    recording,
    upstream: deps.upstream,
    ...(pty ? { pty } : {}),
    closed,
    shutdown: deps.shutdown,
    onUpstream: (channel) => {
      upstream = channel;
    },
    onCapture: (recorder) => {
      capture = recorder;
    },
  });
  // accept() returns nothing when the agent closed the channel in the meantime.
  session.on('exec', (accept, _reject, info) => {
    const agent = accept() as ServerChannel | undefined;
    if (!agent) return;
    deps.onAgentChannel?.(agent, pty !== undefined);
    void runExec(agent, info.command, runContext()).catch((error: Error) => {
      services.logger.error({ err: { message: error.message } }, 'exec failed');
      agent.close();
    });
  });
  session.on('shell', (accept) => {
    const agent = accept() as ServerChannel | undefined;
    if (!agent) return;
    deps.onAgentChannel?.(agent, pty !== undefined);
    void runShell(agent, runContext()).catch((error: Error) => {
      services.logger.error({ err: { message: error.message } }, 'shell failed');
      agent.close();
    });
  });
  session.on('subsystem', (accept, _reject, info) => {
    const agent = accept() as ServerChannel | undefined;
    if (!agent) return;
    deps.onAgentChannel?.(agent, false);
    void runSubsystem(
      agent,
      info.name,
      deps,
      closed,
      (channel) => {
        upstream = channel;
      },
      deps.shutdown,
    ).catch((error: Error) => {
      services.logger.error({ err: { message: error.message } }, 'subsystem failed');
      agent.close();
    });
  });
}
