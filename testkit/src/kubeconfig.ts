/** Kubeconfig files for the test users: one cluster, one user, one context each. */
import { stringify } from 'yaml';

export function kubeconfigYaml(opts: { server: string; caPem: string; user: string; token: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'airlock-e2e', cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caPem).toString('base64') } },
    ],
    users: [{ name: opts.user, user: { token: opts.token } }],
    contexts: [{ name: opts.user, context: { cluster: 'airlock-e2e', user: opts.user } }],
    'current-context': opts.user,
  });
}
