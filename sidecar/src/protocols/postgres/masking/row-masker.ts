/**
 * Applies compiled masking rules to DataRow messages. Work is split by how often it happens:
 * per RowDescription `planFor` decides, once, what each column needs (whole-value rule, span
 * scan, or nothing); per DataRow `maskRow` walks the field lengths in place and touches only the
 * fields the plan names. A row with nothing to mask is returned as the same Buffer, uncopied.
 *
 * Rule precedence. A column selector (columns, tableColumns) masks the whole value, and the first
 * rule in policy order whose selector matches the column decides the strategy. Span selectors
 * (detectors, patterns) run on the other columns; every span any rule finds is masked, and where
 * spans overlap the first rule decides. A whole-value mask already hides every span, so span
 * rules are not run on columns a column rule selected.
 */

import type { CompiledRule } from '@airlock/contracts/masking';
import {
  maskSpan,
  maskWhole,
  measure,
  mergeSpans,
  newFeatures,
  type RankedFinder,
  REDACTED,
  type RuleSpan,
  rankFinders,
  rewriteSpans,
  spanStrategyName,
  type ValueFeatures,
} from '@airlock/contracts/masking';
import { encodeDataRow } from '../wire/backend-messages.ts';
import { ProtocolError } from '../wire/errors.ts';
import { BACKEND } from '../wire/message-codes.ts';
import { encodeFieldText, encodeReplacement, type FieldCodec, fieldCodec, isJson, textOffset } from './field-codec.ts';

/** A result column as the masker needs it; the caller resolves schema and table from the RowDescription's table OID. */
export interface MaskColumn {
  readonly name: string;
  /** Unknown (expression column, or OID not resolved): tableColumns rules match on the column part alone. */
  readonly schema?: string;
  readonly table?: string;
  readonly typeOid: number;
  readonly format: 0 | 1;
}

/** One masked field, for the session record and metrics. */
export interface MaskedField {
  readonly column: string;
  readonly index: number;
  /** Qualified rule name: "policy/rule" or "profile:<profile>". */
  readonly rule: string;
  /** The strategy applied: for a span, null is applied as redact. */
  readonly strategy: string;
}

export interface MaskRowResult {
  /** The input Buffer itself when nothing changed; otherwise a new, correctly length-prefixed DataRow. */
  readonly frame: Buffer;
  readonly masked: readonly MaskedField[];
  /** Binary-format fields set to NULL because their type cannot be decoded to mask or scan them. Not listed in `masked`. */
  readonly nulledBinary: number;
}

export interface RowMaskPlan {
  /** Column indexes a column rule (columns, tableColumns) masks whole. */
  readonly maskedColumns: readonly number[];
  /** Takes a whole DataRow message: type byte 'D', int32 length, int16 count, fields. */
  maskRow(frame: Buffer): MaskRowResult;
}

export interface Masker {
  /** Null when nothing can be masked in these columns, so the proxy forwards rows without looking. */
  planFor(columns: readonly MaskColumn[]): RowMaskPlan | null;
}

type ColumnAction =
  | { readonly kind: 'pass' }
  | { readonly kind: 'whole'; readonly rule: CompiledRule; readonly codec: FieldCodec }
  | { readonly kind: 'scan'; readonly codec: FieldCodec };

const PASS: ColumnAction = { kind: 'pass' };
const NOTHING_MASKED: readonly MaskedField[] = Object.freeze([]);

export class RuleMasker implements Masker {
  readonly #rules: readonly CompiledRule[];
  readonly #finders: readonly RankedFinder[];

  constructor(rules: readonly CompiledRule[]) {
    this.#rules = rules;
    this.#finders = rankFinders(rules);
  }

