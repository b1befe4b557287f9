/** ApprovalRequests for the formatting tests, written out by hand (never produced by the plugin). */
import type { ApprovalRequest, Evidence, RequesterDelegation, Review } from '@airlock/crds';

export const NOW = new Date('2026-11-21T13:25:00Z');

export interface RequestShape {
  readonly name?: string;
  readonly namespace?: string;
  readonly created?: string;
  readonly expiresAt?: string;
  readonly text?: string;
  readonly summary?: string;
  readonly phase?: NonNullable<ApprovalRequest['status']>['phase'];
  readonly reviews?: Review[];
  readonly approvals?: string;
  readonly onBehalfOf?: string;
  readonly issuer?: string;
  readonly identity?: string;
  readonly delegation?: RequesterDelegation;
  readonly requiredApprovals?: number;
  readonly approvers?: { users?: string[]; groups?: string[] };
  readonly type?: 'postgres' | 'ssh' | 'http' | 'kubernetes';
  readonly withStatus?: boolean;
  readonly evidence?: Evidence;
}

export function approvalRequest(shape: RequestShape = {}): ApprovalRequest {
  const required = shape.requiredApprovals ?? 2;
  const status = {
    phase: shape.phase ?? 'Pending',
    approvals: shape.approvals ?? `0/${required}`,
    message: 'Waiting for 2 approvals from group db-owners.',
    ...(shape.reviews ? { reviews: shape.reviews } : {}),
  };
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalRequest',
    metadata: {
      name: shape.name ?? 'ci-migrations-d46efe53-7kq2x',
      namespace: shape.namespace ?? 'agents',
      uid: `uid-${shape.name ?? 'ci-migrations-d46efe53-7kq2x'}`,
      resourceVersion: '4711',
      creationTimestamp: shape.created ?? '2026-11-21T13:20:00Z',
      labels: { 'airlock.dev/target': 'orders-db' },
    },
    spec: {
      requester: {
        identity: shape.identity ?? 'ci-migrations',
        serviceAccount: 'system:serviceaccount:agents:ci-migrations',
        pod: { name: 'migrate-orders-28814-x7tqp', uid: '6f1c2a4e-93b1-4c8e-9d55-0b7f3a1e2c44' },
        ...(shape.onBehalfOf ? { onBehalfOf: shape.onBehalfOf } : {}),
        ...(shape.issuer ? { issuer: shape.issuer } : {}),
        ...(shape.delegation ? { delegation: shape.delegation } : {}),
      },
      target: { name: 'orders-db', type: shape.type ?? 'postgres' },
      operation: {
        text: shape.text ?? 'DROP TABLE public.order_archive_2019',
        summary: shape.summary ?? shape.text ?? 'DROP TABLE public.order_archive_2019',
        digest: `sha256:${'d4'.repeat(32)}`,
        sessionID: '01JDZ8Q4R6N3K2M7V5T9W1X0YA',
        sequence: 4,
      },
      policy: { name: 'prod-databases', rule: 'ddl-needs-two-owners' },
      requiredApprovals: required,
      approvers: shape.approvers ?? { groups: ['db-owners'] },
      scope: 'once',
      expiresAt: shape.expiresAt ?? '2026-11-21T13:30:00Z',
      ...(shape.evidence ? { evidence: shape.evidence } : {}),
    },
    ...(shape.withStatus === false ? {} : { status }),
  };
}

export const ALICE = { username: 'alice@example.com', groups: ['db-owners', 'airlock-reviewers', 'system:authenticated'] };
export const CAROL = { username: 'carol@example.com', groups: ['sre', 'airlock-reviewers', 'system:authenticated'] };
