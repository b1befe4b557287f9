/**
 * Evidence as it is put together, and the one place its bounds are enforced: the summary is one
 * line of at most 256 characters, the text at most 32768 (cut at a line with a final
 * "… (truncated)"), at most 8 notes of 512, the error at most 1024. Builders append freely; the
 * CRD schema then never refuses what comes out.
 */
import { ERROR_MAX_CHARS, type Evidence, NOTE_MAX_CHARS, NOTES_MAX, SUMMARY_MAX_CHARS, TEXT_MAX_CHARS } from './evidence.ts';

const TRUNCATED = '… (truncated)';

export class EvidenceDraft {
  summary = '';
  readonly #lines: string[] = [];
  readonly #notes: string[] = [];
  #complete = true;
  #error: string | undefined;

  line(text: string): void {
    this.#lines.push(text);
  }

  /** A note says what could not be previewed; `incomplete` marks the evidence as partial. */
  note(text: string, options: { readonly incomplete: boolean }): void {
    if (!this.#notes.includes(text)) this.#notes.push(text);
    if (options.incomplete) this.#complete = false;
  }

  /** The API server refused the dry run: the real request would fail the same way. */
  refused(message: string): void {
    this.#error = message;
  }

  get hasError(): boolean {
    return this.#error !== undefined;
  }

  finish(collectedAt: string): Evidence {
    const notes = boundNotes(this.#notes);
    return {
      source: 'DryRun',
      summary: boundSummary(this.summary),
      text: boundText(this.#lines),
      complete: this.#complete,
      ...(notes.length > 0 ? { notes } : {}),
      ...(this.#error !== undefined ? { error: cut(this.#error, ERROR_MAX_CHARS) } : {}),
      collectedAt,
    };
  }
}

export function boundSummary(summary: string): string {
  return cut(summary.replace(/\s+/g, ' ').trim(), SUMMARY_MAX_CHARS);
}

export function boundText(lines: readonly string[]): string {
  const text = lines.join('\n');
  if (text.length <= TEXT_MAX_CHARS) return text;
  const room = TEXT_MAX_CHARS - TRUNCATED.length - 1;
  const lastBreak = text.lastIndexOf('\n', room);
  // Cut at a line when one ends in the room; a single huge line is cut where the room ends.
  const kept = lastBreak > 0 ? text.slice(0, lastBreak) : text.slice(0, room);
  return `${kept}\n${TRUNCATED}`;
}

function boundNotes(notes: readonly string[]): string[] {
  const bounded = notes.map((note) => cut(note.replace(/\s+/g, ' ').trim(), NOTE_MAX_CHARS));
  if (bounded.length <= NOTES_MAX) return bounded;
  const shown = bounded.slice(0, NOTES_MAX - 1);
  return [...shown, `… and ${bounded.length - shown.length} more notes not shown`];
}

/** Cuts to at most `max` characters, ending in '…' when cut. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Never leave half of a surrogate pair behind.
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}
