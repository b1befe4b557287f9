/**
 * Builds wire bytes for tests by hand, independently of the code under test, the way the
 * PostgreSQL documentation lays the messages out.
 */
export const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
export const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
export const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** A typed message: type byte, int32 length (counting itself), body. */
export function typed(type: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([Buffer.from(type, 'latin1'), i32(payload.length + 4), payload]);
}

/** An untyped startup-phase message: int32 length (counting itself), body. */
export function untyped(...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([i32(payload.length + 4), payload]);
}

export function startupMessage(parameters: Record<string, string>, version = 196608): Buffer {
  return untyped(i32(version), ...Object.entries(parameters).flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0]));
}
