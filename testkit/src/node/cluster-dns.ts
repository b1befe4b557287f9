/**
 * The test node's cluster DNS, as manifests (pure): CoreDNS run as a pod in kube-system behind the
 * `kube-dns` Service at a fixed ClusterIP, the way kubeadm and kind clusters run it. The kubelet
 * hands that address to every pod as its nameserver, with the cluster's search path
 * (kubelet.ts), so pods resolve Services and pods as in a real cluster: the chart's
 * `airlock-broker.<ns>.svc`, a short Service name in the pod's own namespace.
 *
 * Nothing is forwarded: no packet leaves the machine (network-guard.ts). A name outside the
 * cluster gets NXDOMAIN at once from a catch-all server block (a `template`; it cannot follow
 * the kubernetes plugin in one block, CoreDNS orders plugins itself), so a pod that looks one up
 * fails fast and nothing is asked of a server elsewhere.
 *
 * CoreDNS runs as nonroot with a read-only root and no capabilities, so it cannot bind port 53:
 * it listens on 1053 and the Service maps 53 to that, UDP and TCP.
 */
import { NONROOT_ID } from '@airlock/build';

/** The cluster's DNS domain: kubelet's clusterDomain and CoreDNS's kubernetes zone. */
export const CLUSTER_DOMAIN = 'cluster.local';

/** Where CoreDNS runs and what it is called, as in kubeadm clusters. */
export const CLUSTER_DNS = {
  namespace: 'kube-system',
  deployment: 'coredns',
  service: 'kube-dns',
  /** The pods' label, which the Service selects. */
  labels: { 'k8s-app': 'kube-dns' },
} as const;

/** What CoreDNS listens on in its pod. */
export const COREDNS_PORTS = { dns: 1053, health: 8080, ready: 8181 } as const;

/** CoreDNS's configuration: the cluster's zones from the API server, everything else NXDOMAIN. */
export function corefile(): string {
  const { dns, health, ready } = COREDNS_PORTS;
  const zones = [CLUSTER_DOMAIN, 'in-addr.arpa', 'ip6.arpa'];
  return [
    `${zones.map((zone) => `${zone}:${dns}`).join(' ')} {`,
    '    errors',
    `    health :${health}`,
    `    ready :${ready}`,
    // No fallthrough: a reverse name of an address outside the cluster gets NXDOMAIN here.
    `    kubernetes ${zones.join(' ')} {`,
    '        pods insecure',
    '    }',
    '    cache 30',
    // Nothing to detect without a forward; stops CoreDNS should one ever make it ask itself.
    '    loop',
    '}',
    `.:${dns} {`,
    '    template ANY ANY {',
    '        rcode NXDOMAIN',
    '    }',
    '}',
    '',
  ].join('\n');
}

export interface ClusterDnsOptions {
  /** The CoreDNS image as the node's containerd knows it (imported; never pulled). */
  readonly image: string;
  /** The kube-dns Service's ClusterIP: kubelet's clusterDNS. */
  readonly serviceIp: string;
}

/** ServiceAccount, ClusterRole and binding, ConfigMap, Deployment and Service, in the order to apply them. */
export function clusterDnsManifests(options: ClusterDnsOptions): object[] {
  const { namespace, deployment, service, labels } = CLUSTER_DNS;
  const { dns, health, ready } = COREDNS_PORTS;
  const role = 'system:coredns';
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: deployment, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      // What the kubernetes plugin watches (pods too only with `pods verified`).
      rules: [
        { apiGroups: [''], resources: ['services', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: deployment, namespace }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: deployment, namespace }, data: { Corefile: corefile() } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: deployment, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: deployment,
            priorityClassName: 'system-cluster-critical',
            // Not itself: it resolves nothing but the cluster, from the API server.
            dnsPolicy: 'Default',
            terminationGracePeriodSeconds: 5,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: NONROOT_ID,
              runAsGroup: NONROOT_ID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'coredns',
                image: options.image,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: dns, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: dns, protocol: 'TCP' },
                ],
                resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
                readinessProbe: { httpGet: { path: '/ready', port: ready }, periodSeconds: 1, failureThreshold: 3 },
                livenessProbe: {
                  httpGet: { path: '/health', port: health },
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  failureThreshold: 5,
                },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              },
            ],
            volumes: [{ name: 'config', configMap: { name: deployment, items: [{ key: 'Corefile', path: 'Corefile' }] } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: service, namespace, labels },
      spec: {
        selector: labels,
        clusterIP: options.serviceIp,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 'dns-tcp' },
        ],
      },
    },
  ];
}
