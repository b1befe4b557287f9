/**
 * Compiles masking rules (ApprovalPolicy `masking`) and a target's `maskingProfile` into
 * wire-free compiled rules; each protocol builds its masker from them (PostgreSQL:
 * protocols/postgres/masking/row-masker.ts in the sidecar). Every problem is reported with the rule, the field and how to fix it, and the rule is
 * dropped; the operator puts the errors in the policy's status and never serves a policy that
 * has any, so a dropped rule is never silently missing from a running sidecar.
 *
 * Several policies can apply to one target. The caller passes one set per policy, in the order it
 * evaluates policies (the same order as for the policies' rules); rules keep their order within a
 * set, and the profile's rule comes last, so an author's explicit rule beats the profile default.
 * Across the flattened list: all rules that match apply, the first decides the strategy.
 */
import type { MaskingRule, TargetSpec } from '@airlock/crds';
import { compileGlob, compileTableColumn, type NameMatcher, type TableColumnMatcher } from './column-globs.ts';
import type { CompiledRule } from './compiled-rule.ts';
import { compilePattern } from './custom-pattern.ts';
import { DETECTOR_NAMES, type DetectorName, DetectorSet, isDetectorName } from './detectors.ts';
import type { SpanFinder } from './span-finder.ts';
import type { Strategy } from './strategies.ts';

export type MaskingProfile = NonNullable<TargetSpec['maskingProfile']>;

/** The masking rules of one policy. */
export interface MaskingRuleSet {
  /** Qualifies rule names in records and errors: "policy/rule". Rule names are unique only within a policy. */
  readonly policyName?: string;
  readonly rules: readonly MaskingRule[];
  /** The value of the policy's `masking.hashKeySecretRef`; strategy hash needs it. */
  readonly hashKey?: string | Uint8Array;
}

export interface MaskingInput {
  readonly sets: readonly MaskingRuleSet[];
  readonly profile?: MaskingProfile;
}

