/**
 * The sidecar's Prometheus metrics, registered on the registry main.ts creates and serves. The
 * handles are typed by their label values, so a call site cannot invent a decision or a direction.
 * Label values stay low-cardinality: protocols, decisions, masking rule names and error codes,
 * never statements, objects or identities (those are in the recording).
 */
import type { TargetSpec } from '@airlock/crds';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';

export type MetricProtocol = TargetSpec['type'];

export interface LabelledCounter<L> {
  inc(labels: L, value?: number): void;
}
export interface LabelledGauge<L> {
  inc(labels: L, value?: number): void;
  dec(labels: L, value?: number): void;
  set(labels: L, value: number): void;
}
export interface LabelledHistogram<L> {
  observe(labels: L, value: number): void;
}
export interface PlainCounter {
  inc(value?: number): void;
}
export interface PlainGauge {
  inc(value?: number): void;
  dec(value?: number): void;
  set(value: number): void;
}

type ByProtocol = { readonly protocol: MetricProtocol };

/**
 * What became of a parent agent's request for a sub-agent's token: granted; refused by the broker
 * (not allowed, too deep, too broad, invalid); invalid before it reached the broker (the sidecar's
 * own 4xx); the broker could not be asked (answered 503).
 */
export type DelegationOutcome = 'granted' | 'refused' | 'invalid' | 'unavailable';

export interface SidecarMetrics {
  /** airlock_sidecar_statements_total: statements decided, by what the policy said (not what audit mode let through) and mode. */
  readonly statements: LabelledCounter<
    ByProtocol & { readonly decision: 'allow' | 'deny' | 'requireApproval'; readonly mode: 'enforce' | 'audit' }
  >;
  /** airlock_sidecar_approval_wait_seconds: from the ApprovalRequest's creation to its outcome. */
  readonly approvalWaitSeconds: LabelledHistogram<
    ByProtocol & { readonly outcome: 'approved' | 'denied' | 'expired' | 'withdrawn' | 'failed' }
  >;
  readonly sessionsActive: LabelledGauge<ByProtocol>;
  readonly sessions: LabelledCounter<ByProtocol>;
  /** in: from the agent; out: to the agent. */
  readonly bytes: LabelledCounter<ByProtocol & { readonly direction: 'in' | 'out' }>;
  readonly maskedFields: LabelledCounter<ByProtocol & { readonly rule: string }>;
  readonly maskedBinaryNulled: PlainCounter;
  readonly parseCacheLookups: LabelledCounter<{ readonly result: 'hit' | 'miss' }>;
  /** code: the error class's stable code. */
  readonly errors: LabelledCounter<ByProtocol & { readonly code: string }>;
  /** Records given up: Continue on a failed append, either policy when a closed session's recorder gives up. */
  readonly recordingLostRecords: PlainCounter;
  /** Sessions whose recording is blocked (Block policy, store failing): traffic is held. */
  readonly recordingBlocked: PlainGauge;
  /** Appends to the recording store that failed. */
  readonly recordingStoreFailures: PlainCounter;
  /** Sessions whose last append to the recording store failed. */
  readonly recordingStoreFailing: PlainGauge;
  /** airlock_sidecar_delegations_total: requests for a sub-agent's token, by outcome. */
  readonly delegations: LabelledCounter<{ readonly outcome: DelegationOutcome }>;
}

export interface SidecarMetricsOptions {
  /** Also register prom-client's process and Node.js metrics (default true), under their standard names. */
  readonly defaultMetrics?: boolean;
}

const PREFIX = 'airlock_sidecar_';

/** Human review takes seconds to a day; a bucket per step a reviewer would notice. */
export const APPROVAL_WAIT_BUCKETS: readonly number[] = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 86_400];

/** Registers the sidecar's metrics on `registry`; call once per registry (prom-client rejects a second registration). */
export function createSidecarMetrics(registry: Registry, options: SidecarMetricsOptions = {}): SidecarMetrics {
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    statements: new Counter({
      name: `${PREFIX}statements_total`,
      help: 'Statements decided, by the policy decision and the policy mode.',
      labelNames: ['protocol', 'decision', 'mode'],
      registers,
    }),
    approvalWaitSeconds: new Histogram({
      name: `${PREFIX}approval_wait_seconds`,
      help: 'Time a held command waited for its approval outcome.',
      labelNames: ['protocol', 'outcome'],
      buckets: [...APPROVAL_WAIT_BUCKETS],
      registers,
    }),
    sessionsActive: new Gauge({
      name: `${PREFIX}sessions_active`,
      help: 'Agent sessions open now.',
      labelNames: ['protocol'],
      registers,
    }),
    sessions: new Counter({
      name: `${PREFIX}sessions_total`,
      help: 'Agent sessions opened.',
      labelNames: ['protocol'],
      registers,
    }),
    bytes: new Counter({
      name: `${PREFIX}bytes_total`,
      help: 'Bytes proxied; direction in is from the agent, out is to the agent.',
      labelNames: ['protocol', 'direction'],
      registers,
    }),
    maskedFields: new Counter({
      name: `${PREFIX}masked_fields_total`,
      help: 'Response fields masked, by masking rule.',
      labelNames: ['protocol', 'rule'],
      registers,
    }),
    maskedBinaryNulled: new Counter({
      name: `${PREFIX}masked_binary_nulled_total`,
      help: 'Binary-format response fields nulled because they could not be masked in place.',
      registers,
    }),
    parseCacheLookups: new Counter({
      name: `${PREFIX}parse_cache_lookups_total`,
      help: 'Statement classification cache lookups, by hit or miss.',
      labelNames: ['result'],
      registers,
    }),
    errors: new Counter({
      name: `${PREFIX}errors_total`,
      help: 'Errors, by their stable code.',
      labelNames: ['protocol', 'code'],
      registers,
    }),
    recordingLostRecords: new Counter({
      name: `${PREFIX}recording_lost_records_total`,
      help: 'Session records given up because they could not be stored (recording.onStoreFailure Continue, or a closed session past recording.flushTimeout).',
      registers,
    }),
    recordingBlocked: new Gauge({
      name: `${PREFIX}recording_blocked`,
      help: 'Sessions whose traffic is held because their records cannot be stored (recording.onStoreFailure Block).',
      registers,
    }),
    recordingStoreFailures: new Counter({
      name: `${PREFIX}recording_store_failures_total`,
      help: 'Appends to the recording store that failed.',
      registers,
    }),
    recordingStoreFailing: new Gauge({
      name: `${PREFIX}recording_store_failing`,
      help: 'Sessions whose last append to the recording store failed.',
      registers,
    }),
    delegations: new Counter({
      name: `${PREFIX}delegations_total`,
      help: "Requests for a sub-agent's token, by outcome: granted, refused by the broker, invalid, or unavailable (the broker could not be asked).",
      labelNames: ['outcome'],
      registers,
    }),
  };
}
