/**
 * The kubeconfig the agents' Kubernetes clients read (KUBECONFIG, set by the webhook, names it on
 * the config volume): one cluster and one context per kubernetes Target, each pointing at the
 * sidecar's listener on the pod's loopback over plain HTTP, and one user with no credential at all.
 *
 * Plain HTTP on loopback (docs/adr/0026): the connection never leaves the pod's network namespace,
 * which only the pod's own containers share — and they could connect to the listener with or
 * without TLS, so a per-pod CA would protect nothing and cost a handshake per connection. There is
 * no secret to protect on that hop: the kubeconfig carries no token, the sidecar adds its own
 * upstream. The context's namespace is the Target's (a pod reaches only the Targets of its own
 * namespace), so `kubectl get pods` means the agent's namespace as it would in-cluster.
 *
 * Each cluster says `insecure-skip-tls-verify: true`, which on an http:// server turns nothing off
 * (there is no TLS to verify) but which client-node requires before it talks plain HTTP.
 *
 * Written as JSON, which every kubeconfig reader accepts (it is YAML), so no name needs quoting.
 */

export interface AgentKubernetesListener {
  readonly target: string;
  /** The Target's namespace: the contexts' default namespace. */
  readonly namespace: string;
  /** The address the listener is bound to (AIRLOCK_LISTEN_HOST). */
  readonly host: string;
  readonly port: number;
}

/** The user every context names: it holds nothing, so a client sends no Authorization header. */
export const AGENT_KUBECONFIG_USER = 'airlock-agent';

/** The kubeconfig text for the listeners; the first by Target name is the current context. */
export function renderAgentKubeconfig(listeners: readonly AgentKubernetesListener[]): string {
  const sorted = [...listeners].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: sorted.map((listener) => ({
      name: listener.target,
      // On an http:// server there is no certificate, so this verifies nothing less: it is here
      // because client-node refuses a plain-HTTP server unless it is set (kubectl, client-go,
      // Helm and the Python client do not care). See docs/adr/0026.
      cluster: { server: `http://${hostForUrl(listener.host)}:${listener.port}`, 'insecure-skip-tls-verify': true },
    })),
    users: [{ name: AGENT_KUBECONFIG_USER, user: {} }],
    contexts: sorted.map((listener) => ({
      name: listener.target,
      context: { cluster: listener.target, user: AGENT_KUBECONFIG_USER, namespace: listener.namespace },
    })),
    'current-context': sorted[0]?.target ?? '',
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** An IPv6 address goes in brackets in a URL. */
function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
