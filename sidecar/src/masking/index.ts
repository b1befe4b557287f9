/** Response masking: compile rules once, plan per RowDescription, mask per DataRow. */
export {
  type CompiledMasking,
  compileMasking,
  type MaskingInput,
  type MaskingProfile,
  type MaskingRuleError,
  type MaskingRuleSet,
  MIN_HASH_KEY_BYTES,
} from './compile.ts';
export { DETECTOR_NAMES, type DetectorName } from './detectors.ts';
export type { MaskColumn, MaskedField, Masker, MaskRowResult, RowMaskPlan } from './row-masker.ts';
export { REDACTED } from './strategies.ts';
