/**
 * The mutating webhook's decision, as a pure function of the pod, the airlock objects in its
 * namespace, the operator's settings and the namespace's injection mode: which JSON patch turns
 * the pod into an airlock agent pod, or why it must not run.
 *
 * The plan builds the desired pod and patches only what differs, so a second pass over an
 * injected pod (reinvocationPolicy: IfNeeded) yields no ops — and a pod that another webhook
 * changed after us (a new container without our env, a changed sidecar) is brought back.
 *
 * In a namespace in CI mode (gating.ts) an agent pod without the inject label is planned as if it
 * had it — so an identity's podSelector matches the labels the broker will see — and the label is
 * the first op: from then on it is an agent pod like any other.
 */

import { ANNOTATIONS, DELEGATION_PORT, INJECTION_ALL, LABEL_ENABLED, LABELS, SIDECAR_CONTAINER } from '@airlock/contracts/install';
import type { V1Container, V1EnvVar, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { Catalog } from '../catalog.ts';
import { allPodIdentities, podFacts, type ResolveErrorCode, resolvePodIdentities, resolveTargets } from '../identity/resolve-identity.ts';
import { credentialSecrets, type ExposureCode, findExposures, isServiceAccountAdmissionVolume } from './credential-exposure.ts';
import { type InjectionMode, isExcludedNamespace, selectPod } from './gating.ts';
import type { InjectionRecord } from './injection-record.ts';
import { serializeRecord } from './injection-record.ts';
import type { InjectionSettings } from './injection-settings.ts';
import { type JsonPatchOp, pointer } from './json-patch.ts';
import { canonicalVolume, sidecarHash, stableStringify } from './sidecar-hash.ts';
import {
  agentConfigMounts,
  agentEnv,
  agentSshConfig,
  CONFIG_VOLUME,
  configVolume,
  needsConfigVolume,
  SSH_CONFIG_VOLUME,
  sidecarContainer,
  sshConfigVolume,
  tokenVolume,
} from './sidecar-template.ts';

export type InjectionDenyCode = ResolveErrorCode | ExposureCode | 'ReservedContainerName' | 'InjectLabelInvalid';

export type InjectionPlan =
  | { readonly kind: 'patch'; readonly patch: readonly JsonPatchOp[]; readonly record: InjectionRecord }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'deny'; readonly code: InjectionDenyCode; readonly message: string };

type AgentPlan = Extract<InjectionPlan, { kind: 'patch' | 'deny' }>;

export function planInjection(
  pod: V1Pod,
  namespace: string,
  catalog: Catalog,
  settings: InjectionSettings,
  mode: InjectionMode = 'pod',
): InjectionPlan {
  const ns = namespace || pod.metadata?.namespace || 'default';
  if (isExcludedNamespace(ns, settings.operatorNamespace)) return { kind: 'skip', reason: `namespace ${ns} is never injected` };
  const selection = selectPod(pod, mode);
  if (selection.kind === 'not-agent') return { kind: 'skip', reason: selection.reason };
  if (selection.kind === 'invalid') return { kind: 'deny', code: 'InjectLabelInvalid', message: selection.message };

  const plan = planAgent(selection.labeled ? pod : withInjectLabel(pod), ns, catalog, settings);
  if (plan.kind === 'deny') {
    if (mode !== 'namespace' || plan.code !== 'NoIdentity') return plan;
    return {
      ...plan,
      message: `${plan.message} (namespace ${ns} is labeled ${LABELS.namespaceInjection}=${INJECTION_ALL.namespace}: every pod created in it is an agent unless labeled ${LABELS.podInject}=${INJECTION_ALL.podExcluded})`,
    };
  }
  const patch = selection.labeled ? plan.patch : [injectLabelOp(pod), ...plan.patch];
  return patch.length === 0 ? { kind: 'unchanged' } : { ...plan, patch };
}

function withInjectLabel(pod: V1Pod): V1Pod {
  return { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, [LABELS.podInject]: LABEL_ENABLED.pod } } };
}

function injectLabelOp(pod: V1Pod): JsonPatchOp {
  if (pod.metadata?.labels === undefined) {
    return { op: 'add', path: pointer('metadata', 'labels'), value: { [LABELS.podInject]: LABEL_ENABLED.pod } };
  }
  return { op: 'add', path: pointer('metadata', 'labels', LABELS.podInject), value: LABEL_ENABLED.pod };
}

