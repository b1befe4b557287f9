/**
 * The shape of a classifier corpus entry and the helpers that write one. Expectations are written
 * by hand, never produced by the classifier: kinds are compared as sets; commands, objects and
 * functions as ordered lists (objects and functions in order of first appearance in the text).
 */
import type { StatementKind } from '../classification.ts';

export interface ExpectedStatement {
  /** Checked for multi-statement texts, where each statement's text is a slice of the whole. */
  readonly text?: string;
  readonly kinds: readonly StatementKind[];
  readonly commands: readonly string[];
  readonly objects?: readonly string[];
  readonly functions?: readonly string[];
  readonly writesWithoutWhere?: boolean;
  readonly prepares?: string;
  readonly executes?: string;
  readonly deallocates?: string;
  /** When set, unknownReason must match; when not, there must be none. */
  readonly unknownReason?: RegExp;
}

/**
 * Classes of attempts to get something past a read-only policy: each entry with one is a statement
 * that changes something (data, privileges, other sessions, files) while looking like a read.
 * policy-corpus.test.ts checks that no such entry is allowed by a read-only policy.
 */
export type BypassClass =
  | 'cte-write'
  | 'side-effect-function'
  | 'privilege-in-session'
  | 'quoting-and-case'
  | 'multi-statement'
  | 'extended-protocol'
  | 'prepared-statement'
  | 'explain-analyze'
  | 'do-and-procedures'
  | 'locking-and-notify'
  | 'file-and-large-object'
  | 'maintenance';

export interface CorpusEntry {
  readonly name: string;
  readonly sql: string;
  readonly statements: readonly ExpectedStatement[];
  /** Set on bypass attempts: the entry must never pass a read-only policy. */
  readonly bypass?: BypassClass;
}

/** A single-statement entry. */
export function one(name: string, sql: string, expected: ExpectedStatement): CorpusEntry {
  return { name, sql, statements: [expected] };
}

/** A single-statement bypass attempt of class `bypass`. */
export function attempt(bypass: BypassClass, name: string, sql: string, expected: ExpectedStatement): CorpusEntry {
  return { name, sql, statements: [expected], bypass };
}
