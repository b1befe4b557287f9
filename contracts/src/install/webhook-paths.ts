/**
 * Where the admission server answers; the webhook configurations point the API server there. The
 * two mutating paths tell the operator which namespace mode the pod is in (the namespaceSelector of
 * the entry that called), so it never reads Namespace objects.
 */
export const WEBHOOK_PATHS = {
  /** Namespaces labeled airlock.dev/injection=enabled: pods labeled airlock.dev/inject=true. */
  mutate: '/mutate-pods',
  /** Namespaces labeled airlock.dev/injection=all (CI mode): every pod not labeled airlock.dev/inject=false. */
  mutateNamespace: '/mutate-namespace-pods',
  validate: '/validate-pods',
  healthz: '/healthz',
} as const;
