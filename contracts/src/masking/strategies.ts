/**
 * How a selected value is replaced. Compiled from a rule's `strategy` (with its key or counts)
 * once; applied per value. Whole values (a column rule selected the column) may become SQL NULL;
 * spans inside a value cannot, see `maskSpan`.
 */
import { hash as digest } from 'node:crypto';

export type Strategy =
  | { readonly kind: 'redact' }
  | { readonly kind: 'partial'; readonly keepFirst: number; readonly keepLast: number }
  | { readonly kind: 'hash'; readonly key: Buffer }
  | { readonly kind: 'null' };

export type StrategyName = Strategy['kind'];

/** Fixed, whatever the value: a length-preserving mask would tell the agent how long the secret is. */
export const REDACTED = '****';

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Keeps `keepFirst` and `keepLast` code points (never half a surrogate pair) and puts one '*' per
 * hidden code point between them. The length is kept on purpose: partial is chosen where the
 * shape matters to the reader (card ending 1111, phone prefix) and the author has already decided
 * to reveal part of the value. When nothing would stay hidden, the whole value is redacted: a rule
 * must never let a value through unmasked.
 */
export function partial(text: string, keepFirst: number, keepLast: number): string {
  if (!SURROGATE.test(text)) {
    // No surrogate pair: every UTF-16 unit is one code point, so no array of code points is needed.
    const hidden = text.length - keepFirst - keepLast;
    if (hidden <= 0) return REDACTED;
    return text.slice(0, keepFirst) + '*'.repeat(hidden) + text.slice(text.length - keepLast);
  }
  const points = Array.from(text);
  const hidden = points.length - keepFirst - keepLast;
  if (hidden <= 0) return REDACTED;
  return points.slice(0, keepFirst).join('') + '*'.repeat(hidden) + points.slice(points.length - keepLast).join('');
}

/**
 * Keyed so that nobody without the key can test guesses (e-mail addresses are easy to guess);
 * deterministic so equal inputs give equal outputs and joins and GROUP BY still work. 64 bits of
 * HMAC-SHA-256 keep it short while collisions stay negligible for joining.
 *
 * HMAC-SHA-256 as RFC 2104 defines it, SHA-256(K⊕opad ‖ SHA-256(K⊕ipad ‖ m)), with the padded
 * keys computed once per key and Node's one-shot hash: createHmac builds a stateful object per
 * value, which cost 1.75 µs against 1.13 µs here, per masked field. strategies.test.ts checks the
 * result against createHmac for keys shorter than, equal to and longer than the block.
 */
export function hash(key: Buffer, value: string | Uint8Array): string {
  const { innerPad, outer } = hmacPads(key);
  const message = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  // `outer` ends in 32 bytes of scratch for the inner digest: hash() runs synchronously, one call at a time.
  outer.set(digest('sha256', Buffer.concat([innerPad, message]), 'buffer'), BLOCK_BYTES);
  return `h:${digest('sha256', outer, 'hex').slice(0, 16)}`;
}

const BLOCK_BYTES = 64;

interface HmacPads {
  /** K⊕ipad, one SHA-256 block. */
  readonly innerPad: Buffer;
  /** K⊕opad, then room for the inner digest. */
  readonly outer: Buffer;
}

const padsByKey = new WeakMap<Buffer, HmacPads>();

function hmacPads(key: Buffer): HmacPads {
  let pads = padsByKey.get(key);
  if (!pads) {
    // A key longer than the block is hashed first; a shorter one is zero-padded (RFC 2104, 2).
    const block = Buffer.alloc(BLOCK_BYTES);
    (key.length > BLOCK_BYTES ? digest('sha256', key, 'buffer') : key).copy(block);
    const innerPad = Buffer.alloc(BLOCK_BYTES);
    const outer = Buffer.alloc(BLOCK_BYTES + 32);
    for (let i = 0; i < BLOCK_BYTES; i++) {
      innerPad[i] = block[i]! ^ 0x36;
      outer[i] = block[i]! ^ 0x5c;
    }
    pads = { innerPad, outer };
    padsByKey.set(key, pads);
  }
  return pads;
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
