/**
 * The composition root: given the seams (config, credentials, agent authentication, approvals,
 * recording store) it starts one listener per PostgreSQL target and the health server. main.ts
 * picks the implementations; tests call this directly with in-process ones.
 */
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { ApprovalGrants } from './approval/grants.ts';
import { type HealthServer, startHealthServer } from './observability/health-server.ts';
import { createSidecarMetrics, type SidecarMetrics } from './observability/metrics.ts';
import { CancelRegistry } from './pg/cancel-registry.ts';
import { type PgLimits, PgListener } from './pg/listener.ts';
import { createPgSessionFactory } from './pg/pg-session-factory.ts';
import type { AgentAuthenticator, ApprovalGate, ConfigSource, CredentialSource } from './ports.ts';
import type { RecordingStore } from './recording/sink.ts';
import type { BatchClassification } from './sql/classification.ts';

export interface SidecarDeps {
  readonly config: ConfigSource;
  readonly credentials: CredentialSource;
  readonly authenticator: AgentAuthenticator;
  readonly gate: ApprovalGate;
  readonly recordings: RecordingStore;
  readonly classify: (text: string) => BatchClassification;
  readonly logger: Logger;
  readonly listenHost: string;
  /** Port per target name; absent means the Target's localPort. Tests pass 0. */
  readonly ports?: Readonly<Record<string, number>>;
  readonly limits: PgLimits;
  readonly health?: { readonly host: string; readonly port: number };
  readonly registry?: Registry;
  readonly clock?: () => number;
  readonly recorderOptions?: { readonly maxBatchDelayMs?: number };
}

export interface RunningSidecar {
  /** Listening port per target name. */
  readonly ports: Readonly<Record<string, number>>;
  readonly health: HealthServer | undefined;
  readonly metrics: SidecarMetrics;
  readonly registry: Registry;
  close(): Promise<void>;
}

export async function startSidecar(deps: SidecarDeps): Promise<RunningSidecar> {
  const registry = deps.registry ?? new Registry();
  const metrics = createSidecarMetrics(registry);
  const clock = deps.clock ?? Date.now;
  const cancels = new CancelRegistry();
  const windowGrants = new ApprovalGrants(clock);
  const listeners = new Map<string, PgListener>();
  const config = deps.config.current();
  try {
    for (const target of config.targets) {
      if (target.spec.type !== 'postgres') {
        deps.logger.warn({ target: target.name, type: target.spec.type }, 'target type not served by this sidecar version');
        continue;
      }
      const sessionServices = createPgSessionFactory({
        target,
        config: deps.config,
        classify: deps.classify,
        gate: deps.gate,
        windowGrants,
        cancels,
        recordings: deps.recordings,
        metrics,
        logger: deps.logger,
        limits: deps.limits,
        clock,
        ...(deps.recorderOptions ? { recorderOptions: deps.recorderOptions } : {}),
      });
      const listener = await PgListener.start({
        target,
        host: deps.listenHost,
        port: deps.ports?.[target.name] ?? target.spec.localPort,
        authenticator: deps.authenticator,
        credentials: deps.credentials,
        cancels,
        limits: deps.limits,
        logger: deps.logger.child({ target: target.name }),
        sessionServices,
        onSessionCount: (delta) => {
          metrics.sessionsActive.inc({ protocol: 'postgres' }, delta);
          if (delta > 0) metrics.sessions.inc({ protocol: 'postgres' });
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
        readiness: () => ({ ready: listeners.size > 0, reasons: listeners.size > 0 ? [] : ['no target listener is running'] }),
      })
    : undefined;
  return {
    ports: Object.fromEntries([...listeners].map(([name, listener]) => [name, listener.port])),
    health,
    metrics,
    registry,
    close: async () => {
      await Promise.all([...listeners.values()].map((listener) => listener.close()));
      await health?.close();
    },
  };
}
