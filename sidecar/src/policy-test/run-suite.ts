/**
 * Runs the cases of a suite through the sidecar's own decision code, nothing re-implemented:
 * policiesFor chooses the policies that apply to the case's agent and Target, compilePolicy
 * compiles them for the case's protocol, and then
 * - sql: the SqlClassifier splits and classifies the statement text, decide decides each
 *   statement and strictestDecision picks the one that governs the message, exactly as a session
 *   does (pg/session/statement-decision.ts). What a session adds on top is not modelled: an
 *   EXECUTE is decided as unknown (no earlier PREPARE), and COPY TO STDOUT is not refused for masking;
 * - ssh: the shell analysis reads the exec command line (ssh/shell, ADR 0021), execOperations
 *   makes one operation per program it runs, decide decides each and strictestDecision picks the
 *   one that governs the line (ssh/exec-operations.ts decideExec). Only exec requests are modelled;
 * - kubernetes: the request line is placed as the API server would and turned into the policy's
 *   facts (kubernetes-request-case.ts), and decide decides it, as the sidecar's request pipeline
 *   does (kubernetes/request/request-pipeline.ts). One request, one decision. What the pipeline
 *   adds on top is not modelled: headers (impersonation is always denied) and the body.
 */

import {
  type CompiledPolicy,
  compileKubernetesMatch,
  compilePolicy,
  compileSqlMatch,
  compileSshMatch,
  type Decision,
  decide,
  decideKubernetesRequest,
  type KubernetesFacts,
  policiesFor,
  type SqlFacts,
  type SshFacts,
  strictestDecision,
} from '@airlock/contracts/policy';
import type { PolicyConfig } from '../core/ports.ts';
import type { BatchClassification, StatementClassification } from '../protocols/postgres/sql/classification.ts';
import { execOperations } from '../protocols/ssh/exec-operations.ts';
import type { ShellFacts } from '../protocols/ssh/shell/index.ts';
import { type KubernetesRequestReading, readKubernetesRequest } from './kubernetes-request-case.ts';
import type { ResolvedCase, Suite } from './resolve-suite.ts';
import { DEFAULT_ACTION_RULE } from './test-file-format.ts';

/** What the run needs of SqlClassifier. */
export interface Classifier {
  classify(text: string): BatchClassification;
}

/** What the run needs of the SSH shell analysis: a command line in, what it runs out. */
export interface CommandLineReader {
  analyze(text: string): ShellFacts;
}

/** How each protocol's cases are read; a run without ssh cases needs no shell parser. */
export interface CaseReaders {
  readonly sql: Classifier;
  readonly ssh?: CommandLineReader;
}

export interface StatementOutcome {
  readonly statement: StatementClassification;
  readonly decision: Decision;
}

/** One program of an exec command line (or the line, when it runs none), and its decision. */
export interface CommandOutcome {
  readonly command: SshFacts;
  readonly decision: Decision;
}

/** A kubernetes case's request, as the sidecar reads it, and its decision. */
export interface RequestOutcome {
  readonly request: KubernetesRequestReading;
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
  /** sql cases: each statement of the message; empty for ssh cases. */
  readonly statements: readonly StatementOutcome[];
  /** ssh cases: each program of the command line; empty for the others. */
  readonly commands: readonly CommandOutcome[];
  /** kubernetes cases: the request; undefined for the others. */
  readonly request: RequestOutcome | undefined;
  /** The decision that governs the message, line or request: the strictest of its statements' or programs'. */
  readonly decision: Decision;
  /** Which statement or program it is (0 for a request); undefined for a message without statements. */
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

/** Each policy compiled once per protocol, as each sidecar listener compiles it. */
export interface PolicyCompiler {
  sql(policy: PolicyConfig): CompiledPolicy<SqlFacts>;
  ssh(policy: PolicyConfig): CompiledPolicy<SshFacts>;
  kubernetes(policy: PolicyConfig): CompiledPolicy<KubernetesFacts>;
}

function policyCompiler(): PolicyCompiler {
  const sql = new Map<PolicyConfig, CompiledPolicy<SqlFacts>>();
  const ssh = new Map<PolicyConfig, CompiledPolicy<SshFacts>>();
  const kubernetes = new Map<PolicyConfig, CompiledPolicy<KubernetesFacts>>();
  const cached =
    <F extends SqlFacts | SshFacts | KubernetesFacts>(
      cache: Map<PolicyConfig, CompiledPolicy<F>>,
      compile: (policy: PolicyConfig) => CompiledPolicy<F>,
    ) =>
    (policy: PolicyConfig): CompiledPolicy<F> => {
      let entry = cache.get(policy);
      if (entry === undefined) {
        entry = compile(policy);
        cache.set(policy, entry);
      }
      return entry;
    };
  return {
    sql: cached(sql, (policy) => compilePolicy(policy, compileSqlMatch)),
    ssh: cached(ssh, (policy) => compilePolicy(policy, compileSshMatch)),
    kubernetes: cached(kubernetes, (policy) => compilePolicy(policy, compileKubernetesMatch)),
  };
}

export function runCase(
  testCase: ResolvedCase,
  policies: readonly PolicyConfig[],
  compiled: PolicyCompiler,
  readers: CaseReaders,
): CaseOutcome {
  const applicable = policiesFor(policies, testCase.principal, testCase.target);
  let statements: StatementOutcome[] = [];
  let commands: CommandOutcome[] = [];
  let request: RequestOutcome | undefined;
  if (testCase.kubernetes !== undefined) {
    const compiledPolicies = applicable.map(compiled.kubernetes);
    const reading = readKubernetesRequest(testCase.kubernetes);
    request = { request: reading, decision: decideKubernetesRequest(reading.facts, compiledPolicies) };
  } else if (testCase.ssh !== undefined) {
    if (readers.ssh === undefined) throw new Error('an ssh case was run without the shell analysis');
    const compiledPolicies = applicable.map(compiled.ssh);
    commands = execOperations(readers.ssh.analyze(testCase.ssh)).map((command) => ({
      command,
      decision: decide(command, compiledPolicies),
    }));
  } else {
    const compiledPolicies = applicable.map(compiled.sql);
    statements = readers.sql
      .classify(testCase.sql)
      .statements.map((statement) => ({ statement, decision: decide(statement, compiledPolicies) }));
  }
  const decisions = [...statements, ...commands, ...(request ? [request] : [])].map((outcome) => outcome.decision);
  const decision = strictestDecision(decisions);
  const index = decisions.indexOf(decision);
  const found = mismatches(testCase, decision);
  return {
    testCase,
    applicable: applicable.map((policy) => policy.name),
    statements,
    commands,
    request,
    decision,
    deciding: index < 0 ? undefined : index,
    mismatches: found,
    passed: found.length === 0,
  };
}

export function runSuites(suites: readonly Suite[], readers: CaseReaders): Report {
  const outcomes = suites.map((suite) => {
    const compiled = policyCompiler();
    return { suite, cases: suite.cases.map((testCase) => runCase(testCase, suite.policies, compiled, readers)) };
  });
  const all = outcomes.flatMap((outcome) => outcome.cases);
  const passed = all.filter((outcome) => outcome.passed).length;
  return { suites: outcomes, passed, failed: all.length - passed };
}
