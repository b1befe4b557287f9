/**
 * `kubectl approve show NAME`: everything a reviewer needs to decide, on one screen. The exact
 * command comes first and is never cut; agent-controlled text is escaped (terminal-text.ts); SQL
 * is laid out and highlighted only when asked (a TTY), and the view says so. What the command would
 * do, when the sidecar could preview it, follows the command (evidence-view.ts). Pure.
 */
import type { ApprovalRequest, BoundParameter } from '@airlock/crds';
import { approvalsOf, approverText, isExpired, phaseOf, type Reviewer, reviewerStanding, reviewsOf } from '../approval-facts.ts';
import type { ContextResult } from '../recordings/recording-file.ts';
import type { SessionStatement } from '../recordings/session-context.ts';
import { age, expiresIn } from './durations.ts';
import { evidenceLines } from './evidence-view.ts';
import { renderColumns } from './request-table.ts';
import { chainLine } from './requester-chain.ts';
import { highlightSql, prettySql } from './sql.ts';
import { countUnsafe, oneLine, PLAIN, type Style, safeText, truncate } from './terminal-text.ts';

export interface ViewOptions {
  readonly now: Date;
  readonly style?: Style;
  /** Lay SQL out one clause per line (whitespace only). */
  readonly pretty?: boolean;
  /** Who is looking, from SelfSubjectReview: says whether they may review. */
  readonly me?: Reviewer;
  /** The session before the statement, or why it is not shown. */
  readonly context?: ContextResult;
  /** Width of one statement line in the session context. */
  readonly contextWidth?: number;
}

const LABEL = 18;
const GUTTER = '  │ ';

export function requestView(request: ApprovalRequest, options: ViewOptions): string {
  const style = options.style ?? PLAIN;
  const { now } = options;
  const { spec } = request;
  const phase = phaseOf(request);
  const lines: string[] = [];
  const field = (label: string, value: string) => lines.push(`${style.heading((label ? `${label}:` : '').padEnd(LABEL))}${value}`);
  const blank = () => lines.push('');

  lines.push(
    style.heading(`ApprovalRequest ${oneLine(request.metadata.name ?? '')} in namespace ${oneLine(request.metadata.namespace ?? '')}`),
  );
  const phaseText = isExpired(request, now)
    ? style.warn('Pending, past its expiry: it can no longer be approved')
    : phaseStyle(phase, style);
  field('Phase', request.status?.message ? `${phaseText} — ${oneLine(request.status.message)}` : phaseText);
  if (phase === 'Pending') field('Expires', `${expiresIn(spec.expiresAt, now)} (${spec.expiresAt})`);
  if (request.status?.decidedAt) field('Decided', `${age(request.status.decidedAt, now)} ago (${request.status.decidedAt})`);
  if (request.status?.executedAt) {
    field('Executed', `${age(request.status.executedAt, now)} ago${request.status.result ? ` — ${oneLine(request.status.result)}` : ''}`);
  }
  field('Created', `${age(request.metadata.creationTimestamp, now)} ago`);
  blank();

  const sql = spec.target.type === 'postgres';
  const text = sql && options.pretty ? prettySql(spec.operation.text) : spec.operation.text;
  const shown = sql ? highlightSql(text, style) : safeText(text, { multiline: true, style });
  lines.push(style.heading(`${commandNoun(spec.target.type)} for ${spec.target.type} Target ${oneLine(spec.target.name)}:`));
  for (const line of shown.split('\n')) lines.push(`${style.dim(GUTTER)}${line}`);
  const notes: string[] = [];
  const hidden = countUnsafe(spec.operation.text, { multiline: true });
  if (hidden > 0) {
    notes.push(
      style.warn(
        `${hidden} control or invisible character${hidden === 1 ? ' is' : 's are'} shown as \\u{...}: check what they do before approving`,
      ),
    );
  }
  if (sql && options.pretty && text !== spec.operation.text)
    notes.push(style.dim('laid out for reading (whitespace only); --raw shows it as sent'));
  for (const note of notes) lines.push(`  ${note}`);
  for (const [i, parameter] of (spec.operation.parameters ?? []).entries()) {
    field(i === 0 ? 'Parameters' : '', `${style.parameter(`$${i + 1}`)} = ${parameterText(parameter, style)}`);
  }
  field('Summary', oneLine(spec.operation.summary));
  field('Digest', spec.operation.digest);
  blank();
  const evidence = evidenceLines(spec.evidence, { now, style });
  if (evidence.length > 0) lines.push(...evidence, '');

  field('Requester', `AgentIdentity ${oneLine(spec.requester.identity)}`);
  // Right under the identity: when a sub-agent asks, "Requester" alone would name the agent.
  const chain = chainLine(spec.requester, style);
  if (chain) field('Chain', chain);
  field('Service account', oneLine(spec.requester.serviceAccount));
  field('Pod', `${oneLine(spec.requester.pod.name)} (uid ${oneLine(spec.requester.pod.uid)})`);
  if (spec.requester.onBehalfOf) {
    field(
      'On behalf of',
      `${oneLine(spec.requester.onBehalfOf)}${spec.requester.issuer ? ` (issuer ${oneLine(spec.requester.issuer)})` : ''}`,
    );
  }
  field('Target', `${oneLine(spec.target.name)} (${spec.target.type})`);
  field('Asked by', `ApprovalPolicy ${oneLine(spec.policy.name || '(default action)')}, rule ${oneLine(spec.policy.rule ?? 'default')}`);
  field('Scope', spec.scope === 'window' && spec.window ? `window of ${spec.window}` : spec.scope);
  field(
    'Approvals',
    `${approvalsOf(request)} — needs ${spec.requiredApprovals} distinct approver${spec.requiredApprovals === 1 ? '' : 's'}: ${oneLine(approverText(request))}`,
  );
  const reviews = reviewsOf(request);
  if (reviews.length > 0) {
    lines.push(style.heading('Reviews:'));
    const rows = reviews.map((r) => [
      `  ${oneLine(r.user)}`,
      r.decision === 'Approve' ? style.good(r.decision) : style.warn(r.decision),
      `${age(r.time, now)} ago`,
      r.reason ? oneLine(r.reason) : '',
    ]);
    lines.push(...renderColumns(rows).trimEnd().split('\n'));
  }
  if (options.me) field('You', youText(request, options.me, now, style));
  blank();

  lines.push(...contextLines(request, options, style));
  return `${lines.join('\n')}\n`;
}