  planFor(columns: readonly MaskColumn[]): RowMaskPlan | null {
    const actions = columns.map((column) => this.#actionFor(column));
    if (this.#finders.length === 0 && actions.every((action) => action.kind === 'pass')) return null;
    return new RowPlan(columns, actions, this.#rules, this.#finders);
  }

  #actionFor(column: MaskColumn): ColumnAction {
    const name = column.name.toLowerCase();
    const schema = column.schema?.toLowerCase();
    const table = column.table?.toLowerCase();
    const codec = fieldCodec(column.typeOid, column.format);
    for (const rule of this.#rules) {
      const selected =
        rule.columns.some((matches) => matches(name)) ||
        rule.tableColumns.some(
          // Unknown schema or table matches: masking too much beats leaking a column whose origin we could not resolve.
          (m) => m.column(name) && (schema === undefined || m.schema(schema)) && (table === undefined || m.table(table)),
        );
      if (selected) return { kind: 'whole', rule, codec };
    }
    return this.#finders.length > 0 ? { kind: 'scan', codec } : PASS;
  }
}

class RowPlan implements RowMaskPlan {
  readonly maskedColumns: readonly number[];
  readonly #columns: readonly MaskColumn[];
  readonly #actions: readonly ColumnAction[];
  readonly #rules: readonly CompiledRule[];
  readonly #finders: readonly RankedFinder[];
  // Per-row scratch, reused: maskRow is synchronous, so one row at a time uses them.
  readonly #starts: Int32Array;
  readonly #lengths: Int32Array;
  readonly #features: ValueFeatures = newFeatures();
  readonly #sink: number[] = [];
  /** undefined: field unchanged; null: SQL NULL. Cleared after each row. */
  readonly #replacements: (Buffer | null | undefined)[];

  constructor(
    columns: readonly MaskColumn[],
    actions: readonly ColumnAction[],
    rules: readonly CompiledRule[],
    finders: readonly RankedFinder[],
  ) {
    this.#columns = columns;
    this.#actions = actions;
    this.#rules = rules;
    this.#finders = finders;
    this.#starts = new Int32Array(columns.length);
    this.#lengths = new Int32Array(columns.length);
    this.#replacements = new Array(columns.length).fill(undefined);
    this.maskedColumns = Object.freeze(actions.flatMap((action, index) => (action.kind === 'whole' ? [index] : [])));
  }

  maskRow(frame: Buffer): MaskRowResult {
    this.#index(frame);
    const replacements = this.#replacements;
    let changed = false;
    let masked: MaskedField[] | undefined;
    let nulledBinary = 0;
    for (let i = 0; i < this.#actions.length; i++) {
      const action = this.#actions[i]!;
      const length = this.#lengths[i]!;
      if (action.kind === 'pass' || length < 0) continue;
      const start = this.#starts[i]!;
      if (action.kind === 'whole' && action.rule.strategy.kind === 'null') {
        replacements[i] = null;
        changed = true;
        masked = this.#record(masked, i, action.rule.name, 'null');
        continue;
      }
      const textStart = textOffset(action.codec, frame, start, length);
      if (textStart < 0) {
        replacements[i] = null;
        changed = true;
        nulledBinary++;
        continue;
      }
      const end = start + length;
      if (action.kind === 'whole') {
        const replacement = maskWhole(action.rule.strategy, frame.subarray(textStart, end));
        replacements[i] = replacement === null ? null : encodeReplacement(action.codec, replacement);
        changed = true;
        masked = this.#record(masked, i, action.rule.name, action.rule.strategy.kind);
        continue;
      }
      const outcome = this.#scan(frame, textStart, end, action.codec);
      if (outcome === undefined) continue;
      replacements[i] = outcome.value;
      changed = true;
      for (const [rule, strategy] of outcome.rules) masked = this.#record(masked, i, rule, strategy);
    }
    if (!changed) return { frame, masked: NOTHING_MASKED, nulledBinary: 0 };
    const values: (Uint8Array | null)[] = [];
    for (let i = 0; i < this.#actions.length; i++) {
      const length = this.#lengths[i]!;
      const start = this.#starts[i]!;
      const replacement = replacements[i];
      values.push(replacement !== undefined ? replacement : length < 0 ? null : frame.subarray(start, start + length));
      replacements[i] = undefined;
    }
    return { frame: encodeDataRow(values), masked: masked ?? NOTHING_MASKED, nulledBinary };
  }

  // A method, not a closure in maskRow: rows with nothing to mask allocate nothing.
  #record(masked: MaskedField[] | undefined, index: number, rule: string, strategy: string): MaskedField[] {
    const list = masked ?? [];
    list.push({ column: this.#columns[index]!.name, index, rule, strategy });
    return list;
  }

  /** Runs the span finders over one field; undefined when nothing was found. */
  #scan(frame: Buffer, start: number, end: number, codec: FieldCodec): { value: Buffer | null; rules: Map<string, string> } | undefined {
    const features = measure(frame, start, end, this.#features);
    let candidate = false;
    for (const { finder } of this.#finders) candidate ||= finder.mayMatch(features, frame, start, end);
    if (!candidate) return undefined;
    const text = frame.toString('utf8', start, end);
    const sink = this.#sink;
    const spans: RuleSpan[] = [];
    for (const { finder, rule } of this.#finders) {
      if (!finder.mayMatch(features, frame, start, end)) continue;
      sink.length = 0;
      finder.findSpans(text, sink);
      for (let k = 0; k + 1 < sink.length; k += 2) spans.push({ start: sink[k]!, end: sink[k + 1]!, rule });
    }
    if (spans.length === 0) return undefined;
    const merged = mergeSpans(spans);
    const rules = new Map<string, string>();
    const only = merged.length === 1 ? merged[0]! : undefined;
    const onlyRule = only && this.#rules[only.rule]!;
    // A span that is the whole value can honour strategy null after all.
    if (only && onlyRule && only.start === 0 && only.end === text.length && onlyRule.strategy.kind === 'null') {
      rules.set(onlyRule.name, 'null');
      return { value: null, rules };
    }
    const json = isJson(codec);
    let out = rewriteSpans(
      text,
      merged,
      (span, original) => {
        const rule = this.#rules[span.rule]!;
        rules.set(rule.name, spanStrategyName(rule.strategy));
        return maskSpan(rule.strategy, original);
      },
      json,
    );
    // A pattern that matched across a JSON string's quotes leaves invalid JSON; hide the whole value then.
    if (json && !parses(out)) {
      out = JSON.stringify(REDACTED);
      for (const name of rules.keys()) rules.set(name, 'redact');
    }
    return { value: encodeFieldText(codec, out), rules };
  }

  /**
   * Fills #starts/#lengths from the frame without copying or allocating: every DataRow passes
   * through here, so the codec's dataRowFields (an array of views per row) is too costly. Same
   * checks as the codec, plus the field count must match the RowDescription.
   */
  #index(frame: Buffer): void {
    const count = this.#actions.length;
    if (frame.length < 7 || frame[0] !== BACKEND.DataRow) throw malformed('not a DataRow message');
    if (frame.readInt32BE(1) !== frame.length - 1) throw malformed(`length ${frame.readInt32BE(1)} but ${frame.length - 1} bytes`);
    const fields = frame.readInt16BE(5);
    if (fields !== count) throw malformed(`${fields} fields but the RowDescription has ${count} columns`);
    let pos = 7;
    for (let i = 0; i < count; i++) {
      if (pos + 4 > frame.length) throw malformed(`field ${i + 1} is truncated`);
      const length = frame.readInt32BE(pos);
      pos += 4;
      if (length < -1) throw malformed(`field ${i + 1} has length ${length}`);
      this.#starts[i] = pos;
      this.#lengths[i] = length;
      if (length > 0) pos += length;
      if (pos > frame.length) throw malformed(`field ${i + 1} is truncated`);
    }
    if (pos !== frame.length) throw malformed(`${frame.length - pos} bytes after the last field`);
  }
}

function malformed(detail: string): ProtocolError {
  return new ProtocolError('MessageMalformed', `DataRow: ${detail}`);
}

function parses(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}
