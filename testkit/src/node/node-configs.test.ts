/**
 * The settings a machine like the CI one needs (see each file's header for why), checked where
 * they are written: a config that loses one fails here rather than as a pod that never starts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { criPluginToml } from './containerd-cri-config.ts';
import { kubeProxyConfiguration } from './kube-proxy.ts';
import { kubeletConfiguration } from './kubelet.ts';
import { kubernetesServiceEndpoints } from './kubernetes-service-endpoints.ts';
import { POD_NETWORK } from './pod-network.ts';

// biome-ignore lint/suspicious/noExplicitAny: configuration objects
type Obj = Record<string, any>;

test("containerd's CRI plugin: OOM scores restricted, no AppArmor, runc on cgroupfs with its own root, our CNI config", () => {
  const toml = criPluginToml({ sandboxImage: 'localhost/pause:1', cniConfDir: '/n/cni', cniBinDir: '/usr/lib/cni', runcRoot: '/n/runc' });
  for (const line of [
    '[plugins."io.containerd.grpc.v1.cri"]',
    '  sandbox_image = "localhost/pause:1"',
    '  restrict_oom_score_adj = true',
    '  disable_apparmor = true',
    '  netns_mounts_under_state_dir = true',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    '  SystemdCgroup = false',
    '  Root = "/n/runc"',
    '[plugins."io.containerd.grpc.v1.cri".cni]',
    '  bin_dir = "/usr/lib/cni"',
    '  conf_dir = "/n/cni"',
  ]) {
    assert.ok(toml.split('\n').includes(line), `missing: ${line}`);
  }
});

test('kubelet: cgroup v1 and cgroupfs, swap tolerated, the cluster DNS and no resolv.conf, serving on the node address to test-CA clients only', () => {
  const config = kubeletConfiguration({
    nodeIp: '10.244.0.1',
    port: 10250,
    healthzPort: 10248,
    podLogsDir: '/n/pod-logs',
    volumePluginDir: '/n/volume-plugins',
    cgroupRoot: '/airlock-node',
    runtimeEndpoint: 'unix:///n/containerd.sock',
    tlsCertFile: '/pki/kubelet.crt',
    tlsPrivateKeyFile: '/pki/kubelet.key',
    clientCaFile: '/pki/ca.crt',
    clusterDns: '10.0.0.10',
  }) as Obj;
  assert.equal(config.failCgroupV1, false);
  assert.equal(config.cgroupDriver, 'cgroupfs');
  assert.equal(config.cgroupRoot, '/airlock-node');
  assert.equal(config.failSwapOn, false);
  assert.equal(config.resolvConf, '');
  assert.deepEqual(config.clusterDNS, ['10.0.0.10']);
  assert.equal(config.clusterDomain, 'cluster.local');
  assert.equal(config.address, '10.244.0.1');
  assert.equal(config.readOnlyPort, 0);
  assert.deepEqual(config.authentication, {
    anonymous: { enabled: false },
    webhook: { enabled: false },
    x509: { clientCAFile: '/pki/ca.crt' },
  });
  assert.equal(config.podLogsDir, '/n/pod-logs');
  assert.equal(config.imageGCHighThresholdPercent, 100);
});

test('kube-proxy: iptables, masquerading every Service connection, leaving conntrack sysctls and route_localnet alone', () => {
  const config = kubeProxyConfiguration({ kubeconfig: '/k', nodeName: 'n', network: POD_NETWORK, healthzPort: 1, metricsPort: 2 }) as Obj;
  assert.equal(config.mode, 'iptables');
  assert.equal(config.iptables.masqueradeAll, true);
  assert.equal(config.iptables.localhostNodePorts, false);
  assert.deepEqual(config.nodePortAddresses, ['10.244.0.1/32']);
  assert.equal(config.conntrack.maxPerCore, 0);
  assert.equal(config.conntrack.tcpEstablishedTimeout, '0s');
  assert.equal(config.healthzBindAddress, '127.0.0.1:1');
});

test('the kubernetes Service points at the forwarder on the bridge address', () => {
  const [slice, endpoints] = kubernetesServiceEndpoints('10.244.0.1', 6443) as [Obj, Obj];
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
  assert.deepEqual(slice.endpoints, [{ addresses: ['10.244.0.1'], conditions: { ready: true } }]);
  assert.deepEqual(slice.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
  assert.deepEqual(endpoints.subsets, [{ addresses: [{ ip: '10.244.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
});
