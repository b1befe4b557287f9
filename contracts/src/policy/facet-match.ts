/**
 * How a rule's match reads a command, for every protocol (docs/adr/0011-allow-covers-every-facet.md).
 *
 * A command is seen as facets: named lists of values. A SQL statement has kinds, commands,
 * objects and functions; an SSH command line has programs and arguments; a Kubernetes request has
 * verbs, resources and namespaces. A rule constrains some facets, each with a predicate over one
 * value. How the lists are read depends on the rule's action, and that asymmetry is the point:
 *
 * - allow covers a command only when EVERY value of every constrained facet is accepted: a
 *   statement that reads and writes is not covered by `statementKinds: [read]`. A facet with no
 *   values (a statement that touches no table) is covered: there is nothing it does that the
 *   rule does not list.
 * - deny and requireApproval match when ANY value of every constrained facet is accepted: a rule
 *   for `write` catches a read that also writes.
 *
 * Either way every constrained facet must match, and a facet the rule leaves unset does not
 * constrain. So adding a value to a command can only make an allow rule stop matching and a deny
 * or approval rule start matching: a command never becomes more permitted by doing more.
 */

export type Coverage = 'every' | 'any';

export interface FacetConstraint<C> {
  /** The facet's name in messages, singular: "kind", "object", "program". */
  readonly facet: string;
  readonly valuesOf: (command: C) => readonly string[];
  readonly accepts: (value: string) => boolean;
}

/** The values of one facet an allow rule does not list, for telling an author why it did not match. */
export interface Uncovered {
  readonly facet: string;
  readonly values: readonly string[];
}

export interface FacetMatch<C> {
  readonly coverage: Coverage;
  matches(command: C): boolean;
  /**
   * For `every` coverage: the first constrained facet with values the rule does not accept, when
   * the rule would have matched under `any` coverage (it was close: some of the command is listed).
   * Undefined when the rule matches, or when nothing of the command is listed.
   */
  uncovered(command: C): Uncovered | undefined;
}

/** Allow rules read lists as "every value listed"; deny and requireApproval as "any value listed". */
export function coverageFor(action: 'allow' | 'deny' | 'requireApproval'): Coverage {
  return action === 'allow' ? 'every' : 'any';
}

export function compileFacetMatch<C>(constraints: readonly FacetConstraint<C>[], coverage: Coverage): FacetMatch<C> {
  const everyValue = (constraint: FacetConstraint<C>, command: C): boolean => constraint.valuesOf(command).every(constraint.accepts);
  const someValue = (constraint: FacetConstraint<C>, command: C): boolean => constraint.valuesOf(command).some(constraint.accepts);
  const covers = (command: C): boolean => constraints.every((constraint) => everyValue(constraint, command));
  const touches = (command: C): boolean => constraints.every((constraint) => someValue(constraint, command));
  return {
    coverage,
    matches: coverage === 'every' ? covers : touches,
    uncovered(command) {
      if (coverage !== 'every' || covers(command)) return undefined;
      // Only explain near misses: a read-only rule says nothing about a DROP TABLE.
      const partly = constraints.every((c) => c.valuesOf(command).length === 0 || someValue(c, command));
      if (!partly) return undefined;
      for (const constraint of constraints) {
        const missing = constraint.valuesOf(command).filter((value) => !constraint.accepts(value));
        if (missing.length > 0) return { facet: constraint.facet, values: missing };
      }
      return undefined;
    },
  };
}

/** A match that matches every command (an empty match) or none (a rule for another protocol). */
export function constantMatch<C>(matches: boolean, coverage: Coverage): FacetMatch<C> {
  return { coverage, matches: () => matches, uncovered: () => undefined };
}
