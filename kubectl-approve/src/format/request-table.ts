/**
 * The `kubectl approve list` table: kubectl's layout (upper-case headers, columns three spaces
 * apart, the last one unpadded), one request per row, the most urgent first. Pure: the rows
 * depend only on the requests and the clock passed in.
 */
import type { ApprovalRequest } from '@airlock/crds';
import { approvalsOf, phaseOf } from '../approval-facts.ts';
import { age, expiresIn, parseTime } from './durations.ts';
import { chainCell, requesterCell } from './requester-chain.ts';
import { oneLine, truncate, visibleWidth } from './terminal-text.ts';

export interface TableOptions {
  readonly now: Date;
  /** Prefix a NAMESPACE column (-A). */
  readonly allNamespaces?: boolean;
  /** Add a PHASE column (--all). */
  readonly showPhase?: boolean;
  /** -o wide: on-behalf-of, policy and rule, digest, the whole requester chain. */
  readonly wide?: boolean;
  /** Summary width; default 60. */
  readonly summaryWidth?: number;
}

const GAP = '   ';
export const DEFAULT_SUMMARY_WIDTH = 60;

/** Namespace, then soonest expiry, then name: the order of the table and of `-o json`. */
export function sortRequests(requests: readonly ApprovalRequest[]): ApprovalRequest[] {
  return [...requests].sort(
    (a, b) =>
      compare(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
      (parseTime(a.spec.expiresAt) ?? 0) - (parseTime(b.spec.expiresAt) ?? 0) ||
      compare(a.metadata.name ?? '', b.metadata.name ?? ''),
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The header and rows, each a list of cells. */
export function tableCells(requests: readonly ApprovalRequest[], options: TableOptions): string[][] {
  const width = options.summaryWidth ?? DEFAULT_SUMMARY_WIDTH;
  const header = [
    ...(options.allNamespaces ? ['NAMESPACE'] : []),
    'NAME',
    ...(options.showPhase ? ['PHASE'] : []),
    'AGE',
    'REQUESTER',
    'TARGET',
    'SUMMARY',
    'APPROVALS',
    'EXPIRES',
    // CHAIN last: it is the one cell that can be long (a person and up to six names), and the
    // last column is not padded, so a long chain widens no other column.
    ...(options.wide ? ['ON-BEHALF-OF', 'POLICY/RULE', 'DIGEST', 'CHAIN'] : []),
  ];
  const rows = sortRequests(requests).map((r) => {
    const phase = phaseOf(r);
    const { requester, target, operation, policy } = r.spec;
    return [
      ...(options.allNamespaces ? [oneLine(r.metadata.namespace ?? '')] : []),
      oneLine(r.metadata.name ?? ''),
      ...(options.showPhase ? [phase] : []),
      age(r.metadata.creationTimestamp, options.now),
      requesterCell(requester),
      oneLine(target.name),
      truncate(oneLine(operation.summary), width),
      approvalsOf(r),
      phase === 'Pending' ? expiresIn(r.spec.expiresAt, options.now) : '-',
      ...(options.wide
        ? [
            oneLine(requester.onBehalfOf ?? '-'),
            oneLine(`${policy.name || '-'}/${policy.rule ?? 'default'}`),
            operation.digest.slice(0, 'sha256:'.length + 12),
            chainCell(requester),
          ]
        : []),
    ];
  });
  return [header, ...rows];
}

/** Cells laid out in columns; every line ends with a newline. */
export function renderColumns(cells: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of cells) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell));
  }
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleWidth(cell))))
        .join(GAP)
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export function requestTable(requests: readonly ApprovalRequest[], options: TableOptions): string {
  return renderColumns(tableCells(requests, options));
}
