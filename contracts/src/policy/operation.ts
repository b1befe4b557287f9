/**
 * What every protocol hands the policy about one operation (a SQL statement, a shell command, a
 * Kubernetes request): its exact text, the kinds it is, and why it is `unknown` when it could not
 * be read. Each protocol's facts extend this with their own facets (sql-match.ts: commands,
 * objects, functions); a rule's `match.<protocol>` compiles to a FacetMatch over those facts.
 */
import type { PolicyRule } from '@airlock/crds';
import type { FacetMatch } from './facet-match.ts';

export interface OperationFacts {
  readonly text: string;
  /** Never empty: an operation nothing else fits is `unknown`, and unknown is never allowed (invariant 4). */
  readonly kinds: readonly string[];
  readonly unknownReason?: string;
}

/** Compiles one rule's match for one protocol's facts; a rule for another protocol never matches. */
export type RuleMatchCompiler<F extends OperationFacts> = (rule: Pick<PolicyRule, 'match' | 'action'>) => FacetMatch<F>;