/** One problem in one rule; the shape of ApprovalPolicy `status.ruleErrors`, plus the policy. */
export interface MaskingRuleError {
  readonly policy?: string;
  readonly rule: string;
  /** Field path within the rule: `patterns[1]`, `strategy`, ... */
  readonly field: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

export interface CompiledMaskingRules {
  /** In the order they apply: the first rule that selects a value decides its strategy. */
  readonly rules: readonly CompiledRule[];
  readonly errors: MaskingRuleError[];
}

/** A short key can be guessed, and whoever has the key can test guessed values against hashed ones. */
export const MIN_HASH_KEY_BYTES = 16;

const STRATEGIES: readonly string[] = ['redact', 'partial', 'hash', 'null'];

const PROFILE_DETECTORS: Record<MaskingProfile, readonly DetectorName[]> = {
  none: [],
  pii: ['email', 'cardNumber', 'nationalId'],
  secrets: ['apiKey', 'jwt', 'privateKey'],
  strict: ['email', 'cardNumber', 'nationalId', 'apiKey', 'jwt', 'privateKey'],
};

export function compileMaskingRules(input: MaskingInput): CompiledMaskingRules {
  const detectors = new DetectorSet();
  const errors: MaskingRuleError[] = [];
  const rules: CompiledRule[] = [];
  for (const set of input.sets) {
    // Copied: the caller may reuse or zero its buffer.
    const key =
      set.hashKey === undefined ? undefined : typeof set.hashKey === 'string' ? Buffer.from(set.hashKey, 'utf8') : Buffer.from(set.hashKey);
    const names = new Set<string>();
    for (const rule of set.rules) {
      const problems: { field: string; message: string }[] = [];
      const compiled = compileRule(rule, key, detectors, problems);
      const name = typeof rule.name === 'string' ? rule.name : '';
      if (name !== '' && names.has(name))
        problems.push({ field: 'name', message: `another rule in this policy is named "${name}"; rule names must be unique in a policy` });
      names.add(name);
      for (const problem of problems)
        errors.push({ ...(set.policyName === undefined ? {} : { policy: set.policyName }), rule: name, ...problem });
      if (problems.length === 0 && compiled)
        rules.push({ ...compiled, name: set.policyName === undefined ? name : `${set.policyName}/${name}` });
    }
  }
  const profile = input.profile ?? 'none';
  // hasOwn: the profile comes from a resource, and "constructor" must not find Object's.
  const profileDetectors = Object.hasOwn(PROFILE_DETECTORS, profile) ? PROFILE_DETECTORS[profile] : undefined;
  if (profileDetectors === undefined) {
    errors.push({
      rule: `profile:${profile}`,
      field: 'maskingProfile',
      message: `unknown masking profile; use one of ${Object.keys(PROFILE_DETECTORS).join(', ')}`,
    });
  } else if (profileDetectors.length > 0) {
    rules.push({
      name: `profile:${profile}`,
      strategy: { kind: 'redact' },
      columns: [],
      tableColumns: [],
      finders: profileDetectors.map((name) => detectors.get(name)),
    });
  }
  return { rules, errors };
}

type Problems = { field: string; message: string }[];

/** Checks every field, so one pass reports all of a rule's problems. Undefined when a problem was pushed. */
function compileRule(
  rule: MaskingRule,
  key: Buffer | undefined,
  detectors: DetectorSet,
  problems: Problems,
): Omit<CompiledRule, 'name'> | undefined {
  if (typeof rule.name !== 'string' || rule.name === '')
    problems.push({
      field: 'name',
      message: 'the rule has no name; give it one, unique in the policy (it is recorded with every value it masks)',
    });
  const strategy = compileStrategy(rule, key, problems);
  const columns = compileColumns(rule.columns ?? [], problems);
  const tableColumns = compileTableColumns(rule.tableColumns ?? [], problems);
  const finders = [...compileDetectors(rule.detectors ?? [], detectors, problems), ...compilePatterns(rule.patterns ?? [], problems)];
  const selectors =
    (rule.columns?.length ?? 0) + (rule.tableColumns?.length ?? 0) + (rule.detectors?.length ?? 0) + (rule.patterns?.length ?? 0);
  if (selectors === 0)
    problems.push({
      field: 'columns',
      message: 'the rule selects nothing; set at least one of columns, tableColumns, detectors or patterns',
    });
  if (problems.length > 0 || strategy === undefined) return undefined;
  return { strategy, columns, tableColumns, finders };
}

function compileStrategy(rule: MaskingRule, key: Buffer | undefined, problems: Problems): Strategy | undefined {
  // Absent means redact: the strategy that reveals least.
  const kind: string = rule.strategy ?? 'redact';
  if (!STRATEGIES.includes(kind)) {
    problems.push({ field: 'strategy', message: `unknown strategy "${kind}"; use one of ${STRATEGIES.join(', ')}` });
    return undefined;
  }
  const keepFirst = checkCount(rule.keepFirst, 'keepFirst', problems);
  const keepLast = checkCount(rule.keepLast, 'keepLast', problems);
  switch (kind) {
    case 'partial':
      if (rule.keepFirst === undefined && rule.keepLast === undefined) {
        problems.push({
          field: 'keepFirst',
          message: 'strategy partial needs keepFirst and/or keepLast (characters to keep); to hide everything use redact',
        });
        return undefined;
      }
      if (keepFirst === undefined || keepLast === undefined) return undefined;
      if (keepFirst + keepLast === 0) {
        problems.push({
          field: 'keepFirst',
          message: 'strategy partial with keepFirst and keepLast 0 keeps nothing; set one above 0, or use redact',
        });
        return undefined;
      }
      return { kind: 'partial', keepFirst, keepLast };
    case 'hash':
      if (key === undefined || key.length === 0) {
        problems.push({
          field: 'strategy',
          message: 'strategy hash needs a key: set masking.hashKeySecretRef in the policy, or use redact',
        });
        return undefined;
      }
      if (key.length < MIN_HASH_KEY_BYTES) {
        problems.push({
          field: 'strategy',
          message: `the hash key in masking.hashKeySecretRef has ${key.length} bytes; use at least ${MIN_HASH_KEY_BYTES} random bytes (e.g. openssl rand -base64 32)`,
        });
        return undefined;
      }
      return { kind: 'hash', key };
    case 'null':
      return { kind: 'null' };
    default:
      return { kind: 'redact' };
  }
}

function checkCount(value: number | undefined, field: string, problems: Problems): number | undefined {
  if (value === undefined) return 0;
  if (Number.isInteger(value) && value >= 0) return value;
  problems.push({ field, message: `${field} must be a whole number of characters, 0 or more (got ${String(value)})` });
  return undefined;
}

function compileColumns(globs: readonly string[], problems: Problems): NameMatcher[] {
  const out: NameMatcher[] = [];
  globs.forEach((glob, i) => {
    if (typeof glob !== 'string' || glob === '') {
      problems.push({ field: `columns[${i}]`, message: 'empty column name; write a name or a glob such as *_email' });
    } else if (glob.includes('.')) {
      // "customers.email" would never match a bare column name: say where it belongs rather than mask nothing.
      problems.push({
        field: `columns[${i}]`,
        message: `"${glob}" has a dot, but columns match bare column names; use tableColumns with schema.table.column (e.g. *.${glob.split('.').at(-2)}.${glob.split('.').at(-1)})`,
      });
    } else out.push(compileGlob(glob));
  });
  return out;
}

function compileTableColumns(selectors: readonly string[], problems: Problems): TableColumnMatcher[] {
  const out: TableColumnMatcher[] = [];
  selectors.forEach((selector, i) => {
    const matcher = typeof selector === 'string' ? compileTableColumn(selector) : null;
    if (matcher) out.push(matcher);
    else
      problems.push({
        field: `tableColumns[${i}]`,
        message: `"${String(selector)}" is not schema.table.column; write three dot-separated names or globs, e.g. public.customers.email or billing.*.card_number`,
      });
  });
  return out;
}

function compileDetectors(names: readonly string[], detectors: DetectorSet, problems: Problems): SpanFinder[] {
  const out: SpanFinder[] = [];
  names.forEach((name, i) => {
    if (isDetectorName(name)) out.push(detectors.get(name));
    else problems.push({ field: `detectors[${i}]`, message: `unknown detector "${name}"; use one of ${DETECTOR_NAMES.join(', ')}` });
  });
  return out;
}

function compilePatterns(sources: readonly string[], problems: Problems): SpanFinder[] {
  const out: SpanFinder[] = [];
  sources.forEach((source, i) => {
    const result = typeof source === 'string' ? compilePattern(source) : { ok: false as const, message: 'the pattern must be a string' };
    if (result.ok) out.push(result.finder);
    else problems.push({ field: `patterns[${i}]`, message: result.message });
  });
  return out;
}
