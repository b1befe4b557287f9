/**
 * How a selected value is replaced. Compiled from a rule's `strategy` (with its key or counts)
 * once; applied per value. Whole values (a column rule selected the column) may become SQL NULL;
 * spans inside a value cannot, see `maskSpan`.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

export type Strategy =
  | { readonly kind: 'redact' }
  | { readonly kind: 'partial'; readonly keepFirst: number; readonly keepLast: number }
  | { readonly kind: 'hash'; readonly key: Buffer }
  | { readonly kind: 'null' };

export type StrategyName = Strategy['kind'];

/** Fixed, whatever the value: a length-preserving mask would tell the agent how long the secret is. */
export const REDACTED = '****';

/**
 * Keeps `keepFirst` and `keepLast` code points (never half a surrogate pair) and puts one '*' per
 * hidden code point between them. The length is kept on purpose: partial is chosen where the
 * shape matters to the reader (card ending 1111, phone prefix) and the author has already decided
 * to reveal part of the value. When nothing would stay hidden, the whole value is redacted: a rule
 * must never let a value through unmasked.
 */
export function partial(text: string, keepFirst: number, keepLast: number): string {
  const points = Array.from(text);
  const hidden = points.length - keepFirst - keepLast;
  if (hidden <= 0) return REDACTED;
  return points.slice(0, keepFirst).join('') + '*'.repeat(hidden) + points.slice(points.length - keepLast).join('');
}

/**
 * Keyed so that nobody without the key can test guesses (e-mail addresses are easy to guess);
 * deterministic so equal inputs give equal outputs and joins and GROUP BY still work. 64 bits of
 * HMAC-SHA-256 keep it short while collisions stay negligible for joining.
 */
export function hash(key: Buffer, value: string | Uint8Array): string {
  return `h:${createHmac('sha256', secretKey(key)).update(value).digest().toString('hex', 0, 8)}`;
}

/**
 * createHmac with a Buffer key builds a KeyObject on every call: on Node 24 that is ~26 µs of a
 * ~32 µs hash (a million masked rows took a minute). One KeyObject per key makes it ~6 µs.
 */
const secretKeys = new WeakMap<Buffer, KeyObject>();
function secretKey(key: Buffer): KeyObject {
  let object = secretKeys.get(key);
  if (!object) {
    object = createSecretKey(key);
    secretKeys.set(key, object);
  }
  return object;
}

/** The replacement for a whole value, or null for SQL NULL. Raw UTF-8 bytes so redact and hash need no decoding. */
export function maskWhole(strategy: Strategy, value: Uint8Array): string | null {
  switch (strategy.kind) {
    case 'redact':
      return REDACTED;
    case 'partial':
      return partial(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'), strategy.keepFirst, strategy.keepLast);
    case 'hash':
      return hash(strategy.key, value);
    case 'null':
      return null;
  }
}

/**
 * The replacement for a span inside a longer value. A part of a value cannot be SQL NULL, so
 * strategy null falls back to redact for spans (`spanStrategyName` reports it as such).
 */
export function maskSpan(strategy: Strategy, span: string): string {
  switch (strategy.kind) {
    case 'partial':
      return partial(span, strategy.keepFirst, strategy.keepLast);
    case 'hash':
      return hash(strategy.key, span);
    case 'redact':
    case 'null':
      return REDACTED;
  }
}

/** The strategy actually applied to a span, for the record. */
export function spanStrategyName(strategy: Strategy): StrategyName {
  return strategy.kind === 'null' ? 'redact' : strategy.kind;
}
