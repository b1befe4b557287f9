/**
 * The namespaced types searched for dependents (objects whose ownerReferences name a deleted
 * object) and counted in a namespace about to be deleted: the built-in workload chain
 * (Deployment → ReplicaSet → Pod, CronJob → Job → Pod, StatefulSet/DaemonSet → ControllerRevision
 * and Pod), what Services own (EndpointSlices), and what workloads commonly own (ConfigMaps,
 * Secrets, PersistentVolumeClaims). A fixed list keeps the search to one list call per type;
 * custom resources are not searched, and the evidence says so.
 */

export interface DependentType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
}

export const DEPENDENT_TYPES: readonly DependentType[] = [
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet' },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet' },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet' },
  { group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision' },
  { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob' },
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job' },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod' },
  { group: '', version: 'v1', resource: 'services', kind: 'Service' },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice' },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret' },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim' },
];

/** `1 replicaset`, `2 replicasets`: the resource's own plural, so the words are kubectl's. */
export function countOf(type: DependentType, count: number): string {
  return `${count} ${count === 1 ? type.kind.toLowerCase() : type.resource}`;
}

/** The kind of a resource when the fixed list knows it. */
export function knownKind(group: string, resource: string): string | undefined {
  return DEPENDENT_TYPES.find((t) => t.group === group && t.resource === resource)?.kind ?? OTHER_KINDS.get(`${group}/${resource}`);
}

const OTHER_KINDS: ReadonlyMap<string, string> = new Map([
  ['/namespaces', 'Namespace'],
  ['/nodes', 'Node'],
  ['/persistentvolumes', 'PersistentVolume'],
  ['/serviceaccounts', 'ServiceAccount'],
  ['/replicationcontrollers', 'ReplicationController'],
]);
