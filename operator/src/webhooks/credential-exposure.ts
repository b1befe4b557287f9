/**
 * Security invariant 1: an agent container never sees a target credential nor a service-account
 * token. These checks find every way a pod spec could hand one over; the mutating webhook denies
 * such a pod before injecting, the validating webhook denies it after every mutation.
 */

import { SIDECAR_CONTAINER, TOKEN_VOLUME } from '@airlock/contracts/install';
import type { Target } from '@airlock/crds';
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';

export type ExposureCode =
  | 'ServiceAccountTokenRequested'
  | 'AirlockTokenMounted'
  | 'ServiceAccountTokenMounted'
  | 'CredentialVolume'
  | 'CredentialEnv';

export interface Exposure {
  readonly code: ExposureCode;
  readonly message: string;
}

/** Secret name → the Target whose credentials it holds. */
export type CredentialSecrets = ReadonlyMap<string, string>;

export function credentialSecrets(targets: readonly Target[]): CredentialSecrets {
  const secrets = new Map<string, string>();
  for (const target of targets) {
    const secret = target.spec.credentialsSecretRef?.name;
    if (secret && !secrets.has(secret)) secrets.set(secret, target.metadata.name ?? '');
  }
  return secrets;
}

/**
 * The volume the ServiceAccount admission plugin adds (`kube-api-access-xxxxx`) before webhooks
 * run, unless the pod or its service account turned automount off. Injection removes it.
 */
export function isServiceAccountAdmissionVolume(volume: V1Volume): boolean {
  return (
    volume.name.startsWith('kube-api-access-') &&
    (volume.projected?.sources ?? []).some((source) => source.serviceAccountToken && !source.serviceAccountToken.audience)
  );
}

const projectsServiceAccountToken = (volume: V1Volume | undefined): boolean =>
  (volume?.projected?.sources ?? []).some((source) => source.serviceAccountToken !== undefined);

/** Every container that is not the sidecar: regular, init and ephemeral ones. */
export function agentContainers(pod: V1Pod): V1Container[] {
  const spec = pod.spec;
  return [
    ...(spec?.initContainers ?? []).filter((c) => c.name !== SIDECAR_CONTAINER),
    ...(spec?.containers ?? []),
    ...((spec?.ephemeralContainers ?? []) as V1Container[]),
  ];
}

function secretsOf(volume: V1Volume): string[] {
  return [
    ...(volume.secret?.secretName ? [volume.secret.secretName] : []),
    ...(volume.projected?.sources ?? []).flatMap((source) => (source.secret?.name ? [source.secret.name] : [])),
  ];
}

export interface ExposureOptions {
  readonly credentialSecrets: CredentialSecrets;
  /** Volumes about to be removed (the ServiceAccount plugin's), so mounting them is not an exposure. */
  readonly ignoreVolumes?: ReadonlySet<string>;
}

export function findExposures(pod: V1Pod, options: ExposureOptions): Exposure[] {
  const exposures: Exposure[] = [];
  const ignore = options.ignoreVolumes ?? new Set<string>();
  const credentialOf = (secret: string | undefined) => (secret === undefined ? undefined : options.credentialSecrets.get(secret));
  if (pod.spec?.automountServiceAccountToken === true) {
    exposures.push({
      code: 'ServiceAccountTokenRequested',
      message:
        'spec.automountServiceAccountToken is true: remove it; airlock turns automount off so agent containers do not get the pod service-account token',
    });
  }
  const volumes = new Map((pod.spec?.volumes ?? []).map((v): [string, V1Volume] => [v.name, v]));
  for (const volume of pod.spec?.volumes ?? []) {
    for (const secret of secretsOf(volume)) {
      const target = credentialOf(secret);
      if (target === undefined) continue;
      exposures.push({
        code: 'CredentialVolume',
        message: `volume ${volume.name} refers to Secret ${secret}, the credentials of Target ${target}: remove the volume; the sidecar gets credentials from the operator`,
      });
    }
  }
  for (const container of agentContainers(pod)) {
    for (const mount of container.volumeMounts ?? []) {
      if (mount.name === TOKEN_VOLUME) {
        exposures.push({
          code: 'AirlockTokenMounted',
          message: `container ${container.name} mounts volume ${TOKEN_VOLUME}: remove that volumeMount; the airlock token belongs to the sidecar only`,
        });
      } else if (!ignore.has(mount.name) && projectsServiceAccountToken(volumes.get(mount.name))) {
        exposures.push({
          code: 'ServiceAccountTokenMounted',
          message: `container ${container.name} mounts volume ${mount.name}, which projects a service-account token: remove the volume and its volumeMounts; agent containers get no service-account token`,
        });
      }
    }
    for (const env of container.env ?? []) {
      const secret = env.valueFrom?.secretKeyRef?.name;
      const target = credentialOf(secret);
      if (target === undefined) continue;
      exposures.push({
        code: 'CredentialEnv',
        message: `container ${container.name} env ${env.name} reads Secret ${secret}, the credentials of Target ${target}: remove it; the sidecar gets credentials from the operator`,
      });
    }
    for (const source of container.envFrom ?? []) {
      const secret = source.secretRef?.name;
      const target = credentialOf(secret);
      if (target === undefined) continue;
      exposures.push({
        code: 'CredentialEnv',
        message: `container ${container.name} envFrom reads Secret ${secret}, the credentials of Target ${target}: remove it; the sidecar gets credentials from the operator`,
      });
    }
  }
  return exposures;
}
