/**
 * How a reconciler reports whether an object is Ready: the one mechanism behind the Target,
 * AgentIdentity and ApprovalPolicy statuses.
 *
 * planReadyStatus (pure) builds the whole status: the object's status as read, the reconciler's
 * own fields, status.observedGeneration and the Ready condition at the object's generation
 * (lastTransitionTime kept unless Ready's status flips, conditions.ts); and it plans the Warning
 * Event the one de-duplication rule below asks for. writeStatusReport writes that status only if
 * it changed (status-writer.ts) and records the planned Events only after the write happened.
 *
 * The de-duplication rule, one for every resource: a Warning when Ready is False and its status,
 * reason or message differs from the Ready condition stored in the object. Why this one:
 * - An Event tells a human what changed; the condition already says what is. Every distinct
 *   not-Ready state is news (a second Secret key missing, another rule that fails to compile, one
 *   more Target not found), so a changed message counts, not only a changed reason; a write that
 *   changes nothing about readiness (observedGeneration after an unrelated spec edit, the
 *   endpoint, the warnings list) is not news about readiness, so it records no Ready Warning.
 * - "Before" is the condition as stored in the object, not a memory of this replica: a restart, a
 *   resync or another replica taking over records nothing for a state already reported.
 * - Events follow the write: a write that failed (409 Conflict) records nothing, and the retry
 *   sees the same stored condition and records the Warning once. EventRecorder's correlation then
 *   folds an identical repeat (a state that comes back within its window) into count.
 * It replaces three rules that each missed something: AgentIdentity compared only the reason (a
 * second missing Target went unmentioned), Target compared status and reason (a different set of
 * missing keys went unmentioned), ApprovalPolicy compared status and message (it already was this
 * rule, since its not-Ready reason is always RuleErrors).
 */
import type { Condition } from '@airlock/crds';
import type { KubeClient, KubeObject, ResourceKind } from './client.ts';
import { findCondition, setCondition } from './conditions.ts';
import type { EventRecorder, EventType } from './events.ts';
import { type StatusWriteResult, writeStatusIfChanged } from './status-writer.ts';

/** What a reconciler found: the Ready condition's status, reason and message. */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
  readonly message: string;
}

export interface PlannedEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** A status with the fields every airlock status has. */
export interface ConditionedStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface StatusReport<S extends ConditionedStatus> {
  readonly status: S;
  /** To record once the status is written. */
  readonly events: readonly PlannedEvent[];
}

/**
 * The status `{ ...object.status, observedGeneration, ...fields, conditions }` with Ready set from
 * `readiness`, and the Warning Event the rule above asks for. The Event's reason is
 * `warningReason`, or the condition's reason when not given.
 */
export function planReadyStatus<S extends ConditionedStatus>(
  object: KubeObject & { status?: S },
  fields: Omit<S, keyof ConditionedStatus>,
  readiness: Readiness,
  now: Date,
  warningReason: string = readiness.reason,
): StatusReport<S> {
  const generation = object.metadata?.generation ?? 1;
  const before = findCondition(object.status?.conditions, 'Ready');
  const status = {
    ...object.status,
    observedGeneration: generation,
    ...fields,
    conditions: setCondition(
      object.status?.conditions,
      { type: 'Ready', status: readiness.ready ? 'True' : 'False', reason: readiness.reason, message: readiness.message },
      generation,
      now,
    ),
  } as S;
  const warn =
    !readiness.ready && (before?.status !== 'False' || before.reason !== readiness.reason || before.message !== readiness.message);
  return { status, events: warn ? [{ type: 'Warning', reason: warningReason, message: readiness.message }] : [] };
}

export interface StatusReportDeps {
  readonly client: KubeClient;
  readonly events: EventRecorder;
}

/** Writes the report's status if it changed; records its Events only when it was written. */
export async function writeStatusReport<S extends ConditionedStatus>(
  deps: StatusReportDeps,
  kind: ResourceKind,
  object: KubeObject & { status?: S },
  report: StatusReport<S>,
): Promise<StatusWriteResult> {
  const written = await writeStatusIfChanged(deps.client, kind, object, report.status);
  if (written === 'written') for (const event of report.events) deps.events.record(object, event.type, event.reason, event.message);
  return written;
}
