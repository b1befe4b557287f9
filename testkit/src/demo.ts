/**
 * `make demo`: airlock running for real until Ctrl-C, in one of two modes.
 *
 *  - node (demo-node.ts): the control plane with a real node — kubelet, containerd, CoreDNS —
 *    the chart installed with helm (two operator pods), and the agent pod running with its
 *    injected sidecar. What a user gets; needs root and the Debian packages.
 *  - processes (demo-processes.ts): no node; the operator and the agent pod's sidecar run as local
 *    processes. The fallback for machines that cannot run a node, and never chosen silently: the
 *    log says why.
 *
 * AIRLOCK_DEMO=processes forces the fallback, AIRLOCK_DEMO=node refuses it. `make demo` prints
 * how to use it; e2e/tests/demo.test.ts drives the same thing unattended so it cannot rot.
 */
import type { Log } from '@airlock/build';
import { startNodeDemo } from './demo-node.ts';
import { startProcessesDemo } from './demo-processes.ts';
import type { Demo, DemoMode } from './demo-shape.ts';
import { HarnessError } from './errors.ts';
import { ClusterNode } from './node/cluster-node.ts';
import type { NodeAvailability } from './node/node-availability.ts';

export { DEMO_NAMESPACE, DEMO_POD, type Demo, type DemoMode, OPERATOR_NAMESPACE } from './demo-shape.ts';

export interface DemoOptions {
  /** The mode asked for (AIRLOCK_DEMO): `processes`, `node`, or nothing for the node when the machine can run one. */
  readonly requested?: string | undefined;
  /** Aborting stops what has started and makes startDemo throw (Ctrl-C during the start-up). */
  readonly signal?: AbortSignal;
}

/** The mode to run and, for the fallback, why. Pure: the availability is read by the caller. */
export function chooseDemoMode(requested: string | undefined, availability: NodeAvailability): { mode: DemoMode; why: string } {
  switch (requested ?? '') {
    case '':
      return availability.available
        ? { mode: 'node', why: 'this machine can run a node' }
        : { mode: 'processes', why: `${availability.reason}; falling back to the processes (AIRLOCK_DEMO=processes to choose it)` };
    case 'processes':
      return { mode: 'processes', why: 'AIRLOCK_DEMO=processes' };
    case 'node':
      if (!availability.available) throw new HarnessError('DemoNodeUnavailable', `AIRLOCK_DEMO=node, but ${availability.reason}`);
      return { mode: 'node', why: 'AIRLOCK_DEMO=node' };
    default:
      throw new HarnessError('DemoModeUnknown', `AIRLOCK_DEMO=${requested}: use node or processes, or leave it unset`);
  }
}

export async function startDemo(log: Log, options: DemoOptions = {}): Promise<Demo> {
  const { mode, why } = chooseDemoMode(options.requested, ClusterNode.available());
  if (mode === 'node') {
    log(`running on a real node (${why})`);
    return startNodeDemo(log, options.signal);
  }
  log(`running without a node: the operator and the sidecar as local processes (${why})`);
  return startProcessesDemo(log, options.signal);
}
