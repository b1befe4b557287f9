/** What both demo modes give (demo.ts chooses one): names, and the running demo's handles. */
import type { ControlPlane } from './control-plane.ts';
import type { PostgresServer } from './postgres.ts';
import type { PsqlResult } from './psql.ts';

export const DEMO_NAMESPACE = 'agents';
export const OPERATOR_NAMESPACE = 'airlock-system';
export const DEMO_POD = 'orders-agent';

export type DemoMode = 'node' | 'processes';

export interface Demo {
  readonly mode: DemoMode;
  readonly plane: ControlPlane;
  readonly postgres: PostgresServer;
  /** The port the agent's tools use (PGPORT in the injected env): the sidecar's listener. */
  readonly agentPort: number;
  /** PATH that has kubectl, the kubectl-approve plugin (from source) and Node 24. */
  readonly path: string;
  /** What to type, for a human. */
  readonly instructions: string;
  /**
   * psql as the agent runs it, through its sidecar: in the agent container (`kubectl exec`) on the
   * node, the machine's psql to the sidecar's port without one. Never throws on a non-zero exit;
   * a psql stopped by the timeout reports code -1.
   */
  agentPsql(args: string[], options?: { timeoutMs?: number }): Promise<PsqlResult>;
  /** Stops everything it started (the node puts the machine back); throws when something could not be stopped or restored. */
  stop(): Promise<void>;
}
