/**
 * The ApprovalRequest the broker creates for a held command: pure functions from the sidecar's
 * draft and the authenticated pod. The requester is the pod, as its own identity or as the identity
 * of the agent token the broker verified, with the human that token names (never the body's
 * word); the digest is
 * recomputed from the operation, target and identity and must equal the draft's, so an approval
 * of one statement can never release another; the name is derived from the pod and the sidecar's
 * idempotency key, so a retried create finds the request it already made. The draft's evidence
 * (what the command would do, previewed by the sidecar) is copied as it is: reviewers read it,
 * nothing decides on it.
 */
import { createHash } from 'node:crypto';
import { operationDigest } from '@airlock/contracts/approval';
import type { ApprovalDraft } from '@airlock/contracts/broker';
import type { ApprovalRequest, ApprovalRequestSpec, BoundParameter, Evidence, Target } from '@airlock/crds';
import { BrokerHttpError, isObject } from './http-io.ts';
import type { PodIdentity } from './sidecar-config.ts';

/** Labels on every ApprovalRequest the broker creates, for `kubectl get ar -l` and for the operator's own lookups. */
export const APPROVAL_LABELS = {
  identity: 'airlock.dev/identity',
  target: 'airlock.dev/target',
  podUid: 'airlock.dev/pod-uid',
} as const;

export const MAX_TTL_SECONDS = 24 * 60 * 60;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._-]{1,128}$/;
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const NAME_PREFIX_MAX = 40;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface CreateBody {
  readonly idempotencyKey: string;
  readonly draft: ApprovalDraft;
  /** The token the session's agent presented; the broker verifies it before it names the requester. */
  readonly agentToken?: string;
}

/** The body's outline; the CRD validator checks the rest once the object is built. Throws BrokerHttpError (Invalid). */
export function parseCreateBody(body: unknown): CreateBody {
  const invalid = (message: string) =>
    new BrokerHttpError('Invalid', `${message}; send { idempotencyKey, draft } as the broker protocol says`);
  if (!isObject(body)) throw invalid('the body is not a JSON object');
  const { idempotencyKey, draft, agentToken } = body;
  if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw invalid('idempotencyKey must be 1-128 characters of [A-Za-z0-9._-]');
  }
  if (!isObject(draft)) throw invalid('draft is not an object');
  const ttl = draft.ttlSeconds;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw invalid(`draft.ttlSeconds must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`);
  }
  if (!isObject(draft.target) || typeof draft.target.name !== 'string') throw invalid('draft.target.name is missing');
  if (!isObject(draft.operation) || typeof draft.operation.text !== 'string' || typeof draft.operation.digest !== 'string') {
    throw invalid('draft.operation needs text and digest');
  }
  // Only the outline here: the CRD validator checks every field of the evidence once the object is built.
  if (draft.evidence !== undefined && !isObject(draft.evidence)) {
    throw invalid('draft.evidence must be an object { source, summary, collectedAt, text?, complete?, notes?, error? } or absent');
  }
  if (agentToken !== undefined && (typeof agentToken !== 'string' || agentToken === '')) {
    throw invalid('agentToken must be the token the agent presented, as a non-empty string, or absent');
  }
  return { idempotencyKey, draft: draft as unknown as ApprovalDraft, ...(agentToken === undefined ? {} : { agentToken }) };
}

/** `<identity>-<10 characters>`: stable for one (pod, key), different for every other. */
export function approvalRequestName(identity: string, podUid: string, idempotencyKey: string): string {
  const hash = createHash('sha256').update(`${podUid}\n${idempotencyKey}`).digest();
  const suffix = Array.from(hash.subarray(0, 10), (byte) => NAME_ALPHABET[byte % NAME_ALPHABET.length]).join('');
  const prefix = identity.slice(0, NAME_PREFIX_MAX).replace(/[^a-z0-9]+$/, '');
  return prefix ? `${prefix}-${suffix}` : suffix;
}

/** The digest of what the draft says will run, as the sidecar computes it. */
export function recomputeDigest(
  operation: ApprovalRequestSpec['operation'],
  target: { namespace: string; name: string },
  identity: { namespace: string; name: string },
): string {
  return operationDigest({
    ...(operation.kind === undefined ? {} : { kind: operation.kind }),
    text: operation.text,
    parameters: (operation.parameters ?? []).map(parameterBytes),
    target,
    identity,
  });
}

