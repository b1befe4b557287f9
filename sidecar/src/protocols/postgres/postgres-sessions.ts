/**
 * Builds what one PostgreSQL session needs from the current config: the policies that apply to
 * this agent and target (compiled once per config), the masker (policies' masking rules and the
 * target's profile), a recorder chained to the session's sink (store-failure policy and bounds from
 * the Target's spec.recording, health reported to the sidecar-wide RecordingHealth), and metric
 * adapters. A masking
 * rule that does not compile is an error here, not a silently weaker masker: the control plane
 * never serves such a policy, so meeting one means the config is corrupt.
 */

import { type CompiledPolicy, compilePolicy, compileSqlMatch, policiesFor, type SqlFacts } from '@airlock/contracts/policy';
import { recordableStartupParameters } from '@airlock/contracts/recording';
import type { Logger } from 'pino';
import type { ApprovalGrants } from '../../core/approval/grants.ts';
import type { SidecarMetrics } from '../../core/observability/metrics.ts';
import type { AgentPrincipal, ApprovalGate, ConfigSource, SidecarConfig, TargetConfig } from '../../core/ports.ts';
import type { RecordingHealth } from '../../core/recording/recording-health.ts';
import { recorderSettingsFor } from '../../core/recording/recording-settings.ts';
import { SessionRecorder } from '../../core/recording/session-recorder.ts';
import type { RecordingStore } from '../../core/recording/sink.ts';
import type { CancelRegistry } from './cancel-registry.ts';
import { compileMasking } from './masking/compile-masking.ts';
import type { Masker } from './masking/row-masker.ts';
import type { PgSessionServices, SessionMetrics } from './session/services.ts';
import type { BatchClassification } from './sql/classification.ts';

export class MaskingConfigError extends Error {
  readonly code = 'MaskingConfigInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'MaskingConfigError';
  }
}

export interface PgSessionFactoryDeps {
  readonly target: TargetConfig;
  readonly config: ConfigSource;
  readonly classify: (text: string) => BatchClassification;
  readonly gate: ApprovalGate;
  readonly windowGrants: ApprovalGrants;
  readonly cancels: CancelRegistry;
  readonly recordings: RecordingStore;
  /** Sidecar-wide: readiness, metrics and logs about the store. */
  readonly recordingHealth: RecordingHealth;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  readonly limits: { readonly maxStatementBytes: number };
  readonly clock: () => number;
  /** Test hook: more batching options for the recorder. */
  readonly recorderOptions?: {
    readonly maxBatchDelayMs?: number;
    readonly initialRetryDelayMs?: number;
    readonly maxRetryDelayMs?: number;
  };
}

interface Compiled {
  readonly config: SidecarConfig;
  readonly principal: AgentPrincipal;
  readonly policies: readonly CompiledPolicy<SqlFacts>[];
  readonly masker: Masker | undefined;
}

export function compileForSession(config: SidecarConfig, principal: AgentPrincipal, target: TargetConfig): Compiled {
  const applicable = policiesFor(config.policies, principal, target);
  const sets = applicable
    .filter((policy) => (policy.spec.masking?.rules?.length ?? 0) > 0)
    .map((policy) => {
      const ref = policy.spec.masking?.hashKeySecretRef;
      const hashKey = ref ? config.maskingKeys[`${ref.name}/${ref.key}`] : undefined;
      return { policyName: policy.name, rules: policy.spec.masking?.rules ?? [], ...(hashKey ? { hashKey } : {}) };
    });
  const profile = target.spec.maskingProfile ?? 'none';
  let masker: Masker | undefined;
  if (sets.length > 0 || profile !== 'none') {
    const compiled = compileMasking({ sets, profile });
    if (compiled.errors.length > 0) {
      throw new MaskingConfigError(
        `masking rules for target ${target.name} do not compile: ${compiled.errors.map((e) => `${e.policy ?? ''}/${e.rule} ${e.field}: ${e.message}`).join('; ')}`,
      );
    }
    masker = compiled.masker;
  }
  return { config, principal, policies: applicable.map((policy) => compilePolicy(policy, compileSqlMatch)), masker };
}

export function createPgSessionFactory(deps: PgSessionFactoryDeps) {
  const { target, metrics } = deps;
  const protocol = 'postgres' as const;
  // Parsed once per factory: an unreadable duration fails the listener's start, not a session.
  const recording = recorderSettingsFor(target.spec.recording);
  let cache: Compiled | undefined;
  const sessionMetrics: SessionMetrics = {
    statement: (decision, mode) => metrics.statements.inc({ protocol, decision, mode }),
    approvalWait: (outcome, seconds) =>
      metrics.approvalWaitSeconds.observe(
        { protocol, outcome: outcome.toLowerCase() as 'approved' | 'denied' | 'expired' | 'withdrawn' | 'failed' },
        seconds,
      ),
    bytes: (direction, count) => metrics.bytes.inc({ protocol, direction }, count),
    masked: (rule, count) => metrics.maskedFields.inc({ protocol, rule }, count),
    maskedBinaryNulled: (count) => metrics.maskedBinaryNulled.inc(count),
    parseCache: (hit) => metrics.parseCacheLookups.inc({ result: hit ? 'hit' : 'miss' }),
    error: (code) => metrics.errors.inc({ protocol, code }),
  };
  return (input: {
    sessionId: string;
    principal: AgentPrincipal;
    clientAddress: string;
    parameters: ReadonlyMap<string, string>;
  }): PgSessionServices => {
    const config = deps.config.current();
    if (cache?.config !== config || cache.principal !== input.principal) cache = compileForSession(config, input.principal, target);
    const logger = deps.logger.child({ sessionId: input.sessionId, target: target.name });
    const recorder = new SessionRecorder({
      sessionId: input.sessionId,
      sink: deps.recordings.open(input.sessionId),
      clock: () => new Date(deps.clock()),
      onStoreFailure: recording.onStoreFailure,
      blockTimeoutMs: recording.blockTimeoutMs,
      flushTimeoutMs: recording.flushTimeoutMs,
      ...deps.recorderOptions,
      observer: deps.recordingHealth.observer(logger),
    });
    const { principal } = input;
    recorder.record({
      type: 'session.open',
      sessionId: input.sessionId,
      protocol,
      target: { name: target.name, namespace: target.namespace },
      principal: {
        identity: principal.identity,
        namespace: principal.namespace,
        serviceAccount: principal.serviceAccount,
        pod: principal.pod,
        groups: principal.groups,
        ...(principal.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
      },
      clientAddress: input.clientAddress,
      startupParameters: recordableStartupParameters(Object.fromEntries(input.parameters)),
    });
    return {
      sessionId: input.sessionId,
      target,
      principal,
      policies: cache.policies,
      classify: deps.classify,
      ...(cache.masker ? { masker: cache.masker } : {}),
      gate: deps.gate,
      windowGrants: deps.windowGrants,
      cancels: deps.cancels,
      record: recorder,
      metrics: sessionMetrics,
      logger,
      limits: deps.limits,
      clock: deps.clock,
    };
  };
}
