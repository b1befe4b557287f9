/**
 * The CRI plugin's part of a private containerd's config (containerd 1.6, config version 2), for
 * the test node's kubelet. What each setting is for on a machine like the CI one:
 * - `restrict_oom_score_adj`: root here lacks CAP_SYS_RESOURCE, so runc cannot lower a
 *   container's OOM score; without this every sandbox fails with "can't get final child's PID
 *   from pipe: EOF".
 * - `disable_apparmor`: the profile kubelet asks for is not loaded here.
 * - runc with cgroupfs (the kubelet's driver) and its own state `Root`, never /run/containerd/runc.
 * - `netns_mounts_under_state_dir`: pod network namespaces are mounted under containerd's state,
 *   not in /run/netns.
 * - CNI plugins from Debian's containernetworking-plugins, the network config from our own dir.
 * - The sandbox ("pause") image is a local one imported beforehand: nothing is ever pulled.
 */

export interface CriSettings {
  /** The image every pod sandbox runs, already imported into the k8s.io namespace. */
  readonly sandboxImage: string;
  /** Where the CNI network config is (ours, not /etc/cni/net.d). */
  readonly cniConfDir: string;
  /** Where the CNI plugins are (Debian: /usr/lib/cni). */
  readonly cniBinDir: string;
  /** runc's state dir for CRI containers. */
  readonly runcRoot: string;
}

/** The Debian package's plugin dir. */
export const DEBIAN_CNI_BIN_DIR = '/usr/lib/cni';

export function criPluginToml(cri: CriSettings): string {
  const q = (value: string) => JSON.stringify(value);
  const plugin = '[plugins."io.containerd.grpc.v1.cri"]';
  return [
    plugin,
    `  sandbox_image = ${q(cri.sandboxImage)}`,
    '  restrict_oom_score_adj = true',
    '  disable_apparmor = true',
    '  enable_selinux = false',
    '  netns_mounts_under_state_dir = true',
    '  disable_tcp_service = true',
    // kubelet reaches exec/attach/port-forward streams here; loopback only, a free port.
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `${plugin.slice(0, -1)}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `${plugin.slice(0, -1)}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `${plugin.slice(0, -1)}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = false',
    `  Root = ${q(cri.runcRoot)}`,
    `${plugin.slice(0, -1)}.cni]`,
    `  bin_dir = ${q(cri.cniBinDir)}`,
    `  conf_dir = ${q(cri.cniConfDir)}`,
    '  max_conf_num = 1',
    '',
  ].join('\n');
}
