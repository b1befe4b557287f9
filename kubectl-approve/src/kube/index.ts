/** The plugin's API access, for the end-to-end tests that drive it against a real API server. */
export { ApiClient } from './api-client.ts';
export { ApprovalApi } from './approval-api.ts';
