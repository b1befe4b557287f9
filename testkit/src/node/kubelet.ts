/**
 * The test node's kubelet: its configuration (pure) and how it is started. What a machine like
 * the CI one needs: cgroup v1 accepted (`failCgroupV1: false`), the cgroupfs driver (no systemd),
 * swap tolerated, image garbage collection off (the imported images cannot be pulled again). Pods
 * get the cluster DNS (cluster-dns.ts) as their only nameserver, with the cluster's search path,
 * and nothing of the machine's resolv.conf (`resolvConf: ""`): they resolve names of the cluster
 * and nothing else. Its own root dir, pod log dir, volume plugin dir and cgroup root, so what it
 * writes is the node's; what it writes elsewhere anyway (sysctls, /var/lib/kubelet/device-plugins,
 * /var/log/containers, iptables chains) the machine restore undoes.
 *
 * It serves on the bridge address (the node IP; kubelet refuses a loopback node IP), where only
 * the API server talks to it: clients must show a certificate of the test CA (only the API
 * server's kubelet-client certificate is one), and then may do anything (AlwaysAllow), which is
 * what the API server's `kubectl exec`/`logs` need. Pods reach the address but hold no such
 * certificate; anonymous requests are refused.
 */
import { CLUSTER_DOMAIN } from './cluster-dns.ts';

export interface KubeletSettings {
  readonly nodeIp: string;
  readonly port: number;
  readonly healthzPort: number;
  readonly podLogsDir: string;
  readonly volumePluginDir: string;
  /** A cgroupfs path; created in every hierarchy before kubelet starts (it checks that it exists). */
  readonly cgroupRoot: string;
  /** unix:// path of the CRI socket. */
  readonly runtimeEndpoint: string;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
  /** Clients (the API server) must show a certificate signed by this CA. */
  readonly clientCaFile: string;
  /** The cluster DNS's ClusterIP, each pod's nameserver. */
  readonly clusterDns: string;
}

export function kubeletConfiguration(s: KubeletSettings): object {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: s.nodeIp,
    port: s.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: s.healthzPort,
    tlsCertFile: s.tlsCertFile,
    tlsPrivateKeyFile: s.tlsPrivateKeyFile,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: s.clientCaFile },
    },
    authorization: { mode: 'AlwaysAllow' },
    containerRuntimeEndpoint: s.runtimeEndpoint,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: s.cgroupRoot,
    failCgroupV1: false,
    failSwapOn: false,
    resolvConf: '',
    clusterDNS: [s.clusterDns],
    clusterDomain: CLUSTER_DOMAIN,
    podLogsDir: s.podLogsDir,
    volumePluginDir: s.volumePluginDir,
    // Lowering its own OOM score needs CAP_SYS_RESOURCE, which root here lacks.
    oomScoreAdj: 0,
    protectKernelDefaults: false,
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // Evict only when the machine is really out of room: a busy CI disk must not evict test pods.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
    shutdownGracePeriod: '0s',
    shutdownGracePeriodCriticalPods: '0s',
    maxPods: 60,
    // Status and ConfigMap/Secret changes show up in seconds, not the production minute.
    nodeStatusReportFrequency: '10s',
    syncFrequency: '10s',
    registerNode: true,
    serializeImagePulls: false,
    logging: { format: 'text' },
  };
}

export function kubeletArgs(options: {
  configFile: string;
  kubeconfig: string;
  rootDir: string;
  certDir: string;
  nodeName: string;
  nodeIp: string;
}): string[] {
  return [
    `--config=${options.configFile}`,
    `--kubeconfig=${options.kubeconfig}`,
    `--root-dir=${options.rootDir}`,
    `--cert-dir=${options.certDir}`,
    `--hostname-override=${options.nodeName}`,
    `--node-ip=${options.nodeIp}`,
    '--v=1',
  ];
}
