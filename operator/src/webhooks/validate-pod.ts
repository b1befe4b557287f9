/**
 * The validating webhook's decision (security invariant 6: a pod that opted in cannot run
 * without its sidecar). It runs after every mutation, so it sees the pod as it will be stored.
 *
 * CREATE: a gated pod must carry the sidecar exactly as recorded, first among its init
 * containers, automount off, nothing that exposes a token or a credential to an agent, and the
 * config and ssh_config volumes mounted read-only in every agent container.
 * A gated pod is one labeled inject=true, in both namespace modes: in CI mode (gating.ts) the
 * mutating webhook added the label, so this webhook needs no mode of its own.
 * UPDATE: the sidecar, the record, the ssh_config annotation (the kubelet updates the agents'
 * file from it), the token volume and the inject label of a gated pod stay as they are. Everything else stays updatable: controllers remove finalizers and add labels, and
 * a pod created before its namespace opted in must not become impossible to update.
 * pods/ephemeralcontainers: refused on gated pods (a debug container runs beside the agent).
 */

import { ANNOTATIONS, INJECTION_ALL, LABEL_ENABLED, LABELS, SIDECAR_CONTAINER, TOKEN_VOLUME } from '@airlock/contracts/install';
import type { V1Pod } from '@kubernetes/client-node';
import type { Catalog } from '../catalog.ts';
import { agentContainers, credentialSecrets, type ExposureCode, findExposures } from './credential-exposure.ts';
import { isExcludedNamespace, isGated } from './gating.ts';
import { parseRecord } from './injection-record.ts';
import { sidecarHash } from './sidecar-hash.ts';
import { CONFIG_VOLUME, SSH_CONFIG_VOLUME } from './sidecar-template.ts';

export interface PodAdmissionRequest {
  readonly operation: string;
  readonly subResource?: string;
  /** The request's namespace (a pod being created may not carry one yet). */
  readonly namespace: string;
  readonly object: V1Pod;
  readonly oldObject?: V1Pod;
}

export type PodRejectionCode =
  | 'SidecarMissing'
  | 'SidecarNotFirst'
  | 'SidecarNotNative'
  | 'InjectionRecordInvalid'
  | 'SidecarAltered'
  | 'AutomountNotDisabled'
  | ExposureCode
  | 'ConfigVolumeWritable'
  | 'InjectLabelAdded'
  | 'InjectLabelRemoved'
  | 'InjectionRecordChanged'
  | 'SshConfigChanged'
  | 'SidecarChanged'
  | 'AutomountChanged'
  | 'EphemeralContainersForbidden';

export type PodValidation =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: PodRejectionCode; readonly message: string };

export interface ValidationContext {
  readonly catalog: Catalog;
  readonly operatorNamespace: string;
}

const ALLOWED: PodValidation = { allowed: true };
const reject = (code: PodRejectionCode, message: string): PodValidation => ({ allowed: false, code, message });
const LABEL = `${LABELS.podInject}=${LABEL_ENABLED.pod}`;

export function validatePod(request: PodAdmissionRequest, context: ValidationContext): PodValidation {
  const namespace = request.namespace || request.object.metadata?.namespace || 'default';
  if (isExcludedNamespace(namespace, context.operatorNamespace)) return ALLOWED;
  if (request.subResource === 'ephemeralcontainers') {
    if (isGated(request.object) || isGated(request.oldObject)) {
      return reject(
        'EphemeralContainersForbidden',
        `ephemeral containers cannot be added to a pod labeled ${LABEL}: they would run beside the agent without the sidecar; debug a copy instead (kubectl debug --copy-to)`,
      );
    }
    return ALLOWED;
  }
  if (request.subResource) return ALLOWED;
  if (request.operation === 'CREATE') return isGated(request.object) ? validateInjected(request.object, namespace, context) : ALLOWED;
  if (request.operation === 'UPDATE' && request.oldObject) return validateUpdate(request.oldObject, request.object);
  return ALLOWED;
}

