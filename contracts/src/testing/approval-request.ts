/**
 * An ApprovalRequest for unit tests of what reads one (the review rules, the operator's tally):
 * the agent `ci` in namespace `agents`, acting for carol, a DROP that needs two of db-owners or
 * erin, expiring 2026-11-21T12:15:00Z. Tests override what they are about.
 */
import type { ApprovalRequest } from '@airlock/crds';

export interface SampleRequestOptions {
  readonly spec?: Partial<ApprovalRequest['spec']>;
  readonly status?: ApprovalRequest['status'];
  readonly namespace?: string;
}

export function sampleApprovalRequest(options: SampleRequestOptions = {}): ApprovalRequest {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalRequest',
    metadata: { name: 'r', namespace: options.namespace ?? 'agents', creationTimestamp: '2026-11-21T11:59:00Z' },
    spec: {
      requester: {
        identity: 'ci',
        serviceAccount: 'system:serviceaccount:agents:ci',
        pod: { name: 'p', uid: 'u' },
        onBehalfOf: 'carol@example.com',
      },
      target: { name: 'db', type: 'postgres' },
      operation: { text: 'DROP TABLE t', summary: 'DROP TABLE t', digest: `sha256:${'0'.repeat(64)}`, sessionID: 's' },
      policy: { name: 'p', rule: 'ddl' },
      requiredApprovals: 2,
      approvers: { groups: ['db-owners'], users: ['erin@example.com'] },
      scope: 'once',
      expiresAt: '2026-11-21T12:15:00Z',
      ...options.spec,
    },
    ...(options.status ? { status: options.status } : {}),
  };
}
