/**
 * The approval endpoints: create a request for the caller's pod, stream its outcome, withdraw it,
 * report its execution. Every one answers only for requests whose spec.requester.pod.uid is the
 * caller's pod. The requester is the pod's own identity, or — when the sidecar passes on the token
 * the session's agent presented — the identity that token maps to, held to that identity's Targets. Status writes are merge patches on the status subresource with the read
 * resourceVersion as precondition, re-read and re-decided on a conflict.
 */

import type { CreateApprovalResponse, ExecutionReport, PrincipalDelegation } from '@airlock/contracts/broker';
import { type AirlockValidator, type ApprovalRequest, formatIssues, type Target } from '@airlock/crds';
import type { Logger } from 'pino';
import type { InformerCatalog } from '../catalog.ts';
import { collectionPath, isAlreadyExists, isConflict, isNotFound, KubeApiError, type KubeClient, objectPath } from '../kube/client.ts';
import { KINDS } from '../kube/kinds.ts';
import type { AcceptedAgentToken } from './agent-tokens.ts';
import { approvalRequestName, buildApprovalRequest, draftTarget, parseCreateBody, recomputeDigest } from './approval-request-object.ts';
import { executionReport, initialStatus, type StatusWrite, withdrawal } from './approval-status-writes.ts';
import { BrokerHttpError, isObject } from './http-io.ts';
import { ownIdentity, type PodAccess, podAccess, targetsOf } from './pod-access.ts';
import type { AuthenticatedPod } from './pod-authenticator.ts';

export interface ApprovalContext {
  readonly client: KubeClient;
  readonly catalog: InformerCatalog;
  readonly validator: AirlockValidator;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly onApprovalCreated?: (request: ApprovalRequest) => void;
  /** Verifies an agent's token for this pod (agent-tokens.ts); throws AgentTokenRefused. */
  readonly acceptAgentToken: (pod: AuthenticatedPod, token: string) => Promise<AcceptedAgentToken>;
}

/** Who asks, and the pod's Targets that identity may use. */
interface Requesting {
  readonly identity: string;
  readonly targets: readonly Target[];
  readonly onBehalfOf?: string;
  readonly issuer?: string;
  readonly delegation?: PrincipalDelegation;
}

function requesting(access: PodAccess, accepted: AcceptedAgentToken | undefined): Requesting {
  if (accepted === undefined) {
    const own = ownIdentity(access);
    const names = targetsOf(access, own);
    return { identity: own.metadata.name ?? '', targets: access.targets.filter((t) => names.includes(t.metadata.name ?? '')) };
  }
  const { principal } = accepted;
  const names = principal.targets ?? [];
  return {
    identity: principal.identity,
    targets: access.targets.filter((t) => names.includes(t.metadata.name ?? '')),
    ...(principal.onBehalfOf === undefined ? {} : { onBehalfOf: principal.onBehalfOf }),
    ...(principal.issuer === undefined ? {} : { issuer: principal.issuer }),
    ...(principal.delegation === undefined ? {} : { delegation: principal.delegation }),
  };
}

export async function createApproval(
  context: ApprovalContext,
  pod: AuthenticatedPod,
  body: unknown,
): Promise<{ readonly status: 200 | 201; readonly body: CreateApprovalResponse }> {
  const { idempotencyKey, draft, agentToken } = parseCreateBody(body);
  const access = podAccess(context.catalog, pod);
  const requester = requesting(access, agentToken === undefined ? undefined : await context.acceptAgentToken(pod, agentToken));
  const { identity } = requester;
  const target = draftTarget(draft, requester.targets, identity);
  const name = approvalRequestName(identity, pod.uid, idempotencyKey);
  const object = buildApprovalRequest({
    name,
    draft,
    pod,
    identity,
    ...(requester.onBehalfOf === undefined ? {} : { onBehalfOf: requester.onBehalfOf }),
    ...(requester.issuer === undefined ? {} : { issuer: requester.issuer }),
    ...(requester.delegation === undefined ? {} : { delegation: requester.delegation }),
    now: context.clock(),
  });
  const valid = context.validator.validate<ApprovalRequest>(object);
  if (!valid.ok) throw new BrokerHttpError('Invalid', `the draft does not make a valid ApprovalRequest:\n${formatIssues(valid.issues)}`);
  const digest = recomputeDigest(
    object.spec.operation,
    { namespace: pod.namespace, name: target.metadata.name ?? '' },
    { namespace: pod.namespace, name: identity },
  );
  if (digest !== draft.operation.digest) {
    throw new BrokerHttpError(
      'Invalid',
      'operation.digest does not match the operation: it must be the SHA-256 of exactly this text, these parameters, this target and this identity',
    );
  }
  let request: ApprovalRequest;
  let created = true;
  try {
    request = await kube(() => context.client.create<ApprovalRequest>(collectionPath(KINDS.approvalRequest, pod.namespace), object));
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    created = false;
    request = await kube(() => context.client.get<ApprovalRequest>(objectPath(KINDS.approvalRequest, pod.namespace, name)));
    if (!sameRequest(request, object)) {
      throw new BrokerHttpError(
        'Conflict',
        `ApprovalRequest ${name} exists for another command or requester; use a new idempotency key for every held command`,
      );
    }
  }
  const first = initialStatus(request);
  if (first.kind === 'patch') {
    request = await kube(() =>
      context.client.patch<ApprovalRequest>(objectPath(KINDS.approvalRequest, pod.namespace, name, 'status'), { status: first.status }),
    );
  }
  if (created) {
    context.logger.info(
      {
        approvalRequest: name,
        namespace: pod.namespace,
        pod: pod.name,
        identity,
        ...(requester.onBehalfOf === undefined ? {} : { onBehalfOf: requester.onBehalfOf }),
        ...(requester.delegation === undefined ? {} : { chain: requester.delegation.chain }),
        target: target.metadata.name,
        summary: object.spec.operation.summary,
      },
      'approval requested',
    );
    context.onApprovalCreated?.(request);
  }
  return { status: created ? 201 : 200, body: { name, namespace: pod.namespace } };
}

