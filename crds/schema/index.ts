/** The airlock.dev/v1alpha1 API: the one source the CRD YAML, TS types and validators come from. */
import { agentIdentity } from './agent-identity.ts';
import { approvalPolicy } from './approval-policy.ts';
import { approvalRequest } from './approval-request.ts';
import type { CrdSource } from './json-schema.ts';
import { target } from './target.ts';

export { GROUP, VERSION } from './common.ts';
export type { CrdSource, Schema, ValidationRule } from './json-schema.ts';

export const SOURCES: readonly CrdSource[] = [target, agentIdentity, approvalPolicy, approvalRequest];
