/** Where the admission server answers; the webhook configurations point the API server there. */
export const WEBHOOK_PATHS = { mutate: '/mutate-pods', validate: '/validate-pods', healthz: '/healthz' } as const;