/** A retried create finds the request it made: same pod, same command (digest, which covers identity and target), same requester. */
function sameRequest(existing: ApprovalRequest, wanted: ApprovalRequest): boolean {
  const a = existing.spec.requester;
  const b = wanted.spec.requester;
  return (
    a.pod.uid === b.pod.uid &&
    existing.spec.operation.digest === wanted.spec.operation.digest &&
    a.identity === b.identity &&
    a.onBehalfOf === b.onBehalfOf &&
    a.issuer === b.issuer &&
    (a.delegation?.chain ?? []).join('\n') === (b.delegation?.chain ?? []).join('\n')
  );
}

export async function withdrawApproval(context: ApprovalContext, pod: AuthenticatedPod, name: string, body: unknown): Promise<void> {
  const reason = isObject(body) && typeof body.reason === 'string' ? body.reason : '';
  await writeStatus(context, pod, name, (request) => withdrawal(request, reason, new Date(context.clock())));
}

export async function reportExecution(context: ApprovalContext, pod: AuthenticatedPod, name: string, body: unknown): Promise<void> {
  if (!isObject(body) || typeof body.ok !== 'boolean' || typeof body.result !== 'string') {
    throw new BrokerHttpError('Invalid', 'send { ok: boolean, result: string } as the broker protocol says');
  }
  const report: ExecutionReport = { ok: body.ok, result: body.result };
  await writeStatus(context, pod, name, (request) => executionReport(request, report, new Date(context.clock())));
}

/** The request, if it is the caller's. Throws NotFound / Forbidden. */
export async function ownRequest(context: ApprovalContext, pod: AuthenticatedPod, name: string, fresh: boolean): Promise<ApprovalRequest> {
  let request = fresh ? undefined : context.catalog.requestInformer.get(pod.namespace, name);
  if (request === undefined) {
    try {
      request = await kube(() => context.client.get<ApprovalRequest>(objectPath(KINDS.approvalRequest, pod.namespace, name)));
    } catch (error) {
      if (isNotFound(error)) throw new BrokerHttpError('NotFound', `ApprovalRequest ${name} not found in namespace ${pod.namespace}`);
      throw error;
    }
  }
  if (request.spec.requester.pod.uid !== pod.uid) {
    throw new BrokerHttpError('Forbidden', `ApprovalRequest ${name} was not requested by this pod`);
  }
  return request;
}

async function writeStatus(
  context: ApprovalContext,
  pod: AuthenticatedPod,
  name: string,
  decide: (request: ApprovalRequest) => StatusWrite,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const request = await ownRequest(context, pod, name, true);
    const write = decide(request);
    if (write.kind === 'done') return;
    if (write.kind === 'refuse') throw new BrokerHttpError('Conflict', write.message);
    try {
      await context.client.patch(objectPath(KINDS.approvalRequest, pod.namespace, name, 'status'), {
        metadata: { resourceVersion: request.metadata.resourceVersion },
        status: write.status,
      });
      context.logger.info({ approvalRequest: name, namespace: pod.namespace, phase: write.status.phase }, 'approval status written');
      return;
    } catch (error) {
      // Someone (the tally) wrote in between: decide again on what is there now.
      if (isConflict(error) && attempt < 5) continue;
      if (error instanceof KubeApiError && error.status === 422) {
        throw new BrokerHttpError('Conflict', `the API server refused the change: ${error.message}`);
      }
      throw unavailable(error);
    }
  }
}

/** An API call; a failure other than the ones the caller handles (NotFound, AlreadyExists) becomes Unavailable or Invalid. */
async function kube<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error) || isAlreadyExists(error)) throw error;
    if (error instanceof KubeApiError && error.status === 422) {
      throw new BrokerHttpError('Invalid', `the API server refused the ApprovalRequest: ${error.message}`);
    }
    throw unavailable(error);
  }
}

function unavailable(error: unknown): BrokerHttpError {
  if (error instanceof BrokerHttpError) return error;
  const detail = error instanceof KubeApiError ? `HTTP ${error.status} ${error.reason}` : (error as Error).message;
  return new BrokerHttpError('Unavailable', `the API server cannot answer now (${detail}); retry`, { cause: error });
}
