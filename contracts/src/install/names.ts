/** Labels, annotations and names the operator, its webhooks and the sidecar agree on. */
export const LABELS = {
  /** On a namespace: its pods may be agents (the platform admin opts the namespace in); the value is its mode. */
  namespaceInjection: 'airlock.dev/injection',
  /** On a pod: `true`, this pod is an agent and gets the sidecar; `false`, it is not (see INJECTION_ALL). */
  podInject: 'airlock.dev/inject',
} as const;
/** Namespace `enabled`: pods labeled `airlock.dev/inject=true` are agents. The label every agent pod carries. */
export const LABEL_ENABLED = { namespace: 'enabled', pod: 'true' } as const;
/**
 * Namespace `all` (CI mode): every pod created in it is an agent — the webhook adds
 * `airlock.dev/inject=true` — except pods labeled `airlock.dev/inject=false` (a CI runner's own
 * manager pod). For CI systems whose pods' labels are awkward to control.
 */
export const INJECTION_ALL = { namespace: 'all', podExcluded: 'false' } as const;

export const ANNOTATIONS = {
  /** Names the AgentIdentity when several match the pod's service account. */
  identity: 'airlock.dev/identity',
  /** Comma-separated Target names, a subset of the identity's; absent means all of them. */
  targets: 'airlock.dev/targets',
  /** What the webhook injected (JSON); makes re-invocation idempotent and lets validation compare. */
  injected: 'airlock.dev/injected',
  /**
   * On a pod that reaches an SSH Target: the ssh_config the webhook rendered for its agents, which a
   * downward API volume gives them at /etc/ssh/ssh_config.d/airlock.conf. Cannot change once created.
   */
  sshConfig: 'airlock.dev/ssh-config',
  /**
   * On a namespace labeled `airlock.dev/injection=all`: comma-separated service accounts whose pods
   * may use the exclusion label; absent, any pod may. Enforced by the API server (exclusion-policy.ts).
   */
  excludableServiceAccounts: 'airlock.dev/excludable-service-accounts',
} as const;

export const SIDECAR_CONTAINER = 'airlock-sidecar';
export const TOKEN_VOLUME = 'airlock-token';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/airlock';
/** Ports in the pod the sidecar keeps for itself (the Target CRD refuses them for localPort). */
export const SIDECAR_HEALTH_PORT = 15021;
/**
 * Where the sidecar of a pod whose AgentIdentity allows delegation (`spec.delegation`) listens, on
 * loopback, for a parent agent asking for a narrower token for a sub-agent it spawns. Only on such
 * pods: there, no Target may use it as its localPort (the webhook refuses the pod, PortClash).
 */
export const DELEGATION_PORT = 15470;
/** `POST` here, on DELEGATION_PORT: `{ name, targets?, ttlSeconds? }` → 201 `{ token, expiresAt, targets, depth }`. */
export const DELEGATION_PATH = '/v1/delegations';
/**
 * The env vars of delegation: the sidecar container's (the port it listens on) and every agent
 * container's (`http://127.0.0.1:15470`, the base URL to POST DELEGATION_PATH to).
 */
export const DELEGATION_ENV = {
  sidecarPort: 'AIRLOCK_DELEGATION_PORT',
  agentURL: 'AIRLOCK_DELEGATION_URL',
} as const;

/** The operator's Service: the webhooks call it, its certificates name it, the broker URL points at it. */
export const OPERATOR_SERVICE = 'airlock-operator';
