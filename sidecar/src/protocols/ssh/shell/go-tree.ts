/**
 * Copies the parser's syntax tree out of the GopherJS runtime into plain objects, in one pass.
 *
 * mvdan-sh hands out Go values through wrappers whose every field read converts the Go value anew
 * (measured: 30 to 70 µs a read, and a 16 KiB line took over a second to walk that way). Under each
 * wrapper is the Go value itself (`__internal_object__`), which GopherJS represents plainly: a
 * pointer to a struct is an object with the struct's fields, its constructor names the Go type
 * (`*syntax.CallExpr`) and lists the fields with their types; a slice is `{ $array, $offset,
 * $length }`; a nil pointer is its type's `nil`; a nil interface is an object without a Go type;
 * a string holds its UTF-8 bytes one per character. Reading that is fast and exact. It is the
 * runtime representation of one build of one package (mvdan-sh 0.10.1, GopherJS for Go 1.17,
 * pinned; the package is no longer released), and the analysis tests parse every node type the
 * walk reads, so a package that represented values otherwise would fail them, not be misread.
 *
 * Every struct reached through a pointer becomes `{ type: 'CallExpr', ...exported fields }`.
 * Positions and comments (struct values) are left out. The copy counts nodes and depth and stops
 * at the limits, so a pathological line costs at most that much.
 */

interface GoField {
  readonly prop: string;
  readonly name: string;
  readonly exported: boolean;
  readonly typ: GoType;
}

interface GoType {
  readonly kind: number;
  readonly string: string;
  readonly elem?: GoType;
  readonly fields?: readonly GoField[];
  readonly nil?: unknown;
}

/** GopherJS's kind numbers (reflect.Kind). */
const KIND = {
  bool: 1,
  int: 2,
  int8: 3,
  int16: 4,
  int32: 5,
  int64: 6,
  uint: 7,
  uint8: 8,
  uint16: 9,
  uint32: 10,
  uint64: 11,
  interface: 20,
  ptr: 22,
  slice: 23,
  string: 24,
} as const;
const NUMBER_KINDS = new Set<number>([KIND.int, KIND.int8, KIND.int16, KIND.int32, KIND.uint, KIND.uint8, KIND.uint16, KIND.uint32]);

export class TreeLimitReached extends Error {}

export interface TreeLimits {
  readonly maxNodes: number;
  readonly maxDepth: number;
}

function goTypeOf(value: unknown): GoType | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { constructor?: Partial<GoType> }).constructor;
  return typeof type?.string === 'string' && typeof type.kind === 'number' ? (type as GoType) : undefined;
}

const utf8 = new TextDecoder('utf-8');

/** A Go string: its UTF-8 bytes, one per character. */
function goString(value: unknown): string {
  const bytes = String(value);
  if (!/[\u0080-\u00ff]/.test(bytes)) return bytes;
  return utf8.decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
}

export class GoTreeCopy {
  #nodes = 0;
  readonly #limits: TreeLimits;

  constructor(limits: TreeLimits) {
    this.#limits = limits;
  }

  /** Copies a wrapper the package returned (the root of a parse). */
  static fromWrapper(wrapper: unknown, limits: TreeLimits): unknown {
    const internal = (wrapper as { __internal_object__?: unknown } | null)?.__internal_object__;
    if (goTypeOf(internal) === undefined) throw new Error('mvdan-sh returned a value without the GopherJS internals this copy reads');
    return new GoTreeCopy(limits).#value(internal, goTypeOf(internal)!, 0);
  }

  #value(value: unknown, type: GoType, depth: number): unknown {
    switch (type.kind) {
      case KIND.bool:
        return value === true;
      case KIND.string:
        return goString(value);
      case KIND.interface: {
        const dynamic = goTypeOf(value);
        return dynamic === undefined ? null : this.#value(value, dynamic, depth);
      }
      case KIND.ptr:
        return this.#pointer(value, type, depth);
      case KIND.slice:
        return this.#slice(value, type, depth);
      default:
        return NUMBER_KINDS.has(type.kind) ? Number(value) : undefined;
    }
  }

  #pointer(value: unknown, type: GoType, depth: number): unknown {
    if (value === null || value === undefined || value === type.nil) return null;
    const fields = type.elem?.fields;
    if (fields === undefined) return undefined;
    if (++this.#nodes > this.#limits.maxNodes) throw new TreeLimitReached(`it has more than ${this.#limits.maxNodes} syntax nodes`);
    if (depth >= this.#limits.maxDepth) throw new TreeLimitReached(`it nests more than ${this.#limits.maxDepth} syntax nodes deep`);
    const struct = value as Record<string, unknown>;
    const copy: Record<string, unknown> = { type: (type.elem?.string ?? '').replace(/^.*\./, '') };
    for (const field of fields) {
      if (!field.exported || field.typ.kind === 25 /* struct value: Pos, Comment */) continue;
      const converted = this.#value(struct[field.prop], field.typ, depth + 1);
      if (converted !== undefined) copy[field.name] = converted;
    }
    return copy;
  }

  #slice(value: unknown, type: GoType, depth: number): unknown[] | undefined {
    const slice = value as { $array?: ArrayLike<unknown>; $offset?: number; $length?: number } | null;
    const element = type.elem;
    if (element === undefined || element.kind === 25) return undefined;
    const out: unknown[] = [];
    const array = slice?.$array;
    const offset = slice?.$offset ?? 0;
    for (let i = 0; array !== undefined && i < (slice?.$length ?? 0); i++) out.push(this.#value(array[offset + i], element, depth + 1));
    return out;
  }
}
