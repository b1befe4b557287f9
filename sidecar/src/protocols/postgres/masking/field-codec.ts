/**
 * Which field values the masker can read and write, by type OID and format code. Text format is
 * read as UTF-8 for every type: the masker assumes the session's client_encoding is UTF8 (with
 * another encoding, non-ASCII text next to a masked span would be re-encoded wrongly). In binary
 * format only types whose send format is their text can be masked; anything else the masker must
 * hide is nulled, because rewriting an int8 or a timestamp with '****' would corrupt the client's
 * decoding.
 */

/**
 * text: UTF-8 text. json: UTF-8 JSON text, kept valid (a driver parses it). jsonb-binary: a
 * version byte (1), then JSON text. opaque: binary bytes the masker cannot decode.
 */
export type FieldCodec = 'text' | 'json' | 'jsonb-binary' | 'opaque';

const OID = { name: 19, text: 25, json: 114, unknown: 705, bpchar: 1042, varchar: 1043, jsonb: 3802 } as const;
const JSONB_VERSION = 1;

export function fieldCodec(typeOid: number, format: 0 | 1): FieldCodec {
  if (typeOid === OID.json || typeOid === OID.jsonb) return format === 0 || typeOid === OID.json ? 'json' : 'jsonb-binary';
  if (format === 0) return 'text';
  switch (typeOid) {
    case OID.text:
    case OID.varchar:
    case OID.bpchar:
    case OID.name:
    case OID.unknown:
      return 'text';
    default:
      return 'opaque';
  }
}

/** Where the text starts in a field at `start`, or -1 when it cannot be read (a jsonb version we do not know). */
export function textOffset(codec: FieldCodec, bytes: Uint8Array, start: number, length: number): number {
  if (codec === 'opaque') return -1;
  if (codec !== 'jsonb-binary') return start;
  return length >= 1 && bytes[start] === JSONB_VERSION ? start + 1 : -1;
}

/** The field bytes for already-valid field text (JSON text for the json codecs). */
export function encodeFieldText(codec: FieldCodec, text: string): Buffer {
  if (codec !== 'jsonb-binary') return Buffer.from(text, 'utf8');
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = JSONB_VERSION;
  body.copy(out, 1);
  return out;
}

/** The field bytes for a replacement of a whole value: a JSON string in JSON columns, so drivers can still parse it. */
export function encodeReplacement(codec: FieldCodec, replacement: string): Buffer {
  return encodeFieldText(codec, codec === 'text' ? replacement : JSON.stringify(replacement));
}

export function isJson(codec: FieldCodec): boolean {
  return codec === 'json' || codec === 'jsonb-binary';
}
