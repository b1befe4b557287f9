/**
 * The report for people: one block per case with ✓ or ✗, what the classifier (sql), the shell
 * analysis (ssh: each program of the command line) or the request parser (kubernetes: the request
 * in kubectl terms and its attributes) saw, which policy
 * and rule decided and why (the sentence the agent would get), then the failures with their
 * file:line. A ✗ line says what was expected and what came instead, so a CI log is enough.
 */
import { type Decision, type KubernetesFacts, policyVerbs, SHELL_DYNAMIC, type SshFacts } from '@airlock/contracts/policy';
import type { StatementClassification } from '../protocols/postgres/sql/classification.ts';
import { describeProblem, type InputProblem } from './errors.ts';
import type { ResolvedCase } from './resolve-suite.ts';
import type { CaseOutcome, Mismatch, Report } from './run-suite.ts';

const list = (values: readonly string[]): string => (values.length === 0 ? '-' : values.join(', '));

export function describeMismatch(mismatch: Mismatch): string {
  return mismatch.field === 'expect'
    ? `expected ${mismatch.expected}, got ${mismatch.got}`
    : `expected ${mismatch.field} ${mismatch.expected}, got ${mismatch.got}`;
}

function classificationLine(statement: StatementClassification): string {
  const parts = [
    `kinds: ${list(statement.kinds)}`,
    `commands: ${list(statement.commands)}`,
    `objects: ${list(statement.objects)}`,
    `functions: ${list(statement.functions)}`,
  ];
  if (statement.writesWithoutWhere) parts.push('writes without WHERE');
  if (statement.unknownReason !== undefined) parts.push(`unknown because: ${statement.unknownReason}`);
  return parts.join('  ');
}

/** Text the shell fills in at run time, as a reader sees it. */
const shown = (text: string): string => text.replaceAll(SHELL_DYNAMIC, '<run-time>');

function commandLine(command: SshFacts): string {
  const parts = [`program: ${command.program === undefined ? '-' : shown(command.program)}`];
  if (command.program !== undefined) parts.push(`arguments: ${command.arguments ? shown(command.arguments) : '-'}`);
  if (command.writes.length > 0) parts.push(`writes: ${command.writes.map(shown).join(', ')}`);
  if (command.runAs !== undefined) parts.push(`as user: ${shown(command.runAs)}`);
  if (command.paths !== undefined) {
    parts.push(`transfer: ${command.directions?.join(' and ') || 'lookup'} of ${command.paths.map(shown).join(', ')}`);
  }
  if (command.unknownReason !== undefined) parts.push(`unknown because: ${command.unknownReason}`);
  return parts.join('  ');
}

/** Where a request without a namespace acts, and why the policy reads it so. */
export function scopeDescription(facts: KubernetesFacts): string | undefined {
  if (!facts.isResourceRequest || facts.namespace) return undefined;
  if (facts.scope === 'cluster') return 'cluster-scoped (a built-in cluster-scoped resource)';
  if (facts.scope === 'all-namespaces') return 'all namespaces (a built-in namespaced resource)';
  return 'unknown: not a built-in resource, so read as both cluster-scoped and across all namespaces (the sidecar asks discovery)';
}

function requestLine(facts: KubernetesFacts): string {
  if (facts.kinds.includes('unknown')) return `kinds: unknown  unknown because: ${facts.unknownReason ?? '-'}`;
  // exec, attach and portforward over a WebSocket are GETs the rules read as create; a non-resource POST is create.
  const ruleVerb = policyVerbs(facts, true)[0];
  const parts = [
    `verb: ${facts.verb ?? '-'}${ruleVerb !== undefined && ruleVerb !== facts.verb ? ` (an allow rule must list ${ruleVerb})` : ''}`,
  ];
  if (facts.isResourceRequest) {
    const group = facts.apiGroup === '' ? 'core' : facts.apiGroup;
    parts.push(`resource: ${facts.resource}${facts.subresource ? `/${facts.subresource}` : ''} (${group}/${facts.apiVersion})`);
    if (facts.name) parts.push(`name: ${facts.name}`);
    parts.push(facts.namespace ? `namespace: ${facts.namespace}` : `scope: ${scopeDescription(facts)}`);
  } else {
    parts.push(`path: ${facts.nonResourcePath}`);
  }
  parts.push(`kinds: ${list(facts.kinds)}`);
  if (facts.dryRun) parts.push('dry run');
  return parts.join('  ');
}

function decisionLine(decision: Decision): string {
  const audit = decision.audit.map(
    (v) => `audit: ApprovalPolicy ${v.policy} ${v.rule ? `rule ${v.rule}` : 'default action'} would ${v.action}`,
  );
  return [`→ ${decision.action}: ${decision.reason}`, ...audit].join('; ');
}

