/**
 * The composition root: given the seams (config, credentials, agent authentication, approvals,
 * recording store) it starts one listener per target, through the protocol that serves the
 * target's type (protocols/registry.ts), and the health server. main.ts picks the
 * implementations; tests call this directly with in-process ones.
 */

import { type HealthServer, startHealthServer } from '@airlock/runtime';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { ApprovalGrants } from './core/approval/grants.ts';
import { ConfigVolume } from './core/config-volume.ts';
import { createSidecarMetrics, type SidecarMetrics } from './core/observability/metrics.ts';
import { registerPeakRss } from './core/observability/peak-rss-metric.ts';
import type { AgentAuthenticator, ApprovalGate, ConfigSource, CredentialSource, TargetConfig } from './core/ports.ts';
import type { TargetListener } from './core/protocol.ts';
import { RecordingHealth } from './core/recording/recording-health.ts';
import { recorderSettingsFor } from './core/recording/recording-settings.ts';
import type { RecordingStore } from './core/recording/sink.ts';
import type { RecorderOptions } from './core/session/session-context.ts';
import type { PgLimits } from './protocols/postgres/limits/pg-limits.ts';
import type { SqlClassifier } from './protocols/postgres/sql/classifier.ts';
import { createProtocols, type ProtocolOptions } from './protocols/registry.ts';

/** Beyond the shared seams, each protocol's own options (ProtocolOptions): `postgres` holds PostgreSQL's classifier and limits. */
export interface SidecarDeps extends ProtocolOptions {
  readonly config: ConfigSource;
  readonly credentials: CredentialSource;
  readonly authenticator: AgentAuthenticator;
  readonly gate: ApprovalGate;
  readonly recordings: RecordingStore;
  readonly logger: Logger;
  readonly listenHost: string;
  /** Port per target name; absent means the Target's localPort. Tests pass 0. */
  readonly ports?: Readonly<Record<string, number>>;
  readonly health?: { readonly host: string; readonly port: number };
  readonly registry?: Registry;
  readonly clock?: () => number;
  readonly recorderOptions?: RecorderOptions;
  /**
   * The config volume shared with the agent containers (AIRLOCK_CONFIG_DIR), where protocols write
   * the files the agents' tools read before the sidecar reports ready; absent: nothing is written.
   */
  readonly configDir?: string;
}

/** What both ways of running the sidecar (static settings, the broker) take besides their seams. */
export interface SidecarRunOptions
  extends Pick<SidecarDeps, 'logger' | 'listenHost' | 'ports' | 'health' | 'recorderOptions' | 'configDir'> {
  readonly classifier: SqlClassifier;
  /** Over the PostgreSQL defaults (protocols/postgres/limits/pg-limits.ts). */
  readonly limits?: Partial<PgLimits>;
}

export interface RunningSidecar {
  /** Listening port per target name. */
  readonly ports: Readonly<Record<string, number>>;
  readonly health: HealthServer | undefined;
  readonly metrics: SidecarMetrics;
  readonly registry: Registry;
  /** With `graceMs`: a graceful shutdown (TargetListener.close); without: every connection dropped at once. */
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /** How long in-flight statements may take to finish before their sessions are cut off. */
  readonly graceMs?: number;
}

export async function startSidecar(deps: SidecarDeps): Promise<RunningSidecar> {
  const registry = deps.registry ?? new Registry();
  const metrics = createSidecarMetrics(registry);
  registerPeakRss(registry);
  const clock = deps.clock ?? Date.now;
  const windowGrants = new ApprovalGrants(clock);
  const protocols = createProtocols(deps);
  const listeners = new Map<string, TargetListener>();
  const recordingHealth = new RecordingHealth({
    storeFailures: metrics.recordingStoreFailures,
    lostRecords: metrics.recordingLostRecords,
    blockedSessions: metrics.recordingBlocked,
    failingSessions: metrics.recordingStoreFailing,
  });
  const config = deps.config.current();
  const configVolume = deps.configDir === undefined ? undefined : new ConfigVolume(deps.configDir);
  /** Set when a graceful close begins: the kubelet must stop routing to a sidecar that refuses new connections. */
  let draining: string | undefined;
  try {
    for (const target of config.targets) {
      const protocol = protocols.get(target.spec.type);
      if (!protocol) {
        deps.logger.warn({ target: target.name, type: target.spec.type }, 'target type not served by this sidecar version');
        continue;
      }
      const listener = await protocol.listen({
        target,
        host: deps.listenHost,
        port: deps.ports?.[target.name] ?? target.spec.localPort,
        config: deps.config,
        credentials: deps.credentials,
        authenticator: deps.authenticator,
        gate: deps.gate,
        windowGrants,
        recordings: deps.recordings,
        recordingHealth,
        metrics,
        logger: deps.logger,
        clock,
        ...(deps.recorderOptions ? { recorderOptions: deps.recorderOptions } : {}),
        ...(configVolume ? { configVolume } : {}),
        onSessionCount: (delta) => {
          metrics.sessionsActive.inc({ protocol: protocol.type }, delta);
          if (delta > 0) metrics.sessions.inc({ protocol: protocol.type });
        },
      });
      listeners.set(target.name, listener);
      deps.logger.info({ target: target.name, port: listener.port }, 'listening');
    }
  } catch (error) {
    await Promise.all([...listeners.values()].map((listener) => listener.close()));
    throw error;
  }
  const health = deps.health
    ? await startHealthServer({
        host: deps.health.host,
        port: deps.health.port,
        registry,
        logger: deps.logger,
        readiness: () => {
          const reasons = [
            ...(draining ? [draining] : []),
            ...(listeners.size > 0 ? [] : ['no target listener is running']),
            ...recordingHealth.readinessReasons(),
          ];
          return { ready: reasons.length === 0, reasons };
        },
      })
    : undefined;
  return {
    ports: Object.fromEntries([...listeners].map(([name, listener]) => [name, listener.port])),
    health,
    metrics,
    registry,
    close: async (options) => {
      if (options?.graceMs !== undefined) draining = DRAINING_REASON;
      await Promise.all([...listeners.values()].map((listener) => listener.close(options)));
      // Each recorder's close is bounded by its target's recording.flushTimeout; this bounds the wait for all of them.
      await recordingHealth.drain(maxFlushTimeoutMs(config.targets));
      await health?.close();
    },
  };
}

/** /readyz's reason while a graceful shutdown drains the sessions (SIGTERM; sidecar README, Shutdown). */
export const DRAINING_REASON = 'the sidecar is shutting down: no new connections, open sessions are draining';

/** The longest recording.flushTimeout of the served targets, plus a second for the sinks to close. */
function maxFlushTimeoutMs(targets: readonly TargetConfig[]): number {
  return Math.max(0, ...targets.map((target) => recorderSettingsFor(target.spec.recording).flushTimeoutMs)) + 1000;
}
