/**
 * The values of a Secret's `data` and `stringData`, which the agent never sees. `data` values are
 * base64 (the API's encoding of bytes), so the masked text is base64-encoded again: a client that
 * decodes them keeps working (`kubectl get secret x -o jsonpath='{.data.password}' | base64 -d`
 * prints `****`). `stringData` values are plain text and stay so.
 *
 * Every value is masked, empty ones included (otherwise the agent learns which keys are empty),
 * with redact unless a policy masking rule's `columns` glob matches the data key: then that rule's
 * strategy applies to the decoded value (hash and partial of the bytes the application sees; null
 * gives JSON null, which the API and client-go read as an empty value). Each value is counted
 * under the rule that chose its strategy, `kubernetes:secret-data` by default.
 */
import { type CompiledRule, maskWhole, REDACTED, type Strategy } from '@airlock/contracts/masking';
import { isRecord, setOwn } from './json-text.ts';
import { addCount, type MutableCounts, SECRET_DATA_RULE } from './mask-counts.ts';
import type { PolicyValueMasker } from './policy-values.ts';

const REDACT: Strategy = { kind: 'redact' };

export type SecretValuesField = 'data' | 'stringData';

/** The field's map with every value masked; the same reference when it holds no values. */
export function maskSecretValues(
  values: unknown,
  field: SecretValuesField,
  policy: PolicyValueMasker | undefined,
  counts: MutableCounts,
): unknown {
  if (values === null || values === undefined) return values;
  if (!isRecord(values)) {
    // Not the map the API defines; nothing in it may pass, whatever it is.
    addCount(counts, SECRET_DATA_RULE);
    return null;
  }
  const keys = Object.keys(values);
  if (keys.length === 0) return values;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = values[key];
    if (value === null) {
      setOwn(out, key, null);
      continue;
    }
    const rule: CompiledRule | undefined = policy?.columnRule(key);
    // A value that is not a string is not what the API defines either: masked as if empty.
    const text = typeof value === 'string' ? value : '';
    const bytes = field === 'data' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    const masked = maskWhole(rule?.strategy ?? REDACT, bytes);
    setOwn(out, key, masked === null ? null : field === 'data' ? Buffer.from(masked, 'utf8').toString('base64') : masked);
    addCount(counts, rule?.name ?? SECRET_DATA_RULE);
  }
  return out;
}

/** What replaces a last-applied-configuration annotation of a Secret that does not parse. */
export const UNPARSED_SECRET_ANNOTATION = REDACTED;
