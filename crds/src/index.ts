export { FINAL_PHASES, PHASE_TRANSITIONS, PHASES } from '../schema/approval-request.ts';
export { GROUP, VERSION } from '../schema/common.ts';
export { SOURCES } from '../schema/index.ts';
export { customResourceDefinition, objectSchema } from './crd-builder.ts';
export { EXAMPLES_DIR, type ExampleDocument, exampleDocuments, exampleFiles } from './examples.ts';
export * from './generated/types.ts';
export type { ObjectMeta, OwnerReference } from './meta.ts';
export { AirlockValidator, type ValidationResult } from './validate.ts';
export { formatIssues, type ValidationIssue } from './validation-issue.ts';
