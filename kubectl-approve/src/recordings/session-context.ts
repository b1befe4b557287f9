/**
 * The statements (SQL) or commands (SSH) that came before a held one in its recorded session: what
 * the agent did just before it asked, which is often what makes a request make sense (or not).
 * Pure: from the session's records (@airlock/contracts recording/events.ts) to a list a view can
 * print.
 */
import type { RecordedEvent, ResultEvent, StoredRecord } from '@airlock/contracts/recording';

export interface SessionStatement {
  readonly index: number;
  readonly time: string;
  readonly text: string;
  /** allow, deny, requireApproval; with the rule that said so. */
  readonly decision?: { readonly action: string; readonly rule?: string; readonly policy?: string };
  /** The command tag (SSH: `exit 2`, `signal TERM`), or the error. */
  readonly outcome?: string;
  /** The ApprovalRequest this statement waited on, and how that ended. */
  readonly approval?: { readonly name: string; readonly phase?: string };
}

export type ChainCheck = { readonly ok: true; readonly records: number } | { readonly ok: false; readonly message: string };

export interface SessionContext {
  readonly sessionId: string;
  /** Where the records were read. */
  readonly source: string;
  readonly chain: ChainCheck;
  /** Who the session belongs to, as the sidecar recorded it at session.open. */
  readonly principal?: { readonly identity: string; readonly serviceAccount: string; readonly pod: string };
  /** The statements before the held one, oldest first, at most `limit`. */
  readonly before: readonly SessionStatement[];
  /** Earlier statements left out to keep to the limit. */
  readonly omitted: number;
  /** The held statement as recorded, to compare with the request's text. */
  readonly held?: SessionStatement;
}

/** Folds a session's records into statements, by statement index. */
export function sessionStatements(records: readonly StoredRecord<RecordedEvent>[]): SessionStatement[] {
  const byIndex = new Map<number, SessionStatement>();
  const update = (index: number, change: Partial<SessionStatement>) => {
    const current = byIndex.get(index);
    if (current) byIndex.set(index, { ...current, ...change });
  };
  for (const record of records) {
    const event = record.event;
    switch (event.type) {
      case 'statement':
        byIndex.set(event.statementIndex, { index: event.statementIndex, time: record.time, text: event.text });
        break;
      case 'decision':
        update(event.statementIndex, {
          decision: {
            action: event.effective === event.action ? event.action : `${event.action} (audit: ${event.effective})`,
            ...(event.rule ? { rule: event.rule } : {}),
            ...(event.policy ? { policy: event.policy } : {}),
          },
        });
        break;
      case 'approval.requested':
        update(event.statementIndex, { approval: { name: event.name } });
        break;
      case 'approval.outcome':
        update(event.statementIndex, { approval: { name: event.name, phase: event.phase } });
        break;
      case 'result':
        update(event.statementIndex, { outcome: resultText(event) });
        break;
      case 'error':
        if (event.statementIndex !== undefined)
          update(event.statementIndex, { outcome: `error ${event.sqlstate ?? event.code}: ${event.message}` });
        break;
      default:
        break;
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** SSH results say the exit as fields (older recordings only in the tag, which says the same). */
function resultText(event: ResultEvent): string {
  if (event.exitStatus !== undefined) return `exit ${event.exitStatus}`;
  if (event.signal !== undefined) return `signal ${event.signal}${event.coreDumped ? ' (core dumped)' : ''}`;
  return event.commandTag;
}

export interface ContextInput {
  readonly sessionId: string;
  readonly source: string;
  readonly chain: ChainCheck;
  readonly records: readonly StoredRecord<RecordedEvent>[];
  /** The request's name: the statement whose approval.requested names it is the held one. */
  readonly requestName: string;
  /** spec.operation.sequence, used when no approval.requested names the request. */
  readonly sequence?: number;
  readonly limit: number;
}

export function sessionContext(input: ContextInput): SessionContext {
  const statements = sessionStatements(input.records);
  const heldIndex = statements.find((s) => s.approval?.name === input.requestName)?.index ?? input.sequence;
  const earlier = heldIndex === undefined ? statements : statements.filter((s) => s.index < heldIndex);
  const before = input.limit > 0 ? earlier.slice(-input.limit) : [];
  const open = input.records.find((r) => r.event.type === 'session.open')?.event;
  const held = heldIndex === undefined ? undefined : statements.find((s) => s.index === heldIndex);
  return {
    sessionId: input.sessionId,
    source: input.source,
    chain: input.chain,
    ...(open?.type === 'session.open'
      ? { principal: { identity: open.principal.identity, serviceAccount: open.principal.serviceAccount, pod: open.principal.pod.name } }
      : {}),
    before,
    omitted: earlier.length - before.length,
    ...(held ? { held } : {}),
  };
}
