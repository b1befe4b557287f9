/** What a masking rule means, wire-free: compile rules once; each protocol applies them to its own values (byte streams: streamMaskingFor). */
export {
  type CompiledMaskingRules,
  compileMaskingRules,
  type MaskingInput,
  type MaskingProfile,
  type MaskingRuleError,
  type MaskingRuleSet,
  MIN_HASH_KEY_BYTES,
} from './compile.ts';
export { type CompiledRule, type RankedFinder, rankFinders } from './compiled-rule.ts';
export { DETECTOR_NAMES, type DetectorName } from './detectors.ts';
export { measure, newFeatures, type SpanFinder, type ValueFeatures } from './span-finder.ts';
export { mergeSpans, type RuleSpan, rewriteSpans } from './span-rewrite.ts';
export { hash, maskSpan, maskWhole, REDACTED, type Strategy, spanStrategyName } from './strategies.ts';
export type { StreamMasker } from './stream-masker.ts';
export { DEFAULT_MAX_HOLD_BYTES, type StreamMaskingOptions, type StreamMaskingPlan, streamMaskingFor } from './stream-masking-plan.ts';
