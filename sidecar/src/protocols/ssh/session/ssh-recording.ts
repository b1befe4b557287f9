/**
 * What one agent connection writes to its recording and its metrics. The recording format's bodies
 * are named after SQL where PostgreSQL came first; SSH uses the neutral reading of each:
 * - `statement`: the exact command line (or `subsystem sftp`, `shell`, `port-forward db.internal:5432`
 *   for one forwarded connection), at its index in the connection;
 * - `classification`: kinds `exec`, `shell`, `subsystem` or `port-forward` (plus `unknown`), `commands` the programs the line runs, in
 *   order, `objects` the files it writes through redirections, `unknownReason` why the line could
 *   not be read; no functions, never writes-without-where;
 * - `decision`, `approval.requested`, `approval.outcome`: as for SQL;
 * - `terminal`, `output`, `terminal.resize`, `output.truncated`: what passed on the channel of a
 *   command that ran (channel-capture.ts), within the session's budget (recording-budget.ts);
 * - `result`: the exit status (or signal) as fields and, for older readers, as the command tag
 *   `exit <status>` or `signal <name>`; with the channel's byte counts when it was captured; a
 *   forwarded connection ends `closed`, with the bytes sent to the destination as `stdin` and
 *   those back as `stdout`, none of them recorded (`unrecordedBytes`);
 * - `error`: why it could not run (the host was not reached, a limit).
 * `record` stops at session.close: what arrives after it is not part of the session.
 */
import type { ResultEvent } from '@airlock/contracts/recording';
import { RecordingBudget } from '../../../core/recording/recording-budget.ts';
import { SessionLedger } from '../../../core/session/session-ledger.ts';
import { DEFAULT_SSH_LIMITS, type SshLimits } from '../limits/ssh-limits.ts';
import { type CaptureDeps, ChannelCapture, type ChannelTraffic, type CommandExit, type TerminalSize } from './channel-capture.ts';
import type { CommandDecision } from './command-decision.ts';
import type { SshSessionServices } from './ssh-session-services.ts';

export type { CommandExit } from './channel-capture.ts';

export type SshRecordingServices = Pick<SshSessionServices, 'record' | 'metrics' | 'target'> & {
  readonly limits?: Pick<SshLimits, 'maxRecordedBytes'>;
};

/** Over the capture's defaults (batching, the Block window, the clock); tests make them small. */
export type CaptureOptions = Partial<Pick<CaptureDeps, 'batch' | 'maxUnstoredBytes' | 'now'>>;

export class SshRecording extends SessionLedger {
  readonly #services: SshRecordingServices;
  readonly #budget: RecordingBudget;
  readonly #captureOptions: CaptureOptions;

  constructor(services: SshRecordingServices, captureOptions: CaptureOptions = {}) {
    super(services);
    this.#services = services;
    this.#budget = new RecordingBudget(services.limits?.maxRecordedBytes ?? DEFAULT_SSH_LIMITS.maxRecordedBytes);
    this.#captureOptions = captureOptions;
  }

  /** Starts recording the channel of a command that runs now (records its `terminal` event). */
  capture(statementIndex: number, pty: TerminalSize | undefined): ChannelCapture {
    return new ChannelCapture(statementIndex, pty, {
      ...this.#captureOptions,
      record: (event) => this.record(event),
      exited: (exit, traffic) => this.exited(statementIndex, exit, traffic),
      budget: this.#budget,
      beforeForward: () => this.#services.record.beforeForward(),
    });
  }

  nextCommandIndex(): number {
    return this.nextOperationIndex();
  }

  /** The command, what the analysis found and what the policies said. */
  decided(statementIndex: number, command: CommandDecision): void {
    const { decision, facts } = command;
    this.record({ type: 'statement', statementIndex, text: command.text });
    const unknownReason = facts ? facts.unknownReasons.join('; ') : decision.failedClosed ? decision.reason : '';
    this.record({
      type: 'classification',
      statementIndex,
      kinds: unknownReason ? [command.requestType, 'unknown'] : [command.requestType],
      commands: facts ? facts.commands.flatMap((c) => (c.program === undefined ? [] : [c.program])) : [],
      objects: facts ? [...new Set(facts.commands.flatMap((c) => c.writes))] : [],
      functions: [],
      writesWithoutWhere: false,
      cached: false,
      ...(unknownReason ? { unknownReason } : {}),
    });
    this.recordDecision(statementIndex, decision, this.#services.target.namespace);
  }

  exited(statementIndex: number, exit: CommandExit, traffic?: ChannelTraffic): void {
    this.record(resultEvent(statementIndex, exit, traffic));
  }

  failed(statementIndex: number | undefined, code: string, message: string): void {
    this.#services.metrics.error(code);
    this.record({ type: 'error', ...(statementIndex === undefined ? {} : { statementIndex }), code, message });
  }
}

/** The exit as fields and as the tag older readers know; a signal only when there is no status (as the host reports one or the other). */
export function resultEvent(statementIndex: number, exit: CommandExit, traffic?: ChannelTraffic): ResultEvent {
  return {
    type: 'result',
    statementIndex,
    commandTag: exitTag(exit),
    ...(exit.code !== undefined
      ? { exitStatus: exit.code }
      : exit.signal !== undefined
        ? { signal: exit.signal, ...(exit.coreDumped ? { coreDumped: true } : {}) }
        : {}),
    ...(traffic ? { bytes: traffic.bytes, unrecordedBytes: traffic.unrecordedBytes } : {}),
  };
}

/** `exit 0`, `signal TERM`, or `closed` when the host sent neither. */
export function exitTag(exit: CommandExit): string {
  if (exit.code !== undefined) return `exit ${exit.code}`;
  if (exit.signal !== undefined) return `signal ${exit.signal}`;
  return 'closed';
}
