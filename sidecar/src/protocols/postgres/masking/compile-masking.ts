/**
 * PostgreSQL's masker from the policy's masking rules: the rules compile wire-free in the
 * contracts package (the operator checks them with the same code); the RuleMasker applies them to
 * DataRow messages.
 */
import { type CompiledRule, compileMaskingRules, type MaskingInput, type MaskingRuleError } from '@airlock/contracts/masking';
import { type Masker, RuleMasker } from './row-masker.ts';

export interface CompiledMasking {
  readonly masker: Masker;
  readonly errors: MaskingRuleError[];
}

export function compileMasking(input: MaskingInput): CompiledMasking {
  const { rules, errors } = compileMaskingRules(input);
  return { masker: maskerFor(rules), errors };
}

export const maskerFor = (rules: readonly CompiledRule[]): Masker => new RuleMasker(rules);
