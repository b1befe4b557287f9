/**
 * What a protocol implements to serve targets of its type: start a listener for one Target, given
 * the services every protocol shares. The composition root (sidecar.ts) starts one listener per
 * target through the registry (protocols/registry.ts); what a protocol needs beyond these shared
 * services (PostgreSQL: its classifier and limits) it gets when the registry creates it.
 */
import type { TargetSpec } from '@airlock/crds';
import type { Logger } from 'pino';
import type { ApprovalGrants } from './approval/grants.ts';
import type { ConfigVolume } from './config-volume.ts';
import type { SidecarMetrics } from './observability/metrics.ts';
import type { AgentAuthenticator, ApprovalGate, ConfigSource, CredentialSource, TargetConfig } from './ports.ts';
import type { RecordingHealth } from './recording/recording-health.ts';
import type { RecordingStore } from './recording/sink.ts';
import type { RecorderOptions } from './session/session-context.ts';

/** Created once per sidecar and shared by every listener. */
export interface SharedServices {
  readonly config: ConfigSource;
  readonly credentials: CredentialSource;
  readonly authenticator: AgentAuthenticator;
  readonly gate: ApprovalGate;
  /** Window-scoped approvals; the digest binds identity and target, so one store serves all. */
  readonly windowGrants: ApprovalGrants;
  readonly recordings: RecordingStore;
  /** Sidecar-wide: readiness, metrics and logs about the store. */
  readonly recordingHealth: RecordingHealth;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Test hook: more batching options for the recorders. */
  readonly recorderOptions?: RecorderOptions;
  /** Where the files the agents' tools read go (SSH: ssh_config, known_hosts); absent without the volume. */
  readonly configVolume?: ConfigVolume;
}

export interface ListenRequest extends SharedServices {
  readonly target: TargetConfig;
  readonly host: string;
  /** 0 picks a free port (tests); the Target's localPort otherwise. */
  readonly port: number;
  /** +1 when an agent session starts, -1 when it ends. */
  readonly onSessionCount?: (delta: 1 | -1) => void;
}

export interface TargetListener {
  /** The port it listens on. */
  readonly port: number;
  /**
   * Without `graceMs`, every connection is dropped at once. With it (SIGTERM): no new connections,
   * open sessions finish what is in flight, and whatever is still open after `graceMs` is closed.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

export interface Protocol {
  /** The target type it serves; also its label in metrics and recordings. */
  readonly type: TargetSpec['type'];
  listen(request: ListenRequest): Promise<TargetListener>;
}
