/**
 * A Secret read through the sidecar comes back with its values masked (base64 of `****`). Written
 * back as it was read — `kubectl get secret -o yaml`, edit one key, `kubectl replace` or `apply`,
 * or `kubectl edit` — it would store `****` over every real value the agent never saw. The API
 * server cannot tell; the sidecar can: a create, update or patch of a Secret whose body holds the
 * masked value is refused, with what to do instead. Checked on the raw body (JSON, YAML or the
 * apply patch alike); a Secret whose real value is `****` cannot be written through the sidecar.
 */
import { REDACTED } from '@airlock/contracts/masking';
import type { ParsedRequest } from './parsed-request.ts';

const WRITE_VERBS = new Set(['create', 'update', 'patch']);
/** The masked value as `data` holds it (base64) and as `stringData` would. */
const MASKED_DATA = Buffer.from(Buffer.from(REDACTED).toString('base64'));
const MASKED_STRING = Buffer.from(`"${REDACTED}"`);

/** Why the request must be refused, or undefined when it writes no masked value into a Secret. */
export function maskedSecretWrite(parsed: Pick<ParsedRequest, 'info' | 'body'>): string | undefined {
  const { info, body } = parsed;
  if (info.kind !== 'resource' || info.apiGroup !== '' || info.resource !== 'secrets' || !WRITE_VERBS.has(info.verb)) return undefined;
  if (body.indexOf(MASKED_DATA) < 0 && body.indexOf(MASKED_STRING) < 0) return undefined;
  const name = info.name ? `Secret ${info.name}` : 'the Secret';
  return `the request would store the masked value ${REDACTED} in ${name}: Secret values read through airlock are masked, so a Secret read here cannot be written back as read; send only the keys you mean to change (kubectl patch secret … -p '{"stringData":{"key":"value"}}')`;
}
