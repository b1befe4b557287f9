/**
 * What injection adds to a pod, as pure builders: the sidecar container, its volumes, and the env
 * vars that point the agent's tools at the sidecar. plan-injection.ts decides where they go.
 *
 * The sidecar container sets every field the API server would default (pull policy, probe
 * timings, fieldRef apiVersion, termination message) so the stored container equals the one built
 * here and re-invocation finds nothing to change.
 */

import {
  ANNOTATIONS,
  DELEGATION_ENV,
  DELEGATION_PORT,
  SIDECAR_CONTAINER,
  SIDECAR_HEALTH_PORT,
  TOKEN_MOUNT_PATH,
  TOKEN_VOLUME,
} from '@airlock/contracts/install';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import {
  isSshHostAlias,
  KUBECONFIG_FILE,
  renderSshConfig,
  SSH_CONFIG_INCLUDE_PATH,
  TARGET_TYPE_FACTS,
  TARGET_TYPES,
} from '@airlock/contracts/targets';
import type { Target } from '@airlock/crds';
import type { V1Container, V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import {
  DEFAULT_SIDECAR_LOG_LEVEL,
  DEFAULT_SIDECAR_RESOURCES,
  type InjectionSettings,
  SIDECAR_ENTRYPOINT,
  type SidecarResources,
} from './injection-settings.ts';
import { memoryBytes } from './memory-quantity.ts';

/** The audience of the projected token; the broker's TokenReview asks for it (BROKER_AUDIENCE). */
export const TOKEN_AUDIENCE = 'airlock';
export const TOKEN_EXPIRATION_SECONDS = 3600;
export const TOKEN_FILE = `${TOKEN_MOUNT_PATH}/token`;
/** Shared between the sidecar (writes the kubeconfig, ssh_config and known_hosts) and the agents (read them). */
export const CONFIG_VOLUME = 'airlock-config';
export const CONFIG_MOUNT_PATH = '/var/run/airlock';
export const KUBECONFIG_PATH = `${CONFIG_MOUNT_PATH}/${KUBECONFIG_FILE}`;
/** The downward API volume that gives the agents the pod's ssh_config annotation as a root-owned file. */
export const SSH_CONFIG_VOLUME = 'airlock-ssh-config';
const SSH_CONFIG_VOLUME_FILE = 'airlock.conf';
/** The address agents reach the sidecar at; the sidecar listens there and nowhere else for targets. */
export const LOOPBACK = '127.0.0.1';
/** What agents POST to for a sub-agent's token (DELEGATION_PATH), on pods whose identity allows delegation. */
export const DELEGATION_URL = `http://${LOOPBACK}:${DELEGATION_PORT}`;
/** The sidecar runs as this user: distroless "nonroot". */
export const SIDECAR_UID = 65532;

export type TargetType = Target['spec']['type'];

/** Pull policy the API server would default to: Always for untagged or :latest images. */
export function defaultPullPolicy(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  if (withoutDigest !== image) return 'IfNotPresent';
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** `orders-db` → `AIRLOCK_ORDERS_DB_URL`. */
export function targetURLEnvName(targetName: string): string {
  return `AIRLOCK_${targetName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

export function targetURL(target: Target): string {
  return TARGET_TYPE_FACTS[target.spec.type].agent.url(target.spec, LOOPBACK);
}

export const needsConfigVolume = (targets: readonly Target[]): boolean =>
  targets.some((t) => TARGET_TYPE_FACTS[t.spec.type].needsConfigVolume);

/** What injection turns on beyond the Targets. */
export interface InjectedFeatures {
  /** An identity of the pod has spec.delegation: the sidecar serves DELEGATION_PORT and agents learn its URL. */
  readonly delegation?: boolean;
}

/**
 * The env vars every agent container gets, in this order, ahead of its own. Names listed here
 * replace the container's own entries of the same name: a tool must not be pointed past the
 * sidecar (it would find no credentials there anyway, but would fail confusingly), and an agent
 * must not be pointed at something else than its sidecar for a sub-agent's token.
 */
export function agentEnv(targets: readonly Target[], features: InjectedFeatures = {}): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  const ofType = TARGET_TYPES.map((type) => ({ facts: TARGET_TYPE_FACTS[type], targets: targets.filter((t) => t.spec.type === type) }));
  // The tools' own defaults (PGHOST, ...) only when they cannot point at the wrong one of two targets.
  for (const { facts, targets: some } of ofType) {
    const soleTargetEnv = facts.agent.soleTargetEnv;
    if (soleTargetEnv && some.length === 1) env.push(...soleTargetEnv(some[0]!.spec, LOOPBACK));
  }
  const byName = (a: Target, b: Target) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);
  for (const target of [...targets].sort(byName)) {
    env.push({ name: targetURLEnvName(target.metadata.name ?? ''), value: targetURL(target) });
  }
  // Files the sidecar writes on the config volume (KUBECONFIG, GIT_SSH_COMMAND), once however many targets want them.
  for (const { facts, targets: some } of ofType) {
    for (const { name, file, value } of some.length > 0 ? (facts.agent.configFileEnv ?? []) : []) {
      const path = `${CONFIG_MOUNT_PATH}/${file}`;
      if (!env.some((e) => e.name === name)) env.push({ name, value: value ? value(path) : path });
    }
  }
  if (features.delegation) env.push({ name: DELEGATION_ENV.agentURL, value: DELEGATION_URL });
  return env;
}

/**
 * The agent containers' mounts of airlock's volumes, all read-only: an agent that could write
 * there could change what the other containers' tools trust and run (an ssh_config can name a
 * ProxyCommand), so the validating webhook refuses a writable one (validate-pod.ts). The config
 * volume at CONFIG_MOUNT_PATH; with an SSH Target, the pod's ssh_config (agentSshConfig) a second
 * time where a plain `ssh` reads it.
 *
 * That second file comes from a downward API volume, not from the config volume: OpenSSH refuses
 * an included file owned by another user than root or the one running ssh (the sidecar runs as
 * SIDECAR_UID), and the kubelet writes downward API files as root.
 */
export function agentConfigMounts(targets: readonly Target[]): V1VolumeMount[] {
  if (!needsConfigVolume(targets)) return [];
  return [
    { name: CONFIG_VOLUME, mountPath: CONFIG_MOUNT_PATH, readOnly: true },
    ...(agentSshConfig(targets) === undefined
      ? []
      : [{ name: SSH_CONFIG_VOLUME, mountPath: SSH_CONFIG_INCLUDE_PATH, subPath: SSH_CONFIG_VOLUME_FILE, readOnly: true }]),
  ];
}

/**
 * The ssh_config of a pod that reaches SSH Targets, the same text the sidecar writes on the config
 * volume (both render it with @airlock/contracts/targets): the sidecar listens on LOOPBACK at each
 * Target's localPort. Undefined without an SSH Target.
 */
export function agentSshConfig(targets: readonly Target[]): string | undefined {
  const listeners = targets
    .filter((t) => t.spec.type === 'ssh' && isSshHostAlias(t.metadata.name ?? ''))
    .map((t) => ({ target: t.metadata.name ?? '', host: LOOPBACK, port: t.spec.localPort }));
  return listeners.length === 0 ? undefined : renderSshConfig(listeners, CONFIG_MOUNT_PATH);
}

/**
 * The pod's ssh_config annotation as a file, root-owned and read-only for everyone. Explicit
 * fieldRef apiVersion: the API server would default it, and the stored volume must equal this one.
 */
export function sshConfigVolume(): V1Volume {
  return {
    name: SSH_CONFIG_VOLUME,
    downwardAPI: {
      defaultMode: 0o444,
      items: [
        {
          path: SSH_CONFIG_VOLUME_FILE,
          fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${ANNOTATIONS.sshConfig}']` },
        },
      ],
    },
  };
}

