/**
 * The sidecar wired with the in-process seams: a static config and credentials, agent tokens or
 * pod identity, the in-process approval gate, JSONL recordings. main.ts (static mode), the test
 * fixture and the benchmark all start it this way.
 */
import type { AgentPrincipal } from '../core/ports.ts';
import { FileRecordingStore, type FsyncMode } from '../core/recording/file-sink.ts';
import { DEFAULT_PG_LIMITS } from '../protocols/postgres/limits/pg-limits.ts';
import { type CloseOptions, type RunningSidecar, type SidecarRunOptions, startSidecar } from '../sidecar.ts';
import { InProcessApprovalGate } from './in-process-gate.ts';
import { StaticAuthenticator } from './static-authenticator.ts';
import { StaticConfigSource, type StaticSidecarConfig } from './static-config.ts';
import { StaticCredentialSource, type StaticCredentials } from './static-credentials.ts';

export interface StaticSidecarOptions extends SidecarRunOptions {
  readonly config: StaticSidecarConfig;
  readonly credentials: Readonly<Record<string, StaticCredentials>>;
  /** When set, agents must send one of these tokens as their password; otherwise pod identity. */
  readonly agentTokens?: Readonly<Record<string, AgentPrincipal>>;
  readonly recordings: { readonly directory: string; readonly fsync: FsyncMode };
}

export interface StaticSidecar {
  readonly sidecar: RunningSidecar;
  readonly gate: InProcessApprovalGate;
  /** Withdraws pending approvals, then stops the listeners. */
  close(options?: CloseOptions): Promise<void>;
}

export async function startStaticSidecar(options: StaticSidecarOptions): Promise<StaticSidecar> {
  const gate = new InProcessApprovalGate();
  const { classifier } = options;
  const sidecar = await startSidecar({
    config: new StaticConfigSource(options.config),
    credentials: new StaticCredentialSource(options.credentials),
    authenticator: new StaticAuthenticator(options.config.principal, options.agentTokens),
    gate,
    recordings: new FileRecordingStore(options.recordings),
    postgres: {
      classify: (text) => classifier.classify(text),
      limits: { ...DEFAULT_PG_LIMITS, ...options.limits },
    },
    logger: options.logger,
    listenHost: options.listenHost,
    ...(options.ports ? { ports: options.ports } : {}),
    ...(options.health ? { health: options.health } : {}),
    ...(options.recorderOptions ? { recorderOptions: options.recorderOptions } : {}),
    ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
  });
  return {
    sidecar,
    gate,
    close: async (options) => {
      gate.close();
      await sidecar.close(options);
    },
  };
}
