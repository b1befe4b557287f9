/**
 * What a PostgreSQL session needs from the rest of the sidecar, as narrow structural types so the
 * session can be driven in tests without the HTTP server, the metrics registry or the files.
 */

import type { CompiledPolicy, SqlFacts } from '@airlock/contracts/policy';
import type { Logger } from 'pino';
import type { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { AgentPrincipal, ApprovalGate, TargetConfig } from '../../../core/ports.ts';
import type { SessionRecord } from '../../../core/recording/session-record.ts';
import type { SessionMetrics } from '../../../core/session/session-metrics.ts';
import type { CancelRegistry } from '../cancel-registry.ts';
import type { Masker } from '../masking/row-masker.ts';
import type { BatchClassification } from '../sql/classification.ts';

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
