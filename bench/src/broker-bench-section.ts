/**
 * Puts the broker benchmark's section into bench/RESULTS.md between its markers: replaces the one
 * there, or appends it at the end. Everything outside the markers stays byte for byte (run.ts,
 * ssh-bench.ts and kubernetes-bench.ts own those parts), and so does the hand-written analysis
 * block inside the section.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BROKER_BEGIN, BROKER_END } from './broker-bench-report.ts';

const ANALYSIS = /<!-- BEGIN BROKER ANALYSIS -->[\s\S]*<!-- END BROKER ANALYSIS -->/;
const ANALYSIS_PLACEHOLDER = [
  '<!-- BEGIN BROKER ANALYSIS -->',
  '### Where the broker path’s time goes',
  '',
  '(to be written after looking at the numbers)',
  '<!-- END BROKER ANALYSIS -->',
].join('\n');

/** The file's text with `generated` (which starts with BROKER_BEGIN and ends with BROKER_END) in place. */
export function withBrokerSection(previous: string, generated: string): string {
  const analysis = ANALYSIS.exec(previous)?.[0] ?? ANALYSIS_PLACEHOLDER;
  const section = generated.replace(BROKER_END, `\n${analysis}\n${BROKER_END}`);
  const begin = previous.indexOf(BROKER_BEGIN);
  const end = previous.indexOf(BROKER_END);
  if (begin >= 0 && end > begin) return `${previous.slice(0, begin)}${section}${previous.slice(end + BROKER_END.length)}`;
  return previous.trim() === '' ? `${section}\n` : `${previous.trimEnd()}\n\n${section}\n`;
}

export function writeBrokerSection(path: string, generated: string): void {
  writeFileSync(path, withBrokerSection(existsSync(path) ? readFileSync(path, 'utf8') : '', generated));
}
