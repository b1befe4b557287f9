/**
 * A Kubernetes memory quantity (`256Mi`, `1Gi`, `500M`, `268435456`) in bytes: the operator sizes
 * the sidecar's V8 heap from the memory limit it injects. Only the forms a memory setting uses;
 * anything else is undefined, and the caller reports it.
 */
const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function memoryBytes(quantity: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
  return Number.isFinite(bytes) && bytes > 0 ? Math.floor(bytes) : undefined;
}
