/**
 * What every session needs from the current config, whatever its protocol: the policies that apply
 * to this agent and target (compiled with the protocol's rule-match compiler, once per config and
 * principal), the masking rules compiled wire-free (the protocol builds its masker from them), a
 * recorder chained to the session's sink that has recorded session.open (store-failure policy and
 * bounds from the Target's spec.recording, health reported to the sidecar-wide RecordingHealth),
 * and metric adapters labelled with the protocol. The protocol adds only what reads its wire.
 *
 * A masking rule that does not compile is an error here, not a silently weaker masker: the control
 * plane never serves such a policy, so meeting one means the config is corrupt.
 */

import { type CompiledRule, compileMaskingRules } from '@airlock/contracts/masking';
import { type CompiledPolicy, compilePolicy, type OperationFacts, policiesFor, type RuleMatchCompiler } from '@airlock/contracts/policy';
import { recordableStartupParameters } from '@airlock/contracts/recording';
import type { Logger } from 'pino';
import type { ApprovalGrants } from '../approval/grants.ts';
import type { MetricProtocol } from '../observability/metrics.ts';
import type { AgentPrincipal, ApprovalGate, SidecarConfig, TargetConfig } from '../ports.ts';
import type { SharedServices } from '../protocol.ts';
import { recorderSettingsFor } from '../recording/recording-settings.ts';
import { SessionRecorder } from '../recording/session-recorder.ts';
import { type SessionMetrics, sessionMetricsFor } from './session-metrics.ts';

export class MaskingConfigError extends Error {
  readonly code = 'MaskingConfigInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'MaskingConfigError';
  }
}

/** Test hook: more batching options for the recorder. */
export interface RecorderOptions {
  readonly maxBatchDelayMs?: number;
  readonly initialRetryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
}

/** The policies and masking rules for one (config, principal) on one target. */
export interface SessionPolicy<F extends OperationFacts> {
  readonly config: SidecarConfig;
  readonly principal: AgentPrincipal;
  readonly policies: readonly CompiledPolicy<F>[];
  /** Absent when no masking rule or profile applies: responses are never inspected. */
  readonly maskingRules?: readonly CompiledRule[];
}

export function compileForSession<F extends OperationFacts>(
  config: SidecarConfig,
  principal: AgentPrincipal,
  target: TargetConfig,
  compileMatch: RuleMatchCompiler<F>,
): SessionPolicy<F> {
  const applicable = policiesFor(config.policies, principal, target);
  const sets = applicable
    .filter((policy) => (policy.spec.masking?.rules?.length ?? 0) > 0)
    .map((policy) => {
      const ref = policy.spec.masking?.hashKeySecretRef;
      const hashKey = ref ? config.maskingKeys[`${ref.name}/${ref.key}`] : undefined;
      return { policyName: policy.name, rules: policy.spec.masking?.rules ?? [], ...(hashKey ? { hashKey } : {}) };
    });
  const profile = target.spec.maskingProfile ?? 'none';
  let maskingRules: readonly CompiledRule[] | undefined;
  if (sets.length > 0 || profile !== 'none') {
    const compiled = compileMaskingRules({ sets, profile });
    if (compiled.errors.length > 0) {
      throw new MaskingConfigError(
        `masking rules for target ${target.name} do not compile: ${compiled.errors.map((e) => `${e.policy ?? ''}/${e.rule} ${e.field}: ${e.message}`).join('; ')}`,
      );
    }
    maskingRules = compiled.rules;
  }
  return {
    config,
    principal,
    policies: applicable.map((policy) => compilePolicy(policy, compileMatch)),
    ...(maskingRules ? { maskingRules } : {}),
  };
}

/** What a protocol's listener passes on for its target: the shared services the sessions use, and how to compile its rules. */
export interface SessionContextDeps<F extends OperationFacts>
  extends Pick<
    SharedServices,
    'config' | 'gate' | 'windowGrants' | 'recordings' | 'recordingHealth' | 'metrics' | 'logger' | 'clock' | 'recorderOptions'
  > {
  /** The target type the sessions speak: the protocol label of their records and metrics. */
  readonly protocol: MetricProtocol;
  readonly compileMatch: RuleMatchCompiler<F>;
  readonly target: TargetConfig;
}

/** One agent connection, as the protocol accepted it. */
export interface SessionOpening {
  readonly sessionId: string;
  readonly principal: AgentPrincipal;
  /** The agent's end of the listener connection, `host:port`. */
  readonly clientAddress: string;
  /** What the agent sent when it connected; only names that do not look like a secret are recorded. */
  readonly startupParameters?: Readonly<Record<string, string>>;
}

export interface SessionContext<F extends OperationFacts> {
  readonly sessionId: string;
  readonly target: TargetConfig;
  readonly principal: AgentPrincipal;
  readonly policies: readonly CompiledPolicy<F>[];
  /** The same array for every session of one (config, principal): a protocol may cache what it builds from it. */
  readonly maskingRules?: readonly CompiledRule[];
  readonly gate: ApprovalGate;
  /** Window-scoped approvals, shared by the sessions of this identity and target. */
  readonly windowGrants: ApprovalGrants;
  readonly record: SessionRecorder;
  readonly metrics: SessionMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
}

/** Returns the function that opens each session's context for one target. */
export function createSessionContexts<F extends OperationFacts>(
  deps: SessionContextDeps<F>,
): (opening: SessionOpening) => SessionContext<F> {
  const { target, protocol } = deps;
  // Parsed once per target: an unreadable duration fails the listener's start, not a session.
  const recording = recorderSettingsFor(target.spec.recording);
  const metrics = sessionMetricsFor(deps.metrics, protocol);
  let cache: SessionPolicy<F> | undefined;
  return (opening) => {
    const config = deps.config.current();
    if (cache?.config !== config || cache.principal !== opening.principal) {
      cache = compileForSession(config, opening.principal, target, deps.compileMatch);
    }
    const logger = deps.logger.child({ sessionId: opening.sessionId, target: target.name });
    const recorder = new SessionRecorder({
      sessionId: opening.sessionId,
      sink: deps.recordings.open(opening.sessionId),
      clock: () => new Date(deps.clock()),
      onStoreFailure: recording.onStoreFailure,
      blockTimeoutMs: recording.blockTimeoutMs,
      flushTimeoutMs: recording.flushTimeoutMs,
      ...deps.recorderOptions,
      observer: deps.recordingHealth.observer(logger),
    });
    const { principal } = opening;
    recorder.record({
      type: 'session.open',
      sessionId: opening.sessionId,
      protocol,
      target: { name: target.name, namespace: target.namespace },
      principal: {
        identity: principal.identity,
        namespace: principal.namespace,
        serviceAccount: principal.serviceAccount,
        pod: principal.pod,
        groups: principal.groups,
        ...(principal.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
        ...(principal.issuer ? { issuer: principal.issuer } : {}),
        // Depth and chain only, copied: nothing else the broker's answer carried gets into the record.
        ...(principal.delegation ? { delegation: { depth: principal.delegation.depth, chain: [...principal.delegation.chain] } } : {}),
      },
      clientAddress: opening.clientAddress,
      ...(opening.startupParameters ? { startupParameters: recordableStartupParameters(opening.startupParameters) } : {}),
    });
    return {
      sessionId: opening.sessionId,
      target,
      principal,
      policies: cache.policies,
      ...(cache.maskingRules ? { maskingRules: cache.maskingRules } : {}),
      gate: deps.gate,
      windowGrants: deps.windowGrants,
      record: recorder,
      metrics,
      logger,
      clock: deps.clock,
    };
  };
}