/** The plan for a pod that is an agent pod (labeled so): a patch, possibly empty, or a denial. */
function planAgent(pod: V1Pod, ns: string, catalog: Catalog, settings: InjectionSettings): AgentPlan {
  const facts = podFacts(pod, ns);
  const identities = resolvePodIdentities(facts, catalog.identities(ns));
  if (!identities.ok) return { kind: 'deny', code: identities.code, message: identities.message };
  const namespaceTargets = catalog.targets(ns);
  const targets = resolveTargets(facts, identities.value, namespaceTargets);
  if (!targets.ok) return { kind: 'deny', code: targets.code, message: targets.message };

  if ((pod.spec?.containers ?? []).some((c) => c.name === SIDECAR_CONTAINER)) {
    return {
      kind: 'deny',
      code: 'ReservedContainerName',
      message: `container name ${SIDECAR_CONTAINER} is reserved for the airlock sidecar: rename the container`,
    };
  }
  // The ServiceAccount admission plugin ran before us and mounted the pod's token everywhere;
  // automount is about to be turned off, so its volume goes too (unless asked for explicitly: denied below).
  const admissionVolumes = new Set(
    pod.spec?.automountServiceAccountToken === true
      ? []
      : (pod.spec?.volumes ?? []).filter(isServiceAccountAdmissionVolume).map((v) => v.name),
  );
  const exposures = findExposures(pod, { credentialSecrets: credentialSecrets(namespaceTargets), ignoreVolumes: admissionVolumes });
  if (exposures.length > 0) {
    return { kind: 'deny', code: exposures[0]!.code, message: exposures.map((e) => e.message).join('; ') };
  }

  const resolved = targets.value;
  // Any identity of the pod: a session may be a token identity that delegates, even where the pod's own does not.
  const delegation = allPodIdentities(identities.value).some((identity) => identity.spec.delegation !== undefined);
  const onDelegationPort = delegation ? resolved.find((t) => t.spec.localPort === DELEGATION_PORT) : undefined;
  if (onDelegationPort) {
    return {
      kind: 'deny',
      code: 'PortClash',
      message: `Target ${onDelegationPort.metadata.name} uses localPort ${DELEGATION_PORT}, where the sidecar serves delegation on this pod (an AgentIdentity of the pod has spec.delegation): give the Target another localPort`,
    };
  }
  const features = { delegation };
  const sidecar = sidecarContainer(settings, resolved, features);
  const token = tokenVolume();
  const record: InjectionRecord = {
    version: 1,
    // Empty when every identity selecting the pod requires a token: its sessions are who their tokens say.
    identity: identities.value.own?.metadata.name ?? '',
    targets: resolved.map((t) => t.metadata.name ?? '').sort(),
    sidecarHash: sidecarHash(sidecar, token),
  };
  const sshConfig = agentSshConfig(resolved);
  const desired = desiredSpec(pod, {
    sidecar,
    token,
    record,
    admissionVolumes,
    env: agentEnv(resolved, features),
    config: needsConfigVolume(resolved),
    sshConfig: sshConfig !== undefined,
    configMounts: agentConfigMounts(resolved),
  });
  return {
    kind: 'patch',
    patch: patchOps(pod, desired, { [ANNOTATIONS.injected]: serializeRecord(record), [ANNOTATIONS.sshConfig]: sshConfig }),
    record,
  };
}

interface Desired {
  readonly initContainers: V1Container[];
  readonly containers: V1Container[];
  readonly volumes: V1Volume[];
}

function desiredSpec(
  pod: V1Pod,
  parts: {
    sidecar: V1Container;
    token: V1Volume;
    record: InjectionRecord;
    admissionVolumes: ReadonlySet<string>;
    env: V1EnvVar[];
    config: boolean;
    sshConfig: boolean;
    configMounts: readonly V1VolumeMount[];
  },
): Desired {
  const spec = pod.spec;
  const init = spec?.initContainers ?? [];
  const existing = init.find((c) => c.name === SIDECAR_CONTAINER);
  const existingToken = spec?.volumes?.find((v) => v.name === parts.token.name);
  // Keep the stored sidecar when it is ours (same canonical form): it carries the API server's
  // defaults, and replacing it with our undefaulted copy would be a change every pass.
  const sidecar = existing && sidecarHash(existing, existingToken) === parts.record.sidecarHash ? existing : parts.sidecar;
  const agent = (container: V1Container): V1Container => {
    const env = withAgentEnv(container.env, parts.env);
    const volumeMounts = withAgentMounts(container.volumeMounts, parts.admissionVolumes, parts.configMounts);
    if (env === container.env && volumeMounts === container.volumeMounts) return container;
    const out: V1Container = { ...container };
    if (env === undefined) delete out.env;
    else out.env = env;
    if (volumeMounts === undefined) delete out.volumeMounts;
    else out.volumeMounts = volumeMounts;
    return out;
  };
  let volumes = (spec?.volumes ?? []).filter((v) => !parts.admissionVolumes.has(v.name));
  volumes = withVolume(volumes, parts.token);
  if (parts.config) volumes = withVolume(volumes, configVolume());
  if (parts.sshConfig) volumes = withVolume(volumes, sshConfigVolume());
  return {
    // First: native sidecars start in order, so no agent init container runs before the sidecar is ready.
    initContainers: [sidecar, ...init.filter((c) => c.name !== SIDECAR_CONTAINER).map(agent)],
    containers: (spec?.containers ?? []).map(agent),
    volumes,
  };
}

