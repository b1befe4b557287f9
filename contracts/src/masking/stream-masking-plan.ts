/**
 * What the stream maskers of one session share, built once from its compiled masking rules: the
 * span finders (detectors and custom patterns) ranked by the first rule that names them, as in
 * PostgreSQL's masker, and each finder's cut profile. Column selectors select nothing in a stream.
 */
import { type CompiledRule, type RankedFinder, rankFinders } from './compiled-rule.ts';
import { type CutProfile, cutProfileOf } from './stream-cut-profile.ts';
import { StreamMasker } from './stream-masker.ts';

export interface StreamMaskingOptions {
  /** Most bytes held back waiting for the rest of a possible match (default 4096, at least 16). */
  readonly maxHoldBytes?: number;
}

export const DEFAULT_MAX_HOLD_BYTES = 4096;

export class StreamMaskingPlan {
  readonly rules: readonly CompiledRule[];
  readonly finders: readonly RankedFinder[];
  readonly profiles: readonly CutProfile[];
  /** The privateKey detector, whose blocks a forced cut does not end. */
  readonly keyFinder: RankedFinder | undefined;
  readonly maxHoldBytes: number;

  constructor(rules: readonly CompiledRule[], finders: readonly RankedFinder[], maxHoldBytes: number) {
    this.rules = rules;
    this.finders = finders;
    this.profiles = finders.map(({ finder }) => cutProfileOf(finder));
    // A custom pattern labelled "privateKey" never finds a span starting with a BEGIN line, so it cannot open a block.
    this.keyFinder = finders.find(({ finder }) => finder.label === 'privateKey');
    this.maxHoldBytes = maxHoldBytes;
  }

  /** A masker for one stream: stdout and stderr are two. */
  open(): StreamMasker {
    return new StreamMasker(this);
  }
}

/**
 * The plan for masking streams under `rules` (a session's compiled masking rules), or undefined
 * when no rule has a detector or pattern: then streams are forwarded untouched and cost nothing.
 */
export function streamMaskingFor(
  rules: readonly CompiledRule[] | undefined,
  options: StreamMaskingOptions = {},
): StreamMaskingPlan | undefined {
  const maxHoldBytes = options.maxHoldBytes ?? DEFAULT_MAX_HOLD_BYTES;
  // A private key's BEGIN line must fit, or no key block could be told from a forced cut.
  if (!Number.isInteger(maxHoldBytes) || maxHoldBytes < 16)
    throw new RangeError(`maxHoldBytes must be a whole number of at least 16, got ${maxHoldBytes}`);
  if (!rules) return undefined;
  const finders = rankFinders(rules);
  return finders.length === 0 ? undefined : new StreamMaskingPlan(rules, finders, maxHoldBytes);
}
