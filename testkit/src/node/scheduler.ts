/**
 * kube-scheduler's command line for the test node: one replica, no leader election, serving its
 * health endpoint on loopback with a certificate of the test CA (so readiness can be checked with
 * TLS verified); /healthz is one of the paths it allows without authentication.
 */
export function schedulerArgs(options: { kubeconfig: string; port: number; certFile: string; keyFile: string }): string[] {
  return [
    `--kubeconfig=${options.kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${options.port}`,
    `--tls-cert-file=${options.certFile}`,
    `--tls-private-key-file=${options.keyFile}`,
    '--v=1',
  ];
}
