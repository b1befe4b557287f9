/**
 * What the policy checks need to know about a rule's match, per protocol: which protocol it is
 * for, which Target type serves that protocol, and each field's shape. The shapes are what the
 * shadowing proof (rule-shadowing.ts) may rely on, so each one states only what the sidecar's
 * matchers guarantee, and nothing about protocols whose matchers do not exist yet beyond what
 * the CRD documents.
 */
import { MATCH_SECTIONS, type MatchSection, TARGET_TYPE_OF_MATCH_SECTION, type TargetType } from '@airlock/contracts/targets';
import type { PolicyRule, RuleMatch } from '@airlock/crds';

export type Protocol = MatchSection;
export type { TargetType };

export const PROTOCOLS: readonly Protocol[] = MATCH_SECTIONS;

/** The Target type whose sessions a rule of each protocol decides. */
export const TARGET_TYPE_OF: Readonly<Record<Protocol, TargetType>> = TARGET_TYPE_OF_MATCH_SECTION;

/** How two values of a list field are known to match the same commands. */
export type ValueComparison =
  /** An enumeration (kinds, methods, verbs): equal values match the same, different ones never overlap. */
  | 'exact'
  /** SQL command tags, case-insensitive; for deny and approval a pattern also matches the longer tags it is the first words of (TRUNCATE ⊇ TRUNCATE TABLE), for allow only the whole tag. */
  | 'commandTag'
  /** Name globs: equal patterns (case-insensitive) match the same names; a pattern of only `*` matches every name. */
  | 'nameGlob'
  /** Globs of protocols whose matchers are not settled: only the very same pattern is known to match the same. */
  | 'opaqueGlob';

export interface ListField {
  readonly shape: 'list';
  readonly comparison: ValueComparison;
  /**
   * Every command has at least one value of this facet. Only then can an "any" rule (deny,
   * requireApproval) be proven to match every command an "every" rule (allow) matches: an allow
   * rule also matches, vacuously, a command with no value of the facet.
   */
  readonly neverEmpty: boolean;
  /** An allow rule reads the field even when it leaves it unset (see READ_BY_ALLOW_WHEN_UNSET). */
  readonly readByAllowWhenUnset?: boolean;
}

export interface FlagField {
  readonly shape: 'flag';
  /** An allow rule reads the field even when it leaves it unset, and reads `true` differently from a deny rule. */
  readonly readByAllowWhenUnset?: boolean;
}

export type FieldShape = ListField | FlagField;

const list = (comparison: ValueComparison, neverEmpty = false): ListField => ({ shape: 'list', comparison, neverEmpty });

/**
 * SSH allow rules cover only what they say (contracts ssh-match.ts): without requestTypes only exec
 * (subsystem when subsystems is set), without writes no redirection that writes a file, without
 * `sudo: true` nothing run as another user, without directions or paths no file operation; and
 * Kubernetes ones (contracts kubernetes-match.ts): without verbs only reads, without resources no
 * connection (exec, proxy...), without nonResourceURLs no non-resource request but discovery. So
 * these fields constrain an allow rule also when unset, and `sudo: true` widens an allow rule
 * while it narrows a deny rule.
 */
const allowDefault = <F extends FieldShape>(field: F): F => ({ ...field, readByAllowWhenUnset: true });

/**
 * Each protocol's match fields. Only SQL statement kinds are documented never to be empty (a
 * statement nothing else fits is `unknown`); commands, objects and functions may be absent.
 */
export const MATCH_FIELDS: { readonly [P in Protocol]: Readonly<Record<keyof NonNullable<RuleMatch[P]>, FieldShape>> } = {
  sql: {
    statementKinds: list('exact', true),
    commands: list('commandTag'),
    objects: list('nameGlob'),
    functions: list('nameGlob'),
    writesWithoutWhere: { shape: 'flag' },
  },
  ssh: {
    requestTypes: allowDefault(list('exact')),
    programs: list('opaqueGlob'),
    arguments: list('opaqueGlob'),
    subsystems: allowDefault(list('opaqueGlob')),
    writes: allowDefault(list('opaqueGlob')),
    sudo: allowDefault<FieldShape>({ shape: 'flag' }),
    // Without them an allow rule covers no file operation; with them, nothing but file operations and subsystem opens.
    directions: allowDefault(list('exact')),
    paths: allowDefault(list('opaqueGlob')),
    // Without them an allow rule covers no port forwarding; with them, nothing but port forwardings.
    destinations: allowDefault(list('opaqueGlob')),
  },
  http: { methods: list('exact'), paths: list('opaqueGlob') },
  kubernetes: {
    // Without verbs an allow rule covers get, list and watch only (contracts kubernetes-match.ts).
    verbs: allowDefault(list('exact')),
    apiGroups: list('exact'),
    // Without resources an allow rule still covers no exec, attach, portforward, proxy, ephemeralcontainers or token.
    resources: allowDefault(list('opaqueGlob')),
    namespaces: list('opaqueGlob'),
    names: list('opaqueGlob'),
    // Without them an allow rule covers no non-resource request but discovery reads; with them, nothing else.
    nonResourceURLs: allowDefault(list('opaqueGlob')),
  },
};

/** A rule's protocol and the fields its match sets; no protocol means an empty match (every command). */
export interface MatchView {
  readonly protocol?: Protocol;
  /** Field name to value, for the fields that are set. An empty list is kept: it is set, but constrains nothing today. */
  readonly fields: ReadonlyMap<string, readonly string[] | boolean>;
}

export function viewMatch(match: RuleMatch): MatchView {
  for (const protocol of PROTOCOLS) {
    const body = match[protocol] as Record<string, unknown> | undefined;
    if (body === undefined) continue;
    const fields = new Map<string, readonly string[] | boolean>();
    for (const name of Object.keys(MATCH_FIELDS[protocol])) {
      const value = body[name];
      if (typeof value === 'boolean') fields.set(name, value);
      else if (Array.isArray(value)) fields.set(name, value.map(String));
    }
    return { protocol, fields };
  }
  return { fields: new Map() };
}

/** The fields of a protocol an allow rule reads also when it leaves them unset. */
export function fieldsReadByAllowWhenUnset(protocol: Protocol): string[] {
  return Object.entries(MATCH_FIELDS[protocol] as Readonly<Record<string, FieldShape>>)
    .filter(([, shape]) => shape.readByAllowWhenUnset === true)
    .map(([name]) => name);
}

export function fieldShape(protocol: Protocol, name: string): FieldShape | undefined {
  return (MATCH_FIELDS[protocol] as Readonly<Record<string, FieldShape>>)[name];
}

/** Fields that constrain what the rule matches: set, and not an empty list. */
export function constrainingFields(rule: Pick<PolicyRule, 'match'>): string[] {
  return [...viewMatch(rule.match).fields].filter(([, value]) => typeof value === 'boolean' || value.length > 0).map(([name]) => name);
}
