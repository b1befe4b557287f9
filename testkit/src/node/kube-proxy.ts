/**
 * The test node's kube-proxy configuration (pure), iptables mode. `masqueradeAll`: a pod that
 * reaches a Service backed by a pod on the same bridge gets its answer back only if the answer
 * passes the node, which undoes the translation; without br_netfilter (not on every machine) the
 * backend would answer the client straight over the bridge, from the wrong address. Masquerading
 * every Service connection makes the backend answer the node. The conntrack settings are zero,
 * which tells kube-proxy to leave the machine's conntrack sysctls alone; localhost NodePorts are
 * off (they need route_localnet=1) and NodePorts listen on the bridge address only.
 */
import type { PodNetwork } from './pod-network.ts';

export function kubeProxyConfiguration(options: {
  kubeconfig: string;
  nodeName: string;
  network: PodNetwork;
  healthzPort: number;
  metricsPort: number;
}): object {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: options.kubeconfig },
    hostnameOverride: options.nodeName,
    mode: 'iptables',
    clusterCIDR: options.network.podCidr,
    healthzBindAddress: `127.0.0.1:${options.healthzPort}`,
    metricsBindAddress: `127.0.0.1:${options.metricsPort}`,
    nodePortAddresses: [`${options.network.gateway}/32`],
    oomScoreAdj: 0,
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: '0s',
      tcpCloseWaitTimeout: '0s',
      tcpBeLiberal: false,
      udpTimeout: '0s',
      udpStreamTimeout: '0s',
    },
    iptables: { masqueradeAll: true, localhostNodePorts: false, syncPeriod: '30s', minSyncPeriod: '0s' },
    logging: { format: 'text' },
  };
}
