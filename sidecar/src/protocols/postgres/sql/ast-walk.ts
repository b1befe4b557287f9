/**
 * A generic walk over libpg-query's JSON parse tree. The JSON wraps most nodes as
 * `{ "SelectStmt": { ...fields } }`; this module turns each into `{ type, fields }`, typed by
 * @pgsql/types so that a `switch (node.type)` narrows `fields` without casts. Bare structs (fields
 * PostgreSQL declares with a specific type) get their type from `BARE_STRUCT_FIELDS`.
 */
import type { Node } from 'libpg-query';
import { BARE_STRUCT_FIELDS } from './ast-fields.ts';

type KeysOfUnion<T> = T extends unknown ? keyof T : never;

/** Every node type name libpg-query can emit (SelectStmt, RangeVar, FuncCall, ...). */
export type NodeType = KeysOfUnion<Node>;

/** One parse-tree node: its type and its fields, as a union discriminated on `type`. */
export type AstNode = {
  [K in NodeType]: { readonly type: K; readonly fields: Extract<Node, Record<K, unknown>>[K] };
}[NodeType];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The node a wrapped JSON value stands for, or undefined when the value is not a wrapped node.
 * Only the parser's own output reaches this function, so trusting the wrapper's key as the type is
 * the single place the JSON is taken at its word.
 */
export function nodeOf(value: unknown): AstNode | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const type = keys[0]!;
  const fields = value[type];
  if (!/^[A-Z]/.test(type) || !isObject(fields)) return undefined;
  return { type, fields } as AstNode;
}

/** The wrapped nodes of a `Node[]` field, skipping anything that is not a node. */
export function nodesOf(values: readonly unknown[] | undefined): AstNode[] {
  const nodes: AstNode[] = [];
  for (const value of values ?? []) {
    const node = nodeOf(value);
    if (node) nodes.push(node);
  }
  return nodes;
}

function bareType(parent: string, field: string): NodeType | undefined {
  const fields = BARE_STRUCT_FIELDS[parent];
  return fields !== undefined && Object.hasOwn(fields, field) ? fields[field] : undefined;
}

/**
 * Calls `visit` for each direct child node with the name of the field that holds it. Plain objects
 * that are neither wrapped nor known bare structs are looked through, so their nodes are still
 * reached (a parser upgrade cannot hide a subtree, only its type).
 */
export function forEachChild(node: AstNode, visit: (child: AstNode, field: string) => void): void {
  const entries: [string, unknown][] = Object.entries(node.fields);
  for (const [field, value] of entries) {
    const bare = isObject(value) ? bareType(node.type, field) : undefined;
    if (bare !== undefined) visit({ type: bare, fields: value } as AstNode, field);
    else visitValue(value, field, visit);
  }
}

function visitValue(value: unknown, field: string, visit: (child: AstNode, field: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visitValue(item, field, visit);
    return;
  }
  if (!isObject(value)) return;
  const node = nodeOf(value);
  if (node) {
    visit(node, field);
    return;
  }
  for (const inner of Object.values(value)) visitValue(inner, field, visit);
}

/**
 * Depth-first, parents before children, siblings in field order. `visit` returning false skips
 * the node's children. Uses a stack, not recursion: parse trees can nest deeper than the call stack.
 */
export function walk(root: AstNode, visit: (node: AstNode) => boolean | undefined): void {
  const pending: AstNode[] = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (visit(node) === false) continue;
    const children: AstNode[] = [];
    forEachChild(node, (child) => children.push(child));
    for (let index = children.length - 1; index >= 0; index--) pending.push(children[index]!);
  }
}

/** The `sval`s of a list of String nodes: a qualified name as the parser splits it. */
export function nameParts(values: readonly unknown[] | undefined): string[] {
  const parts: string[] = [];
  for (const node of nodesOf(values)) {
    if (node.type === 'String') parts.push(node.fields.sval ?? '');
  }
  return parts;
}
