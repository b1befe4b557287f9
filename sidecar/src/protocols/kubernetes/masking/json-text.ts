/**
 * JSON text in and out without changing what the masker does not mask. JSON.parse turns every
 * number into a double, so an int64 above 2^53 in a custom resource, or `1.50`, would come back
 * altered once a masked body is serialized again. Numbers whose text a double does not reproduce
 * are kept as their source text (JSON.parse source access and JSON.rawJSON, Node 22+); a cheap
 * test on the text skips that slower parse for the usual body, which has no such number.
 */
import { KubernetesMaskingError } from './masking-error.ts';

interface ParseContext {
  readonly source?: string;
}
/** JSON.rawJSON / JSON.isRawJSON and the reviver's third argument are newer than the TypeScript lib this repository targets. */
interface JsonWithSource {
  parse(text: string, reviver: (this: unknown, key: string, value: unknown, context: ParseContext) => unknown): unknown;
  rawJSON(text: string): unknown;
  isRawJSON(value: unknown): boolean;
}
const JSON_WITH_SOURCE = JSON as unknown as JsonWithSource;

/**
 * A number literal a double may not reproduce, followed by what may follow a number in JSON:
 * 16+ digits, an exponent, a fraction ending in 0, or -0. It may also match inside a string;
 * that only costs the slower parse.
 */
const INEXACT_NUMBER = /(?:\d{16}|\d[eE][+-]?\d|\.\d*0|-0)(?=[\s,\]}]|$)/;

function keepInexactNumbers(_key: string, value: unknown, context: ParseContext): unknown {
  if (typeof value === 'number' && context.source !== undefined && String(value) !== context.source)
    return JSON_WITH_SOURCE.rawJSON(context.source);
  return value;
}

/** Throws KubernetesMaskingError('NotJson') naming `what` when the text is not JSON. */
export function parseJson(text: string, what: string): unknown {
  try {
    return INEXACT_NUMBER.test(text) ? JSON_WITH_SOURCE.parse(text, keepInexactNumbers) : JSON.parse(text);
  } catch (cause) {
    throw new KubernetesMaskingError('NotJson', `${what} is not valid JSON, so it cannot be masked; the response is refused`, { cause });
  }
}

/** A number parseJson kept as its source text. */
export function isRawJson(value: unknown): boolean {
  return JSON_WITH_SOURCE.isRawJSON(value);
}

/** A JSON object (not an array, not a number kept as source text). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !JSON_WITH_SOURCE.isRawJSON(value);
}

/**
 * Sets an own, enumerable property. Not `object[key] =`: for a key "__proto__" (JSON.parse makes
 * it an own property) that would call the prototype setter and keep, or drop, the original value.
 */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}
