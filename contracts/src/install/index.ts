/** The objects an installation applies, and the names they share with the operator and the webhooks. */
export { admissionObjects } from './admission.ts';
export * from './chart-files.ts';
export * from './chart-values.ts';
export { EXCLUSION_POLICY, exclusionPolicy, exclusionPolicyBinding } from './exclusion-policy.ts';
export * from './install-manifest.ts';
export * from './install-objects.ts';
export * from './names.ts';
export {
  AGGREGATE_TO_REVIEWER_LABEL,
  OPERATOR_ROLE,
  type OperatorIdentity,
  operatorRbac,
  POLICY_AUTHOR_ROLE,
  policyAuthorRole,
  REVIEWER_ROLE,
  reviewerRoles,
} from './rbac.ts';
export * from './webhook-configurations.ts';
export * from './webhook-paths.ts';
