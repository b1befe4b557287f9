/**
 * DataRow fixtures built by hand (type byte, int32 length, int16 count, int32-prefixed fields),
 * independently of the masker, and read back with the protocol codec.
 */
import { dataRowFields } from '../../wire/backend-messages.ts';
import { i16, i32, typed } from '../../wire/testing/wire.ts';
import type { MaskColumn } from '../row-masker.ts';

export function dataRow(values: readonly (string | Uint8Array | null)[]): Buffer {
  const parts = values.flatMap((value) => {
    if (value === null) return [i32(-1)];
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    return [i32(bytes.length), bytes];
  });
  return typed('D', i16(values.length), ...parts);
}

export function fieldsOf(frame: Buffer): (Buffer | null)[] {
  return dataRowFields({ code: frame[0]!, payload: frame.subarray(5), raw: frame });
}

export function textsOf(frame: Buffer): (string | null)[] {
  return fieldsOf(frame).map((field) => (field === null ? null : field.toString('utf8')));
}

/** A text-format text column unless told otherwise. */
export function column(name: string, extra: Partial<MaskColumn> = {}): MaskColumn {
  return { name, typeOid: 25, format: 0, ...extra };
}
