/**
 * The connect webhook's decision: no `kubectl exec` or `kubectl attach` into the sidecar. A shell
 * there holds the sidecar's broker token, and with it the broker hands out the targets'
 * credentials — the agent would hold a target credential after all (security invariants 1 and 6).
 *
 * The API server sends only the connection's options (PodExecOptions, PodAttachOptions), not the
 * pod, and they carry no labels: the webhook configuration cannot select gated pods, and this
 * decision does not look the pod up. It refuses the sidecar's container name in any pod of an
 * opted-in namespace (the injection refuses that name for any other container of a gated pod).
 * Everything else is allowed: exec into the agent's container is how people debug an agent, and
 * a shell there acts with the agent's own rights, through the sidecar.
 */

import { SIDECAR_CONTAINER, SIDECAR_HEALTH_PORT } from '@airlock/contracts/install';
import type { ConnectOptions } from './admission-review.ts';
import { isExcludedNamespace } from './gating.ts';

export interface PodConnectRequest {
  /** `exec` or `attach`; the configuration routes no other subresource here. */
  readonly subResource: string;
  readonly namespace: string;
  /** The pod's name. */
  readonly name: string;
  readonly options: ConnectOptions;
}

export type ConnectRejectionCode = 'SidecarExecForbidden';

export type ConnectValidation =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: ConnectRejectionCode; readonly message: string };

const ALLOWED: ConnectValidation = { allowed: true };

export function validateConnect(request: PodConnectRequest, context: { readonly operatorNamespace: string }): ConnectValidation {
  if (isExcludedNamespace(request.namespace, context.operatorNamespace)) return ALLOWED;
  if (request.subResource !== 'exec' && request.subResource !== 'attach') return ALLOWED;
  // An empty container is never the sidecar: the API server then picks the pod's only regular
  // container (and refuses when there are several), never an init container; kubectl names the
  // default container itself before it asks.
  if (request.options.container !== SIDECAR_CONTAINER) return ALLOWED;
  const pod = request.name ? `pod/${request.name}` : 'the pod';
  return {
    allowed: false,
    code: 'SidecarExecForbidden',
    message: `kubectl ${request.subResource} into container ${SIDECAR_CONTAINER} is refused: a session there could read the sidecar's broker token, and with it the broker hands out the targets' credentials. Read the sidecar with kubectl logs -n ${request.namespace} ${pod} -c ${SIDECAR_CONTAINER}, or its metrics on port ${SIDECAR_HEALTH_PORT} (/metrics); to debug the agent, exec into the agent's container instead`,
  };
}