/**
 * Airlock's env vars go first and replace the container's own of the same names: the value a
 * tool reads is always the sidecar's (the last duplicate wins in the kubelet, so duplicates are
 * removed rather than shadowed), and the container's own vars can still refer to them as $(NAME).
 */
function withAgentEnv(env: V1EnvVar[] | undefined, ours: readonly V1EnvVar[]): V1EnvVar[] | undefined {
  if (ours.length === 0) return env;
  const names = new Set(ours.map((e) => e.name));
  const current = env ?? [];
  if (
    stableStringify(current.slice(0, ours.length)) === stableStringify(ours) &&
    !current.slice(ours.length).some((e) => names.has(e.name))
  ) {
    return env;
  }
  return [...ours, ...current.filter((e) => !names.has(e.name))];
}

/**
 * The container's mounts without the removed volumes and with ours of airlock's volumes (config,
 * ssh_config), after its own. A single file of ours goes only where the container mounts nothing of its own at that path
 * or above it (a ConfigMap at /etc/ssh is that container's ssh configuration, and a mount point
 * cannot be made inside a read-only volume); its tools still get the file's variables.
 */
function withAgentMounts(
  mounts: V1VolumeMount[] | undefined,
  removed: ReadonlySet<string>,
  configMounts: readonly V1VolumeMount[],
): V1VolumeMount[] | undefined {
  const current = mounts ?? [];
  let next = current.filter((m) => !removed.has(m.name));
  if (configMounts.length > 0) {
    const own = next.filter((m) => !AGENT_VOLUMES.has(m.name));
    const ours = configMounts.filter((m) => m.subPath === undefined || !own.some((o) => covers(o.mountPath, m.mountPath)));
    const existing = next.filter((m) => AGENT_VOLUMES.has(m.name));
    if (stableStringify(existing) !== stableStringify(ours)) next = [...own, ...ours];
  }
  if (next.length === current.length && next.every((m, i) => m === current[i])) return mounts;
  return next.length === 0 && mounts === undefined ? undefined : next;
}

const AGENT_VOLUMES: ReadonlySet<string> = new Set([CONFIG_VOLUME, SSH_CONFIG_VOLUME]);

/** `outer` is `path` or a directory above it (not `/`). */
function covers(outer: string, path: string): boolean {
  const dir = outer.replace(/\/+$/, '');
  return dir !== '' && (path === dir || path.startsWith(`${dir}/`));
}

/** Keeps a volume of that name in place when it is already the one we want; replaces it otherwise. */
function withVolume(volumes: V1Volume[], wanted: V1Volume): V1Volume[] {
  const same = volumes.filter((v) => v.name === wanted.name);
  if (same.length === 1 && stableStringify(canonicalVolume(same[0])) === stableStringify(canonicalVolume(wanted))) return volumes;
  return [...volumes.filter((v) => v.name !== wanted.name), wanted];
}

/** `annotations`: the values ours must have; undefined: ours must be absent. */
function patchOps(pod: V1Pod, desired: Desired, annotations: Readonly<Record<string, string | undefined>>): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const spec = pod.spec;
  const differs = (a: unknown, b: unknown) => stableStringify(a) !== stableStringify(b);
  // `add` on an existing member replaces it (RFC 6902 4.1), so one op covers absent and present.
  if (differs(spec?.initContainers ?? [], desired.initContainers)) {
    ops.push({ op: 'add', path: pointer('spec', 'initContainers'), value: desired.initContainers });
  }
  if (differs(spec?.containers ?? [], desired.containers))
    ops.push({ op: 'add', path: pointer('spec', 'containers'), value: desired.containers });
  if (differs(spec?.volumes ?? [], desired.volumes)) ops.push({ op: 'add', path: pointer('spec', 'volumes'), value: desired.volumes });
  if (spec?.automountServiceAccountToken !== false) {
    ops.push({ op: 'add', path: pointer('spec', 'automountServiceAccountToken'), value: false });
  }
  const current = pod.metadata?.annotations;
  const wanted = Object.entries(annotations).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (current === undefined) {
    if (wanted.length > 0) ops.push({ op: 'add', path: pointer('metadata', 'annotations'), value: Object.fromEntries(wanted) });
    return ops;
  }
  for (const [key, value] of Object.entries(annotations)) {
    if (current[key] === value) continue;
    const path = pointer('metadata', 'annotations', key);
    // A pod that reaches no SSH Target has no ssh_config: one set by hand would only mislead.
    if (value === undefined) ops.push({ op: 'remove', path });
    else ops.push({ op: 'add', path, value });
  }
  return ops;
}