function validateInjected(pod: V1Pod, namespace: string, context: ValidationContext): PodValidation {
  const init = pod.spec?.initContainers ?? [];
  const index = init.findIndex((c) => c.name === SIDECAR_CONTAINER);
  if (index < 0) {
    return reject(
      'SidecarMissing',
      `pod is labeled ${LABEL} but has no ${SIDECAR_CONTAINER} init container: the injection webhook did not run or a later webhook removed it; check that namespace ${namespace} is labeled ${LABELS.namespaceInjection}=${LABEL_ENABLED.namespace} or ${INJECTION_ALL.namespace} and create the pod again`,
    );
  }
  if (index !== 0) {
    return reject('SidecarNotFirst', `${SIDECAR_CONTAINER} must be the first init container, so nothing runs before it: do not reorder it`);
  }
  const sidecar = init[0]!;
  if (sidecar.restartPolicy !== 'Always') {
    return reject('SidecarNotNative', `${SIDECAR_CONTAINER} must have restartPolicy: Always (a native sidecar that runs beside the agent)`);
  }
  const parsed = parseRecord(pod.metadata?.annotations?.[ANNOTATIONS.injected]);
  if (!parsed.ok) return reject('InjectionRecordInvalid', `${parsed.message}: create the pod again so the webhook records the injection`);
  const token = pod.spec?.volumes?.find((v) => v.name === TOKEN_VOLUME);
  if (sidecarHash(sidecar, token) !== parsed.record.sidecarHash) {
    return reject(
      'SidecarAltered',
      `${SIDECAR_CONTAINER} or volume ${TOKEN_VOLUME} differs from what airlock injected (${ANNOTATIONS.injected}): remove your changes to them and create the pod again`,
    );
  }
  if (pod.spec?.automountServiceAccountToken !== false) {
    return reject('AutomountNotDisabled', 'spec.automountServiceAccountToken must be false on an airlock agent pod: remove your setting');
  }
  const exposures = findExposures(pod, { credentialSecrets: credentialSecrets(context.catalog.targets(namespace)) });
  if (exposures.length > 0) return reject(exposures[0]!.code, exposures.map((e) => e.message).join('; '));
  // These hold what every agent container's tools trust and run (known_hosts, an ssh_config that
  // could name a ProxyCommand, the kubeconfig): one container must not rewrite them for the others.
  for (const volume of [CONFIG_VOLUME, SSH_CONFIG_VOLUME]) {
    const writable = agentContainers(pod).filter((c) => (c.volumeMounts ?? []).some((m) => m.name === volume && m.readOnly !== true));
    if (writable.length > 0) {
      return reject(
        'ConfigVolumeWritable',
        `container ${writable.map((c) => c.name).join(', ')} mounts volume ${volume} writable: mount it readOnly: true; the agents' tools trust the files there`,
      );
    }
  }
  return ALLOWED;
}

function validateUpdate(old: V1Pod, pod: V1Pod): PodValidation {
  if (!isGated(old)) {
    if (!isGated(pod)) return ALLOWED;
    return reject(
      'InjectLabelAdded',
      `label ${LABEL} takes effect only when a pod is created: delete the pod and create it with the label`,
    );
  }
  if (!isGated(pod)) {
    return reject(
      'InjectLabelRemoved',
      `label ${LABEL} cannot be removed or changed: delete the pod and create one that is no agent (without the label; in a namespace labeled ${LABELS.namespaceInjection}=${INJECTION_ALL.namespace}, labeled ${LABELS.podInject}=${INJECTION_ALL.podExcluded})`,
    );
  }
  const annotation = (p: V1Pod) => p.metadata?.annotations?.[ANNOTATIONS.injected];
  if (annotation(old) !== annotation(pod)) {
    return reject(
      'InjectionRecordChanged',
      `annotation ${ANNOTATIONS.injected} cannot be changed or removed: it records what airlock injected`,
    );
  }
  const sshConfig = (p: V1Pod) => p.metadata?.annotations?.[ANNOTATIONS.sshConfig];
  if (sshConfig(old) !== sshConfig(pod)) {
    return reject(
      'SshConfigChanged',
      `annotation ${ANNOTATIONS.sshConfig} cannot be changed or removed: the agents' ssh reads it (it could point \`ssh <target>\` elsewhere); delete the pod and create it again`,
    );
  }
  const hash = (p: V1Pod) =>
    sidecarHash(
      p.spec?.initContainers?.find((c) => c.name === SIDECAR_CONTAINER),
      p.spec?.volumes?.find((v) => v.name === TOKEN_VOLUME),
    );
  if (hash(old) !== hash(pod)) {
    return reject(
      'SidecarChanged',
      `${SIDECAR_CONTAINER} and volume ${TOKEN_VOLUME} cannot be changed or removed (image included): delete the pod and create it again to get the current sidecar`,
    );
  }
  if (old.spec?.automountServiceAccountToken === false && pod.spec?.automountServiceAccountToken !== false) {
    return reject('AutomountChanged', 'spec.automountServiceAccountToken must stay false on an airlock agent pod');
  }
  return ALLOWED;
}
