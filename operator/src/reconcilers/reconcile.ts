/** A reconcile function: level-triggered, idempotent, keyed by namespace/name. */
export type Reconcile = (key: string, signal?: AbortSignal) => Promise<{ requeueAfterMs?: number } | undefined>;

export const splitKey = (key: string): [namespace: string, name: string] => {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
};
