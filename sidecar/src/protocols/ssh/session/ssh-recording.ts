/**
 * What one agent connection writes to its recording and its metrics. The recording format's bodies
 * are named after SQL where PostgreSQL came first; SSH uses the neutral reading of each:
 * - `statement`: the exact command line (or `subsystem sftp`), at its index in the connection;
 * - `classification`: kinds `exec` or `subsystem` (plus `unknown`), `commands` the programs the line runs, in
 *   order, `objects` the files it writes through redirections, `unknownReason` why the line could
 *   not be read; no functions, never writes-without-where;
 * - `decision`, `approval.requested`, `approval.outcome`: as for SQL;
 * - `result`: `exit <status>` or `signal <name>` as the command tag, when the command ran;
 * - `error`: why it could not run (the host was not reached, a limit).
 * `record` stops at session.close: what arrives after it is not part of the session.
 */
import { SessionLedger } from '../../../core/session/session-ledger.ts';
import type { CommandDecision } from './command-decision.ts';
import type { SshSessionServices } from './ssh-session-services.ts';

/** How an upstream command ended. */
export interface CommandExit {
  readonly code?: number;
  /** Without the SIG prefix: TERM, KILL. */
  readonly signal?: string;
}

export class SshRecording extends SessionLedger {
  readonly #services: Pick<SshSessionServices, 'record' | 'metrics' | 'target'>;

  constructor(services: Pick<SshSessionServices, 'record' | 'metrics' | 'target'>) {
    super(services);
    this.#services = services;
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
    // In audit mode, what the policy said is the audit verdict; what happened is allow.
    const said = decision.verdict ?? decision.audit[0];
    const mode = decision.verdict ? 'enforce' : said ? 'audit' : 'enforce';
    this.record({
      type: 'decision',
      statementIndex,
      action: said?.action ?? decision.action,
      effective: decision.action,
      mode,
      ...(said ? { policy: `${this.#services.target.namespace}/${said.policy}`, rule: said.rule ?? 'default' } : {}),
      reason: decision.reason,
    });
    this.#services.metrics.statement(said?.action ?? decision.action, mode);
  }

  exited(statementIndex: number, exit: CommandExit): void {
    this.record({ type: 'result', statementIndex, commandTag: exitTag(exit) });
  }

  failed(statementIndex: number | undefined, code: string, message: string): void {
    this.#services.metrics.error(code);
    this.record({ type: 'error', ...(statementIndex === undefined ? {} : { statementIndex }), code, message });
  }
}

/** `exit 0`, `signal TERM`, or `closed` when the host sent neither. */
export function exitTag(exit: CommandExit): string {
  if (exit.code !== undefined) return `exit ${exit.code}`;
  if (exit.signal !== undefined) return `signal ${exit.signal}`;
  return 'closed';
}
