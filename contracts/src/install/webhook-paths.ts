/**
 * Where the admission server answers; the webhook configurations point the API server there. The
 * two mutating paths tell the operator which namespace mode the pod is in (the namespaceSelector of
 * the entry that called), so it never reads Namespace objects; the two validating paths tell it
 * whether it is judging a pod or a connection to one (exec, attach).
 */
export const WEBHOOK_PATHS = {
  /** Namespaces labeled airlock.dev/injection=enabled: pods labeled airlock.dev/inject=true. */
  mutate: '/mutate-pods',
  /** Namespaces labeled airlock.dev/injection=all (CI mode): every pod not labeled airlock.dev/inject=false. */
  mutateNamespace: '/mutate-namespace-pods',
  validate: '/validate-pods',
  /** CONNECT on pods/exec and pods/attach: no shell in the sidecar. */
  validateConnect: '/validate-pods-connect',
  healthz: '/healthz',
} as const;
