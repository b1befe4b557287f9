/**
 * Whether a built-in resource of Kubernetes 1.35 is namespaced, without asking an API server.
 *
 * The scope of a request without a namespace (`GET /api/v1/nodes` acts on the cluster,
 * `GET /api/v1/pods` across all namespaces) depends on the resource, and an allow rule decides
 * the two differently (ADR 0025). A sidecar learns it from its API server's discovery; where no
 * API server is at hand (airlock-policy-test) this table answers for the resources kube-apiserver
 * serves itself. It lists what kube-apiserver 1.35 serves by default, exactly as its discovery
 * says (e2e/tests/kubernetes-built-in-scopes.test.ts compares the two both ways). Anything else —
 * a custom resource, an aggregated API, an alpha or beta resource a cluster enables — is
 * undefined: the caller cannot tell, and the request is read as both, which is stricter, never
 * looser.
 *
 * Keyed by group and resource, not version: every version of a built-in resource is the same
 * stored object, so it has one scope (`autoscaling/v1` and `autoscaling/v2` horizontalpodautoscalers).
 */

/** Resource name (lower-case plural, as in the path) → namespaced, per API group ('' is the core group). */
const NAMESPACED_BY_GROUP: ReadonlyMap<string, ReadonlyMap<string, boolean>> = new Map(
  Object.entries({
    '': {
      bindings: true,
      componentstatuses: false,
      configmaps: true,
      endpoints: true,
      events: true,
      limitranges: true,
      namespaces: false,
      nodes: false,
      persistentvolumeclaims: true,
      persistentvolumes: false,
      pods: true,
      podtemplates: true,
      replicationcontrollers: true,
      resourcequotas: true,
      secrets: true,
      serviceaccounts: true,
      services: true,
    },
    'admissionregistration.k8s.io': {
      mutatingwebhookconfigurations: false,
      validatingadmissionpolicies: false,
      validatingadmissionpolicybindings: false,
      validatingwebhookconfigurations: false,
    },
    'apiextensions.k8s.io': { customresourcedefinitions: false },
    'apiregistration.k8s.io': { apiservices: false },
    apps: { controllerrevisions: true, daemonsets: true, deployments: true, replicasets: true, statefulsets: true },
    'authentication.k8s.io': { selfsubjectreviews: false, tokenreviews: false },
    'authorization.k8s.io': {
      localsubjectaccessreviews: true,
      selfsubjectaccessreviews: false,
      selfsubjectrulesreviews: false,
      subjectaccessreviews: false,
    },
    autoscaling: { horizontalpodautoscalers: true },
    batch: { cronjobs: true, jobs: true },
    'certificates.k8s.io': { certificatesigningrequests: false },
    'coordination.k8s.io': { leases: true },
    'discovery.k8s.io': { endpointslices: true },
    'events.k8s.io': { events: true },
    'flowcontrol.apiserver.k8s.io': { flowschemas: false, prioritylevelconfigurations: false },
    'networking.k8s.io': { ingressclasses: false, ingresses: true, ipaddresses: false, networkpolicies: true, servicecidrs: false },
    'node.k8s.io': { runtimeclasses: false },
    policy: { poddisruptionbudgets: true },
    'rbac.authorization.k8s.io': { clusterrolebindings: false, clusterroles: false, rolebindings: true, roles: true },
    'resource.k8s.io': { deviceclasses: false, resourceclaims: true, resourceclaimtemplates: true, resourceslices: false },
    'scheduling.k8s.io': { priorityclasses: false },
    'storage.k8s.io': {
      csidrivers: false,
      csinodes: false,
      csistoragecapacities: true,
      storageclasses: false,
      volumeattachments: false,
      volumeattributesclasses: false,
    },
  }).map(([group, resources]) => [group, new Map(Object.entries(resources))]),
);

/** A resource of the API: its group ('' for core), version and lower-case plural name. */
export interface ApiResourceRef {
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
}

/**
 * true for a built-in namespaced resource (pods, deployments), false for a built-in cluster-scoped
 * one (nodes, namespaces, clusterroles, customresourcedefinitions), undefined for any other
 * resource, whose scope only the cluster's discovery knows.
 */
export function builtInNamespaced(resource: ApiResourceRef): boolean | undefined {
  return NAMESPACED_BY_GROUP.get(resource.apiGroup)?.get(resource.resource);
}

/** Every resource of the table, for tests that hold it against an API server's discovery. */
export function builtInResourceScopes(): { readonly apiGroup: string; readonly resource: string; readonly namespaced: boolean }[] {
  return [...NAMESPACED_BY_GROUP].flatMap(([apiGroup, resources]) =>
    [...resources].map(([resource, namespaced]) => ({ apiGroup, resource, namespaced })),
  );
}
