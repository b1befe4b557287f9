/** Installs the airlock CRDs into a control plane with the real kubectl, as an admin would. */
import { join } from 'node:path';
import type { ControlPlane } from './control-plane.ts';
import { HarnessError } from './errors.ts';

export const CRD_MANIFESTS = join(import.meta.dirname, '..', '..', 'crds', 'manifests');

export async function installCrds(plane: ControlPlane): Promise<void> {
  const applied = await plane.kubectl(['apply', '--server-side', '--field-manager=airlock-e2e', '-f', CRD_MANIFESTS]);
  if (applied.code !== 0) throw new HarnessError('CrdApplyFailed', `kubectl apply of the CRDs failed:\n${applied.stderr}`);
  const established = await plane.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '-l',
    'app.kubernetes.io/part-of=airlock',
  ]);
  if (established.code !== 0) throw new HarnessError('CrdNotEstablished', `the CRDs did not become Established:\n${established.stderr}`);
}
