/**
 * Comparing and diffing JSON documents the way the API server stores them: key order does not
 * matter, a property whose value is undefined is absent, arrays are ordered and replaced whole.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Deep equality of two JSON-like values, ignoring key order and undefined properties. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = definedKeys(a);
    const keysB = definedKeys(b);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * The RFC 7386 JSON merge patch that turns `from` into `to`: changed keys with their new value,
 * removed keys as null, nested objects diffed, anything else (arrays included) replaced.
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const key of definedKeys(from)) if (to[key] === undefined) patch[key] = null;
  for (const key of definedKeys(to)) {
    const before = from[key];
    const after = to[key];
    if (jsonEqual(before, after)) continue;
    patch[key] = isPlainObject(before) && isPlainObject(after) ? mergePatch(before, after) : after;
  }
  return patch;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}
