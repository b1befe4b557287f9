/**
 * A stream segment that holds terminal escape sequences (terminal-escapes.ts), masked as if the
 * sequences were not there: the finders read the segment's text with the sequences taken out, and
 * each masked span is written back over the original bytes. Escape sequences that stood inside a
 * masked span are kept and written right after its replacement, in their order, so the terminal
 * is left in the state the host meant (a swallowed `\x1b[m` would leave the rest of the screen
 * red); what they reveal is where the colours changed inside the secret, not what it was. The
 * payload of a string sequence (a window title, a hyperlink) is searched as a text of its own,
 * with no context, and masked in place. Only segments that hold an ESC byte (or start inside a
 * sequence) come here; others take the stream masker's plain path.
 */
import { type SegmentEdit, searchSegment } from './segment-search.ts';
import { measure, newFeatures } from './span-finder.ts';
import type { StreamMaskingPlan } from './stream-masking-plan.ts';
import { ByteRole, ESC, type TerminalEscapeTracker } from './terminal-escapes.ts';

export interface EscapedSegment {
  /** The segment's text bytes, in order: what the finders read. */
  readonly visible: Buffer;
  /** Where each text byte is in the stream's bytes. */
  readonly visibleAt: Int32Array;
  /** [start, end) pairs: the string payloads in the stream's bytes. A payload cut by the segment's end ends there. */
  readonly payloads: readonly number[];
}

/** Reads `data[start, end)` with `tracker` (which then stands at `end`) and takes the sequences out. */
export function splitEscapes(tracker: TerminalEscapeTracker, data: Buffer, start: number, end: number): EscapedSegment {
  const visible = Buffer.allocUnsafe(end - start);
  const visibleAt = new Int32Array(end - start);
  const payloads: number[] = [];
  let n = 0;
  let payloadStart = -1;
  let i = start;
  while (i < end) {
    if (!tracker.inSequence) {
      // Text up to the next ESC is copied as one run.
      let next = data.indexOf(ESC, i);
      if (next < 0 || next > end) next = end;
      data.copy(visible, n, i, next);
      for (; i < next; i++) visibleAt[n++] = i;
      if (i === end) break;
    }
    const role = tracker.step(data[i]!);
    if (role === ByteRole.Payload) {
      if (payloadStart < 0) payloadStart = i;
    } else {
      if (payloadStart >= 0) payloads.push(payloadStart, i);
      payloadStart = -1;
      if (role === ByteRole.Text) {
        visible[n] = data[i]!;
        visibleAt[n++] = i;
      }
    }
    i++;
  }
  if (payloadStart >= 0) payloads.push(payloadStart, end);
  return { visible: visible.subarray(0, n), visibleAt: visibleAt.subarray(0, n), payloads };
}

/** The masked spans of each payload, as edits of the stream's bytes, in order. */
export function searchPayloads(
  plan: StreamMaskingPlan,
  data: Buffer,
  payloads: readonly number[],
  onMasked: (rule: string) => void,
): SegmentEdit[] {
  const edits: SegmentEdit[] = [];
  if (payloads.length === 0) return edits;
  const features = newFeatures();
  const candidates = plan.finders.map(() => false);
  for (let k = 0; k + 1 < payloads.length; k += 2) {
    const start = payloads[k]!;
    const end = payloads[k + 1]!;
    measure(data, start, end, features);
    let any = false;
    plan.finders.forEach(({ finder }, f) => {
      candidates[f] = finder.mayMatch(features, data, start, end);
      any ||= candidates[f]!;
    });
    if (!any) continue;
    const found = searchSegment(plan, { bytes: data.subarray(start, end), contextLength: 0, candidates, keyBlockOpen: false }, onMasked);
    for (const edit of found.edits) edits.push({ start: start + edit.start, end: start + edit.end, replacement: edit.replacement });
  }
  return edits;
}

/**
 * `data[start, end)` with the text's edits (`screen`, offsets into `segment.visible`) and the
 * payloads' edits (`payloads`, offsets into `data`) applied; every other byte as it came.
 */
export function spliceEscaped(
  data: Buffer,
  start: number,
  end: number,
  segment: EscapedSegment,
  screen: readonly SegmentEdit[],
  payloads: readonly SegmentEdit[],
): Buffer {
  const { visibleAt } = segment;
  const out: Buffer[] = [];
  let nextPayload = 0;
  /** Copies data[from, to), with the payload edits inside it. */
  const copy = (from: number, to: number): void => {
    while (nextPayload < payloads.length && payloads[nextPayload]!.start < to) {
      const edit = payloads[nextPayload++]!;
      out.push(data.subarray(from, edit.start), edit.replacement);
      from = edit.end;
    }
    if (to > from) out.push(data.subarray(from, to));
  };
  let copied = start;
  for (const edit of screen) {
    const spanStart = visibleAt[edit.start]!;
    copy(copied, spanStart);
    out.push(edit.replacement);
    // The sequences between the span's text bytes, kept after the replacement.
    for (let k = edit.start; k + 1 < edit.end; k++) {
      const gapStart = visibleAt[k]! + 1;
      if (visibleAt[k + 1]! > gapStart) copy(gapStart, visibleAt[k + 1]!);
    }
    copied = visibleAt[edit.end - 1]! + 1;
  }
  copy(copied, end);
  return Buffer.concat(out);
}
