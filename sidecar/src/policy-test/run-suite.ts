/**
 * Runs the cases of a suite through the sidecar's own decision code, nothing re-implemented:
 * policiesFor chooses the policies that apply to the case's agent and Target, compilePolicy
 * compiles them, the SqlClassifier splits and classifies the statement text, decide decides each
 * statement and strictestDecision picks the one that governs the message, exactly as a session
 * does (pg/session/statement-decision.ts). What a session adds on top is not modelled: an EXECUTE
 * is decided as unknown (no earlier PREPARE), and COPY TO STDOUT is not refused for masking.
 */

import {
  type CompiledPolicy,
  compilePolicy,
  compileSqlMatch,
  type Decision,
  decide,
  policiesFor,
  type SqlFacts,
  strictestDecision,
} from '@airlock/contracts/policy';
import type { PolicyConfig } from '../core/ports.ts';
import type { BatchClassification, StatementClassification } from '../protocols/postgres/sql/classification.ts';
import type { ResolvedCase, Suite } from './resolve-suite.ts';
import { DEFAULT_ACTION_RULE } from './test-file-format.ts';

/** What the run needs of SqlClassifier. */
export interface Classifier {
  classify(text: string): BatchClassification;
}

export interface StatementOutcome {
  readonly statement: StatementClassification;
  readonly decision: Decision;
}

export interface Mismatch {
  readonly field: 'expect' | 'policy' | 'rule';
  readonly expected: string;
  readonly got: string;
}

export interface CaseOutcome {
  readonly testCase: ResolvedCase;
  /** The policies that apply to the case's agent and Target, by name. */
  readonly applicable: readonly string[];
  readonly statements: readonly StatementOutcome[];
  /** The decision that governs the message: the strictest of its statements'. */
  readonly decision: Decision;
  /** Which statement it is; undefined for a message without statements. */
  readonly deciding: number | undefined;
  readonly mismatches: readonly Mismatch[];
  readonly passed: boolean;
}

export interface SuiteOutcome {
  readonly suite: Suite;
  readonly cases: readonly CaseOutcome[];
}

export interface Report {
  readonly suites: readonly SuiteOutcome[];
  readonly passed: number;
  readonly failed: number;
}

/** The policy that decided, or `none` when no enforcing policy applies. */
export const decidingPolicy = (decision: Decision): string => decision.verdict?.policy ?? 'none';
/** The rule that decided, DEFAULT_ACTION_RULE for the policy's default action, or `none` when no enforcing policy applies. */
export const decidingRule = (decision: Decision): string =>
  decision.verdict === undefined ? 'none' : (decision.verdict.rule ?? DEFAULT_ACTION_RULE);

function mismatches(testCase: ResolvedCase, decision: Decision): Mismatch[] {
  const found: Mismatch[] = [];
  if (decision.action !== testCase.expect) found.push({ field: 'expect', expected: testCase.expect, got: decision.action });
  if (testCase.policy !== undefined && decidingPolicy(decision) !== testCase.policy) {
    found.push({ field: 'policy', expected: testCase.policy, got: decidingPolicy(decision) });
  }
  if (testCase.rule !== undefined && decidingRule(decision) !== testCase.rule) {
    found.push({ field: 'rule', expected: testCase.rule, got: decidingRule(decision) });
  }
  return found;
}

export function runCase(
  testCase: ResolvedCase,
  policies: readonly PolicyConfig[],
  compiled: (policy: PolicyConfig) => CompiledPolicy<SqlFacts>,
  classifier: Classifier,
): CaseOutcome {
  const applicable = policiesFor(policies, testCase.principal, testCase.target);
  const compiledPolicies = applicable.map(compiled);
  const statements = classifier
    .classify(testCase.sql)
    .statements.map((statement) => ({ statement, decision: decide(statement, compiledPolicies) }));
  const decision = strictestDecision(statements.map((outcome) => outcome.decision));
  const index = statements.findIndex((outcome) => outcome.decision === decision);
  const found = mismatches(testCase, decision);
  return {
    testCase,
    applicable: applicable.map((policy) => policy.name),
    statements,
    decision,
    deciding: index < 0 ? undefined : index,
    mismatches: found,
    passed: found.length === 0,
  };
}

export function runSuites(suites: readonly Suite[], classifier: Classifier): Report {
  const outcomes = suites.map((suite) => {
    const cache = new Map<PolicyConfig, CompiledPolicy<SqlFacts>>();
    const compiled = (policy: PolicyConfig): CompiledPolicy<SqlFacts> => {
      let entry = cache.get(policy);
      if (entry === undefined) {
        entry = compilePolicy(policy, compileSqlMatch);
        cache.set(policy, entry);
      }
      return entry;
    };
    return { suite, cases: suite.cases.map((testCase) => runCase(testCase, suite.policies, compiled, classifier)) };
  });
  const all = outcomes.flatMap((outcome) => outcome.cases);
  const passed = all.filter((outcome) => outcome.passed).length;
  return { suites: outcomes, passed, failed: all.length - passed };
}
