/**
 * The Evidence section of `kubectl approve show`: what the held command would do, as the sidecar
 * previewed it before the request was created (for Kubernetes, the same request sent with
 * dryRun=All). Two things a reviewer must not mistake:
 *
 * - Evidence is not the command. It has its own gutter (┆, the command's is │), and the section
 *   says that the approval binds to the digest, not to the evidence, and that the evidence is as
 *   old as its collection time: objects may have changed since.
 * - Evidence text is agent-influenced (object names, labels, field values an agent chose), so
 *   every string goes through terminal-text.ts like the command does, and the section says how
 *   many characters it escaped. Pure.
 */
import type { Evidence } from '@airlock/crds';
import { age } from './durations.ts';
import { countUnsafe, oneLine, PLAIN, type Style, safeText } from './terminal-text.ts';

export interface EvidenceViewOptions {
  readonly now: Date;
  readonly style?: Style;
}

/** Distinct from the command's gutter, so evidence text can never pass for the command. */
export const EVIDENCE_GUTTER = '  ┆ ';

const SOURCE_NAMES: Readonly<Record<string, string>> = {
  DryRun: 'dry run: the same request sent upstream with dryRun=All, nothing stored',
};

/** The section's lines, heading first; empty when the request carries no evidence. */
export function evidenceLines(evidence: Evidence | undefined, options: EvidenceViewOptions): string[] {
  if (!evidence) return [];
  const style = options.style ?? PLAIN;
  const source = SOURCE_NAMES[evidence.source] ?? oneLine(evidence.source);
  const lines: string[] = [
    style.heading(`Evidence (${source}), collected ${age(evidence.collectedAt, options.now)} ago at ${oneLine(evidence.collectedAt)}:`),
    `  ${style.warn('collected before approval; the approval binds to the digest, not to this — it may have changed since')}`,
    `  ${oneLine(evidence.summary)}`,
  ];
  if (evidence.text) {
    for (const line of safeText(evidence.text.replace(/\n+$/, ''), { multiline: true, style }).split('\n')) {
      lines.push(`${style.dim(EVIDENCE_GUTTER)}${line}`);
    }
  }
  for (const note of evidence.notes ?? []) lines.push(`  ${style.warn('incomplete:')} ${oneLine(note)}`);
  if (evidence.complete === false && (evidence.notes ?? []).length === 0) {
    lines.push(`  ${style.warn('incomplete:')} part of what the command would do could not be previewed`);
  }
  if (evidence.error) lines.push(`  ${style.warn('preview failed:')} ${oneLine(evidence.error)}`);
  const hidden = countUnsafe(evidence.text ?? '', { multiline: true }) + hiddenInOneLiners(evidence);
  if (hidden > 0) {
    lines.push(
      `  ${style.warn(`${hidden} control or invisible character${hidden === 1 ? ' is' : 's are'} in the evidence, shown as \\u{...}`)}`,
    );
  }
  return lines;
}

/** Characters oneLine escapes in the one-line fields (whitespace runs it folds are not hidden, only reflowed). */
function hiddenInOneLiners(evidence: Evidence): number {
  const oneLiners = [evidence.summary, evidence.error ?? '', ...(evidence.notes ?? [])];
  return oneLiners.reduce((sum, text) => sum + countUnsafe(text.replace(/[ \t\r\n]+/g, ' ')), 0);
}