function contextLine(testCase: ResolvedCase, applicable: readonly string[]): string {
  const { target, principal } = testCase;
  const labels = Object.entries(target.labels).map(([key, value]) => `${key}=${value}`);
  const groups = principal.groups.length > 0 ? ` (groups ${principal.groups.join(', ')})` : '';
  // A sub-agent is named by its depth: the chain's names are stand-ins, only its length decides.
  const depth = principal.delegation === undefined ? '' : ` at delegation depth ${principal.delegation.depth}`;
  return `agent ${principal.identity}${groups}${depth} on Target ${target.namespace}/${target.name} (${[target.spec.type, ...labels].join(', ')}); policies that apply: ${list(applicable)}`;
}

const indent = (text: string, spaces: number): string => text.replace(/^/gm, ' '.repeat(spaces));

/** An ssh case: the command line once, then each program it runs with its decision. */
function commandLines(outcome: CaseOutcome, line: string): string[] {
  const { commands } = outcome;
  const lines = [indent(line, 6)];
  const only = commands.length === 1 ? commands[0] : undefined;
  if (only) return [...lines, `        ${commandLine(only.command)}`, `      ${decisionLine(only.decision)}`];
  commands.forEach(({ command, decision }, i) => {
    lines.push(`      ${i + 1}. ${commandLine(command)}`, `         ${decisionLine(decision)}`);
  });
  const which =
    outcome.decision.action === 'allow' || outcome.deciding === undefined
      ? `every one of the ${commands.length} programs is allowed`
      : `program ${outcome.deciding + 1} of ${commands.length}, the strictest`;
  lines.push(`      decision: ${outcome.decision.action} (${which})`);
  return lines;
}

/** `context` is the line of the case before: repeated only when the agent, Target or policies change. */
function caseBlock(outcome: CaseOutcome, context: string | undefined): string[] {
  const { testCase, statements } = outcome;
  const head = outcome.passed ? `  ✓ ${testCase.name}` : `  ✗ ${testCase.name}: ${outcome.mismatches.map(describeMismatch).join('; ')}`;
  const lines = [head];
  const ownContext = contextLine(testCase, outcome.applicable);
  if (ownContext !== context) lines.push(`      ${ownContext}`);
  if (testCase.ssh !== undefined) return [...lines, ...commandLines(outcome, testCase.ssh)];
  if (outcome.request !== undefined) {
    const { request, decision } = outcome.request;
    return [
      ...lines,
      `      ${request.method} ${request.target}`,
      `        kubectl terms: ${request.terms}`,
      `        ${requestLine(request.facts)}`,
      `      ${decisionLine(decision)}`,
    ];
  }
  const only = statements.length === 1 ? statements[0] : undefined;
  if (statements.length === 0) {
    lines.push('      (no statements: PostgreSQL runs nothing)', `      ${decisionLine(outcome.decision)}`);
  } else if (only) {
    lines.push(indent(only.statement.text, 6), `        ${classificationLine(only.statement)}`, `      ${decisionLine(only.decision)}`);
  } else {
    statements.forEach(({ statement, decision }, i) => {
      lines.push(
        `      ${i + 1}. ${statement.text.replace(/\n/g, '\n         ')}`,
        `           ${classificationLine(statement)}`,
        `           ${decisionLine(decision)}`,
      );
    });
    const which =
      outcome.decision.action === 'allow' || outcome.deciding === undefined
        ? `every one of the ${statements.length} statements is allowed`
        : `statement ${outcome.deciding + 1} of ${statements.length}, the strictest`;
    lines.push(`      decision: ${outcome.decision.action} (${which})`);
  }
  return lines;
}

export function formatReport(report: Report): string {
  const lines: string[] = [];
  for (const { suite, cases } of report.suites) {
    lines.push(`${suite.file}: ${suite.name}`);
    let context: string | undefined;
    for (const outcome of cases) {
      lines.push(...caseBlock(outcome, context), '');
      context = contextLine(outcome.testCase, outcome.applicable);
    }
  }
  const failures = report.suites.flatMap(({ suite, cases }) =>
    cases.filter((outcome) => !outcome.passed).map((outcome) => `  ✗ ${suite.file}:${outcome.testCase.line} ${outcome.testCase.name}`),
  );
  if (failures.length > 0) lines.push('failed:', ...failures, '');
  const total = report.passed + report.failed;
  lines.push(
    report.failed === 0
      ? `${total} ${total === 1 ? 'case' : 'cases'} passed`
      : `${report.failed} of ${total} ${total === 1 ? 'case' : 'cases'} failed, ${report.passed} passed`,
  );
  return `${lines.join('\n')}\n`;
}

export function formatProblems(problems: readonly InputProblem[]): string {
  const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
  return `error (InvalidInput): the input has ${count}; nothing was run\n${problems.map((p) => `  ${describeProblem(p)}`).join('\n')}\n`;
}
