/**
 * Where in-cluster clients find the API server: the `kubernetes` Service (10.0.0.1:443, which
 * the API server creates) needs endpoints, and the API server runs with
 * `--endpoint-reconciler-type=none` (it listens on loopback, which it must not advertise). Pods
 * reach it through the forwarder on the bridge address, so that is the endpoint: an
 * EndpointSlice for kube-proxy and the Endpoints object older clients read.
 */
export function kubernetesServiceEndpoints(address: string, port: number): object[] {
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  return [
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'airlock-testkit' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports,
    },
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      // No mirroring: the slice above is the one kube-proxy reads.
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: address }], ports }],
    },
  ];
}
