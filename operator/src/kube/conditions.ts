/**
 * Kubernetes conditions as pure functions (cert-manager pkg/api/util/conditions.go): a condition
 * records the generation it was computed for, and lastTransitionTime moves only when the status
 * changes, so `kubectl get` shows since when something has been broken, not when it was last looked at.
 */
import type { Condition } from '@airlock/crds';

export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/**
 * The conditions with `next` set: replaced in place if its type is there, appended otherwise.
 * Returns a new array; the input is not changed.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionUpdate,
  observedGeneration: number,
  now: Date,
): Condition[] {
  const existing = conditions ?? [];
  const previous = findCondition(existing, next.type);
  const condition: Condition = {
    type: next.type,
    status: next.status,
    observedGeneration,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : kubeTime(now),
    reason: next.reason,
    message: next.message,
  };
  return previous ? existing.map((c) => (c.type === next.type ? condition : c)) : [...existing, condition];
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** metav1.Time as the API server writes it: RFC 3339 in UTC, whole seconds. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
