export { MAX_DELEGATION_DEPTH } from '../schema/agent-identity.ts';
export { FINAL_PHASES, PHASE_TRANSITIONS, PHASES } from '../schema/approval-request.ts';
export { GROUP, VERSION } from '../schema/common.ts';
export { SOURCES } from '../schema/index.ts';
export {
  ADMISSION_PARAMS_CONFIGMAP,
  APPROVAL_REVIEWS_POLICY,
  admissionParams,
  approvalReviewsPolicy,
  approvalReviewsPolicyBinding,
  DEFAULT_OPERATOR_NAMESPACE,
  DEFAULT_OPERATOR_SERVICE_ACCOUNT,
  OPERATOR_SERVICE_ACCOUNT_KEY,
  serviceAccountUsername,
} from './approval-reviews-policy.ts';
export { customResourceDefinition, objectSchema } from './crd-builder.ts';
export { EXAMPLES_DIR, type ExampleDocument, exampleDocuments, exampleFiles } from './examples.ts';
export * from './generated/types.ts';
export type { ObjectMeta, OwnerReference } from './meta.ts';
export { AirlockValidator, type ValidationResult } from './validate.ts';
export { formatIssues, type ValidationIssue } from './validation-issue.ts';
