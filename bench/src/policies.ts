/** The two sidecar variants the benchmark compares, shared by the sidecar process and the masking micro-benchmark. */
import type { ApprovalPolicySpec } from '@airlock/crds';

export const MASKING_KEY = 'bench-masking-key-of-32-bytes!!!';

/** Policy evaluation really runs (rules match on statement kinds), and masking rules are compiled for every result. */
export const FULL_POLICY: ApprovalPolicySpec = {
  rules: [
    { name: 'no-truncate', match: { sql: { commands: ['TRUNCATE'] } }, action: 'deny', message: 'Use DELETE with a WHERE clause.' },
    { name: 'dangerous', match: { sql: { statementKinds: ['dangerous', 'privilege', 'admin'] } }, action: 'deny' },
    { name: 'ddl', match: { sql: { statementKinds: ['ddl'] } }, action: 'requireApproval' },
    { name: 'reads-and-writes', match: { sql: { statementKinds: ['read', 'write', 'transaction', 'session'] } }, action: 'allow' },
  ],
  defaultAction: 'deny',
  approval: { approvers: { groups: ['db-owners'] }, requiredApprovals: 1, ttl: '5m' },
  masking: {
    hashKeySecretRef: { name: 'masking-key', key: 'key' },
    rules: [
      { name: 'emails', columns: ['email', '*_email'], strategy: 'hash' },
      { name: 'cards', columns: ['card_number'], strategy: 'partial', keepLast: 4 },
    ],
  },
};

export const BARE_POLICY: ApprovalPolicySpec = {
  rules: [{ name: 'all', match: {}, action: 'allow' }],
  defaultAction: 'deny',
};