/** A Target type whose agents get KUBECONFIG: the sidecar writes the kubeconfig. */
const needsKubeconfig = (targets: readonly Target[]): boolean =>
  targets.some((t) => (TARGET_TYPE_FACTS[t.spec.type].agent.configFileEnv ?? []).some((e) => e.file === KUBECONFIG_FILE));

const fieldEnv = (name: string, fieldPath: string): V1EnvVar => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });

const readyProbe = (periodSeconds: number, failureThreshold: number) => ({
  httpGet: { path: '/readyz', port: SIDECAR_HEALTH_PORT, scheme: 'HTTP' },
  periodSeconds,
  failureThreshold,
  timeoutSeconds: 1,
  successThreshold: 1,
});

export function sidecarContainer(settings: InjectionSettings, targets: readonly Target[], features: InjectedFeatures = {}): V1Container {
  const configVolume = needsConfigVolume(targets);
  const resources = settings.resources ?? DEFAULT_SIDECAR_RESOURCES;
  return {
    name: SIDECAR_CONTAINER,
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy ?? defaultPullPolicy(settings.image),
    command: sidecarCommand(settings.command, resources),
    // Native sidecar: starts before the agent, keeps running beside it, and does not keep a Job's pod alive.
    restartPolicy: 'Always',
    env: [
      { name: 'AIRLOCK_BROKER_URL', value: settings.brokerURL },
      { name: 'AIRLOCK_BROKER_CA', value: settings.brokerCAPem },
      { name: 'AIRLOCK_TOKEN_FILE', value: TOKEN_FILE },
      fieldEnv('AIRLOCK_POD_NAME', 'metadata.name'),
      fieldEnv('AIRLOCK_POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('AIRLOCK_POD_UID', 'metadata.uid'),
      { name: 'AIRLOCK_LISTEN_HOST', value: LOOPBACK },
      // The kubelet probes the pod IP, so the health endpoint cannot stay on loopback.
      { name: 'AIRLOCK_HEALTH_HOST', value: '0.0.0.0' },
      { name: 'AIRLOCK_HEALTH_PORT', value: String(SIDECAR_HEALTH_PORT) },
      { name: 'AIRLOCK_LOG_LEVEL', value: settings.logLevel ?? DEFAULT_SIDECAR_LOG_LEVEL },
      // Where the sidecar writes the files the agents' tools read (ssh_config, known_hosts, kubeconfig).
      ...(configVolume ? [{ name: 'AIRLOCK_CONFIG_DIR', value: CONFIG_MOUNT_PATH }] : []),
      ...(needsKubeconfig(targets) ? [{ name: 'AIRLOCK_KUBECONFIG_FILE', value: KUBECONFIG_PATH }] : []),
      // Only where an identity may delegate: elsewhere there is no endpoint to mint tokens at all.
      ...(features.delegation ? [{ name: DELEGATION_ENV.sidecarPort, value: String(DELEGATION_PORT) }] : []),
    ],
    ports: [{ name: 'airlock-health', containerPort: SIDECAR_HEALTH_PORT, protocol: 'TCP' }],
    volumeMounts: [
      { name: TOKEN_VOLUME, mountPath: TOKEN_MOUNT_PATH, readOnly: true },
      ...(configVolume ? [{ name: CONFIG_VOLUME, mountPath: CONFIG_MOUNT_PATH }] : []),
    ],
    // The agent starts only after the sidecar is ready (the kubelet waits for a native sidecar's startupProbe).
    startupProbe: readyProbe(1, 120),
    readinessProbe: readyProbe(5, 3),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: SIDECAR_UID,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    resources: {
      ...(resources.requests ? { requests: { ...resources.requests } } : {}),
      ...(resources.limits ? { limits: { ...resources.limits } } : {}),
    },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/**
 * `node <flags> main.ts --broker`: the flags keep the sidecar inside its memory limit (see
 * @airlock/contracts sidecar-process/node-flags.ts); the V8 heap is sized from the limit injected with it.
 */
export function sidecarCommand(command: readonly string[] | undefined, resources: SidecarResources): string[] {
  if (command) return [...command];
  const limit = resources.limits?.memory ?? resources.requests?.memory;
  return ['node', ...sidecarNodeFlags(limit === undefined ? undefined : memoryBytes(limit)), ...SIDECAR_ENTRYPOINT];
}

/** The sidecar's own credential for the broker: bound to this pod, audience airlock, short-lived. */
export function tokenVolume(): V1Volume {
  return {
    name: TOKEN_VOLUME,
    projected: {
      // World-readable on purpose: only the sidecar mounts this volume, and the kubelet owns the
      // file as root unless every container in the pod runs as the same user.
      defaultMode: 0o644,
      sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } }],
    },
  };
}

export function configVolume(): V1Volume {
  return { name: CONFIG_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } };
}
