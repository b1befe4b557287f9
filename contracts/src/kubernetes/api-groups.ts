/**
 * Who serves an API group, as far as a name tells. kube-apiserver serves the core group and its
 * built-in groups itself, with its own semantics for dry runs, selectors and subresources. Any
 * other group is a custom resource (also served by kube-apiserver) or an aggregated API: an
 * extension API server the aggregator proxies to, which implements those semantics as it likes
 * (it may ignore dryRun). Only discovery (the APIService objects) tells which, so the parser
 * marks the group and leaves the decision to a layer that knows the cluster.
 */

export type ApiGroupOrigin =
  /** The core group (/api/v1). */
  | 'core'
  /** A group kube-apiserver itself serves (BUILT_IN_API_GROUPS). */
  | 'built-in'
  /** A group well known to be served by an extension API server (metrics-server, metrics adapters). */
  | 'aggregated'
  /** A custom resource's group or an aggregated API the parser does not know. */
  | 'unlisted';

/**
 * The groups kube-apiserver 1.35 serves itself, alpha ones included (enabled per cluster). Not
 * here: groups that name webhook payloads or discovery documents but are not served
 * (admission.k8s.io, imagepolicy.k8s.io, apidiscovery.k8s.io) and the removed `extensions`.
 */
export const BUILT_IN_API_GROUPS: ReadonlySet<string> = new Set([
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/** Groups of the Kubernetes metrics APIs, always served by extension API servers. */
export const WELL_KNOWN_AGGREGATED_API_GROUPS: ReadonlySet<string> = new Set([
  'metrics.k8s.io',
  'custom.metrics.k8s.io',
  'external.metrics.k8s.io',
]);

export function apiGroupOrigin(group: string): ApiGroupOrigin {
  if (group === '') return 'core';
  if (BUILT_IN_API_GROUPS.has(group)) return 'built-in';
  if (WELL_KNOWN_AGGREGATED_API_GROUPS.has(group)) return 'aggregated';
  return 'unlisted';
}
