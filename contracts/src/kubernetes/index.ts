/** Requests to the Kubernetes API: their attributes as the API server resolves them, and how reviewers read them. */
export * from './api-groups.ts';
export * from './built-in-scopes.ts';
export * from './describe-request.ts';
export * from './parse-request.ts';
export * from './request-info.ts';