function parameterBytes(parameter: BoundParameter): { value: Buffer | null; format: 0 | 1 } {
  if (parameter.isNull) return { value: null, format: 0 };
  return parameter.format === 'binary'
    ? { value: Buffer.from(parameter.value ?? '', 'base64'), format: 1 }
    : { value: Buffer.from(parameter.value ?? '', 'utf8'), format: 0 };
}

/**
 * The target the draft names, if the requesting identity reaches it from this pod with that type.
 * `targets`: the pod's Targets that identity may use. Throws BrokerHttpError (Forbidden, Invalid).
 */
export function draftTarget(draft: ApprovalDraft, targets: readonly Target[], identity: string): Target {
  const target = targets.find((candidate) => candidate.metadata.name === draft.target.name);
  if (!target) {
    throw new BrokerHttpError(
      'Forbidden',
      `Target ${draft.target.name} is not one of this pod's targets that AgentIdentity ${identity} may use (it reaches ${targets.map((t) => t.metadata.name).join(', ') || 'none'})`,
    );
  }
  if (target.spec.type !== draft.target.type) {
    throw new BrokerHttpError('Invalid', `Target ${draft.target.name} is of type ${target.spec.type}, not ${draft.target.type}`);
  }
  return target;
}

export interface ApprovalRequestInputs {
  readonly name: string;
  readonly draft: ApprovalDraft;
  readonly pod: PodIdentity;
  readonly identity: string;
  /** From a verified agent token: the human it names (who then cannot approve), and its issuer. */
  readonly onBehalfOf?: string;
  readonly issuer?: string;
  /** From a delegated token: the chain of sub-agents down to the one asking. */
  readonly delegation?: { readonly depth: number; readonly chain: readonly string[] };
  readonly now: number;
}

/** The object to create. Only the draft's known spec fields are taken: a requester or expiry in the body is ignored. */
export function buildApprovalRequest({
  name,
  draft,
  pod,
  identity,
  onBehalfOf,
  issuer,
  delegation,
  now,
}: ApprovalRequestInputs): ApprovalRequest {
  const spec: ApprovalRequestSpec = {
    requester: {
      identity,
      serviceAccount: pod.serviceAccount,
      pod: { name: pod.name, uid: pod.uid },
      ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
      ...(issuer === undefined ? {} : { issuer }),
      ...(delegation === undefined ? {} : { delegation: { depth: delegation.depth, chain: [...delegation.chain] } }),
    },
    target: draft.target,
    operation: draft.operation,
    policy: draft.policy,
    requiredApprovals: draft.requiredApprovals,
    approvers: draft.approvers,
    scope: draft.scope,
    ...(draft.window !== undefined ? { window: draft.window } : {}),
    expiresAt: new Date(now + draft.ttlSeconds * 1000).toISOString(),
    // Shown to reviewers, never part of what they approve: the digest above binds the approval.
    ...(draft.evidence !== undefined ? { evidence: knownEvidenceFields(draft.evidence) } : {}),
  };
  const labels: Record<string, string> = {};
  for (const [key, value] of [
    [APPROVAL_LABELS.identity, identity],
    [APPROVAL_LABELS.target, draft.target.name],
    [APPROVAL_LABELS.podUid, pod.uid],
  ] as const) {
    if (value.length <= 63 && LABEL_VALUE.test(value)) labels[key] = value;
  }
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalRequest',
    metadata: {
      name,
      namespace: pod.namespace,
      labels,
      // Garbage collection removes the request with its pod: nothing can execute it after that.
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid }],
    },
    spec,
  };
}

/**
 * The evidence fields this version knows. A field a newer sidecar adds is dropped rather than
 * refused: evidence only informs the reviewer, and a held command should not fail for it.
 */
function knownEvidenceFields(evidence: Evidence): Evidence {
  const { source, summary, text, complete, notes, error, collectedAt } = evidence;
  return {
    source,
    summary,
    ...(text !== undefined ? { text } : {}),
    ...(complete !== undefined ? { complete } : {}),
    ...(notes !== undefined ? { notes } : {}),
    ...(error !== undefined ? { error } : {}),
    collectedAt,
  };
}
