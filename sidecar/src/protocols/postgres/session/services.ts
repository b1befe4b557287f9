/**
 * What a PostgreSQL session needs from the rest of the sidecar, as narrow structural types so the
 * session can be driven in tests without the HTTP server, the metrics registry or the files.
 */

import type { CompiledPolicy, SqlFacts } from '@airlock/contracts/policy';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { Logger } from 'pino';
import type { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { AgentPrincipal, ApprovalGate, TargetConfig } from '../../../core/ports.ts';
import type { CancelRegistry } from '../cancel-registry.ts';
import type { Masker } from '../masking/row-masker.ts';
import type { BatchClassification } from '../sql/classification.ts';

/**
 * The session's record: one call per event, in order. The waits reject with RecordingError
 * StoreUnavailable after the target's recording.blockTimeout (see docs/adr/0012).
 */
export interface SessionRecord {
  record(event: RecordedEvent): void;
  /** False while the store cannot keep up and the target says Block: forward nothing until true. */
  readonly writable: boolean;
  whenWritable(): Promise<void>;
  /** Before the first byte goes upstream: the session-open record is stored. */
  opened(): Promise<void>;
  /** Block: before bytes go upstream, the records that decided them are stored. Undefined: nothing to wait for. */
  beforeForward(): Promise<void> | undefined;
  /** After session.close: flush what is buffered and release the sink (bounded by recording.flushTimeout). */
  close(): Promise<void>;
}

export interface SessionMetrics {
  statement(decision: 'allow' | 'deny' | 'requireApproval', mode: 'enforce' | 'audit'): void;
  approvalWait(outcome: string, seconds: number): void;
  bytes(direction: 'in' | 'out', count: number): void;
  masked(rule: string, count: number): void;
  maskedBinaryNulled(count: number): void;
  parseCache(hit: boolean): void;
  error(code: string): void;
}

export interface PgSessionServices {
  readonly sessionId: string;
  readonly target: TargetConfig;
  readonly principal: AgentPrincipal;
  readonly policies: readonly CompiledPolicy<SqlFacts>[];
  readonly classify: (text: string) => BatchClassification;
  /** Absent when no masking rule or profile applies: rows are never inspected. */
  readonly masker?: Masker;
  readonly gate: ApprovalGate;
  /** Window-scoped approvals, shared by the sessions of this identity and target. */
  readonly windowGrants: ApprovalGrants;
  readonly cancels: CancelRegistry;
  readonly record: SessionRecord;
  readonly metrics: SessionMetrics;
  readonly logger: Logger;
  readonly limits: { readonly maxStatementBytes: number };
  readonly clock: () => number;
}
