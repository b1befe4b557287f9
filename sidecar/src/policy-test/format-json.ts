/**
 * The report for machines (`--output json`): the same facts as the text, as one JSON document on
 * stdout. The shape is part of the command's interface: add fields, never rename or remove them.
 */
import type { Decision } from '@airlock/contracts/policy';
import type { AgentPrincipal } from '../core/ports.ts';
import type { InputProblem, PolicyTestErrorCode } from './errors.ts';
import type { KubernetesRequestReading } from './kubernetes-request-case.ts';
import { type CaseOutcome, decidingPolicy, decidingRule, type Report } from './run-suite.ts';

const decisionJson = (decision: Decision) => ({
  action: decision.action,
  policy: decidingPolicy(decision),
  rule: decidingRule(decision),
  reason: decision.reason,
  failedClosed: decision.failedClosed,
  audit: decision.audit.map((v) => ({ policy: v.policy, rule: v.rule ?? null, action: v.action })),
});

/** A request's attributes as the policy reads them; null where the request has none (a non-resource path has no resource). */
const requestJson = ({ method, target, facts, terms }: KubernetesRequestReading) => ({
  method,
  target,
  // kubectl terms: facts.text, and an exec's command after `--`.
  text: terms,
  verb: facts.verb ?? null,
  apiGroup: facts.isResourceRequest ? facts.apiGroup : null,
  apiVersion: facts.isResourceRequest ? facts.apiVersion : null,
  resource: facts.isResourceRequest ? facts.resource : null,
  subresource: facts.isResourceRequest ? facts.subresource || null : null,
  name: facts.isResourceRequest ? facts.name || null : null,
  namespace: facts.isResourceRequest ? facts.namespace || null : null,
  // Of a request without a namespace: cluster, all-namespaces, or unknown (not a built-in resource: read as both). null otherwise.
  scope: !facts.isResourceRequest || facts.namespace ? null : (facts.scope ?? 'unknown'),
  nonResourcePath: facts.nonResourcePath ?? null,
  kinds: facts.kinds,
  dryRun: facts.dryRun,
  unknownReason: facts.unknownReason ?? null,
});

/** The agent a case is decided for; `delegationDepth` only for a sub-agent (depth 1 or more), as older reports had none. */
const identityJson = ({ identity, groups, delegation }: AgentPrincipal) => ({
  name: identity,
  groups,
  ...(delegation === undefined ? {} : { delegationDepth: delegation.depth }),
});

const caseJson = (outcome: CaseOutcome) => ({
  name: outcome.testCase.name,
  line: outcome.testCase.line,
  protocol: outcome.testCase.ssh !== undefined ? 'ssh' : outcome.testCase.kubernetes !== undefined ? 'kubernetes' : 'sql',
  sql: outcome.testCase.sql ?? null,
  ssh: outcome.testCase.ssh ?? null,
  kubernetes: outcome.testCase.kubernetes ?? null,
  passed: outcome.passed,
  expected: {
    action: outcome.testCase.expect,
    policy: outcome.testCase.policy ?? null,
    rule: outcome.testCase.rule ?? null,
  },
  mismatches: outcome.mismatches,
  identity: identityJson(outcome.testCase.principal),
  target: {
    name: outcome.testCase.target.name,
    namespace: outcome.testCase.target.namespace,
    type: outcome.testCase.target.spec.type,
    labels: outcome.testCase.target.labels,
  },
  applicablePolicies: outcome.applicable,
  decision: decisionJson(outcome.decision),
  decidingStatement: outcome.testCase.sql !== undefined ? (outcome.deciding ?? null) : null,
  decidingCommand: outcome.testCase.ssh !== undefined ? (outcome.deciding ?? null) : null,
  statements: outcome.statements.map(({ statement, decision }) => ({
    text: statement.text,
    kinds: statement.kinds,
    commands: statement.commands,
    objects: statement.objects,
    functions: statement.functions,
    writesWithoutWhere: statement.writesWithoutWhere,
    unknownReason: statement.unknownReason ?? null,
    decision: decisionJson(decision),
  })),
  // Text the shell fills in at run time is U+FFFC (SHELL_DYNAMIC in @airlock/contracts/policy).
  commands: outcome.commands.map(({ command, decision }) => ({
    program: command.program ?? null,
    arguments: command.program === undefined ? null : (command.arguments ?? ''),
    writes: command.writes,
    runAs: command.runAs ?? null,
    // File transfers (scp -t/-f, rsync --server): directions and normalised paths; null for other programs.
    directions: command.directions ?? null,
    paths: command.paths ?? null,
    kinds: command.kinds,
    unknownReason: command.unknownReason ?? null,
    decision: decisionJson(decision),
  })),
  // kubernetes cases: the request as the policy reads it, with its decision; null for the others.
  request:
    outcome.request === undefined ? null : { ...requestJson(outcome.request.request), decision: decisionJson(outcome.request.decision) },
});

export function reportJson(report: Report): string {
  const document = {
    passed: report.failed === 0,
    summary: { passed: report.passed, failed: report.failed },
    suites: report.suites.map(({ suite, cases }) => ({
      file: suite.file,
      document: suite.document,
      name: suite.name,
      cases: cases.map(caseJson),
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function errorJson(code: PolicyTestErrorCode, message: string, problems: readonly InputProblem[]): string {
  return `${JSON.stringify({ passed: false, error: { code, message, problems } }, null, 2)}\n`;
}
