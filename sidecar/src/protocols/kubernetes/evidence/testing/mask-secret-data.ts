/**
 * A stand-in masker for evidence tests: replaces every value of a Secret's data and stringData
 * with "<masked>", as the real masker does with its Secret rule; anything else passes unchanged.
 */
export const MASKED = '<masked>';

export function maskSecretData(object: unknown): unknown {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return object;
  const record = object as Record<string, unknown>;
  if (record.kind !== 'Secret') return object;
  const masked: Record<string, unknown> = { ...record };
  for (const field of ['data', 'stringData']) {
    const values = record[field];
    if (typeof values === 'object' && values !== null) {
      masked[field] = Object.fromEntries(Object.keys(values).map((key) => [key, MASKED]));
    }
  }
  return masked;
}
