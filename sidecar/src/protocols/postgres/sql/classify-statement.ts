/**
 * One parsed statement → its classification: the statement's own shape joined with what its tree
 * adds. Pure; the caching and the parsing live in classifier.ts.
 */
import type { AstNode } from './ast-walk.ts';
import type { StatementClassification, StatementKind } from './classification.ts';
import { describeStatement } from './statement-shape.ts';
import { collectTreeFacts } from './tree-facts.ts';

export interface AnalyzedStatement {
  readonly classification: StatementClassification;
  /** The kinds read a literal's value, so the result must not be reused for other literals. */
  readonly dependsOnConstants: boolean;
}

/** The order kinds are listed in, as the CRD lists them; a Record so a new kind cannot be forgotten. */
const KIND_ORDER: Readonly<Record<StatementKind, number>> = {
  read: 0,
  write: 1,
  ddl: 2,
  privilege: 3,
  dangerous: 4,
  transaction: 5,
  session: 6,
  admin: 7,
  unknown: 8,
};

export const EXECUTE_REASON = 'EXECUTE runs a prepared statement: the session resolves it to what its PREPARE was classified as';

export function classifyStatement(node: AstNode, text: string): AnalyzedStatement {
  const shape = describeStatement(node);
  const facts = collectTreeFacts(node);
  const found = new Set<StatementKind>([...shape.kinds, ...facts.kinds]);
  let unknownReason = shape.unknownReason ?? (facts.executes !== undefined ? EXECUTE_REASON : undefined);
  if (found.size === 0) {
    found.add('unknown');
    unknownReason ??= `${node.type}: no statement kind applies`;
  }
  const classification: StatementClassification = {
    text,
    kinds: [...found].sort((a, b) => KIND_ORDER[a] - KIND_ORDER[b]),
    commands: [...new Set([...shape.commands, ...facts.commands])],
    objects: facts.objects,
    functions: facts.functions,
    writesWithoutWhere: facts.writesWithoutWhere,
    ...(shape.prepares !== undefined && { prepares: shape.prepares }),
    ...(facts.executes !== undefined && { executes: facts.executes }),
    ...(shape.deallocates !== undefined && { deallocates: shape.deallocates }),
    ...(facts.changesPinnedSetting !== undefined && { changesPinnedSetting: facts.changesPinnedSetting }),
    ...(unknownReason !== undefined && { unknownReason }),
  };
  return { classification, dependsOnConstants: facts.dependsOnConstants || shape.dependsOnConstants === true };
}

/** A statement that could not be parsed or classified at all. */
export function unknownStatement(text: string, reason: string): StatementClassification {
  return { text, kinds: ['unknown'], commands: [], objects: [], functions: [], writesWithoutWhere: false, unknownReason: reason };
}