function commandNoun(type: string): string {
  return type === 'postgres' ? 'Statement' : type === 'ssh' ? 'Command' : 'Request';
}

function phaseStyle(phase: string, style: Style): string {
  if (phase === 'Approved' || phase === 'Executed') return style.good(phase);
  if (phase === 'Pending') return style.heading(phase);
  return style.warn(phase);
}

function parameterText(parameter: BoundParameter, style: Style): string {
  if (parameter.isNull) return style.keyword('NULL');
  if (parameter.format === 'binary') {
    const bytes = Buffer.from(parameter.value ?? '', 'base64').length;
    return `${style.dim(`binary, ${bytes} bytes, base64:`)} ${truncate(parameter.value ?? '', 80)}`;
  }
  return style.string(`'${safeText(parameter.value ?? '', { style }).replaceAll("'", "''")}'`);
}

function youText(request: ApprovalRequest, me: Reviewer, now: Date, style: Style): string {
  const who = oneLine(me.username);
  const standing = reviewerStanding(request, me);
  switch (standing.kind) {
    case 'reviewed':
      return `${who} — you reviewed it: ${standing.review.decision}${standing.review.reason ? ` (${oneLine(standing.review.reason)})` : ''}`;
    case 'requester':
      return `${who} — ${style.warn(`you cannot review it: you are ${standing.role}`)}`;
    case 'not-approver':
      return `${who} — ${style.warn(`you are not an approver`)} (your groups: ${me.groups.join(', ') || 'none'})`;
    case 'approver': {
      const phase = phaseOf(request);
      if (phase !== 'Pending') return `${who} — ${standing.as}; the request is ${phase}, reviews are closed`;
      if (isExpired(request, now)) return `${who} — ${standing.as}; the request expired, reviews no longer count`;
      return `${who} — you may review it as ${standing.as}: kubectl approve ${request.metadata.name} -n ${request.metadata.namespace} [--reason TEXT], or --deny --reason TEXT`;
    }
  }
}

function contextLines(request: ApprovalRequest, options: ViewOptions, style: Style): string[] {
  const session = oneLine(request.spec.operation.sessionID);
  // SSH sessions are made of commands, PostgreSQL's of statements.
  const noun = commandNoun(request.spec.target.type).toLowerCase();
  const result = options.context;
  if (!result)
    return [style.dim(`Session ${session}: earlier ${noun}s not shown; add --recordings DIR (a copy of the operator's recordings).`)];
  if (!result.found) return [style.dim(`Session ${session}: earlier ${noun}s not shown: ${oneLine(result.reason)}`)];
  const context = result.context;
  const lines: string[] = [];
  const chain = context.chain.ok
    ? style.good(`hash chain verified, ${context.chain.records} records`)
    : style.warn(`hash chain BROKEN: ${oneLine(context.chain.message)}; only the records before the break are shown`);
  lines.push(`${style.heading(`Session ${session} before this ${noun}`)} (${oneLine(context.source)}; ${chain}):`);
  if (context.principal && context.principal.serviceAccount !== request.spec.requester.serviceAccount) {
    lines.push(style.warn(`  the recording belongs to ${oneLine(context.principal.serviceAccount)}, not to the requester`));
  }
  if (context.before.length === 0) lines.push(style.dim(`  (no earlier ${noun}s)`));
  if (context.omitted > 0)
    lines.push(style.dim(`  ... ${context.omitted} earlier ${noun}${context.omitted === 1 ? '' : 's'} (--history N shows more)`));
  const width = options.contextWidth ?? 80;
  const rows = context.before.map((s) => statementRow(s, width, style));
  if (rows.length > 0) lines.push(...renderColumns(rows).trimEnd().split('\n'));
  if (context.held && context.held.text !== request.spec.operation.text) {
    lines.push(style.warn(`  the recorded ${noun} #${context.held.index} differs from the request's text`));
  }
  return lines;
}

function statementRow(s: SessionStatement, width: number, style: Style): string[] {
  const decision = s.decision ? `${s.decision.action}${s.decision.rule ? ` (${oneLine(s.decision.rule)})` : ''}` : '';
  const approval = s.approval ? ` ${oneLine(s.approval.name)}${s.approval.phase ? ` ${s.approval.phase}` : ''}` : '';
  return [
    `  #${s.index}`,
    s.time.replace(/\.\d{3}Z$/, 'Z'),
    s.decision?.action.startsWith('deny') ? style.warn(decision) : decision,
    truncate(oneLine(s.text), width),
    style.dim(`${oneLine(s.outcome ?? '')}${approval}`),
  ];
}
