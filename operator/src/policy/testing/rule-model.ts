/**
 * A reference model of how a rule matches a command, written from the documented semantics
 * (CRD RuleMatch, security invariant 4) and not from the sidecar's code, for property tests of
 * the policy checks. Where the semantics leave a choice open, a Variant picks one, so a proof
 * can be tested against every reading: whether an allow rule "matches" a command that cannot be
 * classified, and whether an empty list constrains nothing or means "no value".
 */
import type { PolicyRule } from '@airlock/crds';
import fc from 'fast-check';

export interface Variant {
  /** An allow rule does not match a statement of kind unknown (instead of matching and being overruled). */
  readonly allowSkipsUnknown: boolean;
  /** An empty list is read literally (allow: the facet has no value; deny: nothing) instead of as unset. */
  readonly emptyListLiteral: boolean;
}

export const VARIANTS: readonly Variant[] = [
  { allowSkipsUnknown: false, emptyListLiteral: false },
  { allowSkipsUnknown: true, emptyListLiteral: false },
  { allowSkipsUnknown: false, emptyListLiteral: true },
  { allowSkipsUnknown: true, emptyListLiteral: true },
];

export interface SqlCommand {
  readonly protocol: 'sql';
  readonly kinds: readonly string[];
  readonly commands: readonly string[];
  readonly objects: readonly string[];
  readonly functions: readonly string[];
  readonly writesWithoutWhere: boolean;
}

export interface SshCommand {
  readonly protocol: 'ssh';
  readonly requestTypes: readonly string[];
  readonly programs: readonly string[];
  readonly arguments: readonly string[];
  readonly subsystems: readonly string[];
}

export type ModelCommand = SqlCommand | SshCommand;

const KINDS = ['read', 'write', 'ddl', 'privilege', 'dangerous', 'transaction', 'session', 'admin', 'unknown'] as const;
const COMMAND_TAGS = ['SELECT', 'INSERT', 'DROP TABLE', 'DROP INDEX', 'TRUNCATE TABLE', 'SET'];
const COMMAND_PATTERNS = ['SELECT', 'INSERT', 'DROP', 'DROP TABLE', 'TRUNCATE', 'select'];
const OBJECTS = ['public.orders', 'orders', 'billing.orders', 'billing.invoices', 'customers', 'billing.customers'];
const OBJECT_PATTERNS = ['public.orders', 'orders', 'billing.orders', 'billing.*', '*', 'PUBLIC.ORDERS', '*.orders', 'customers'];
const FUNCTIONS = ['now', 'pg_catalog.now', 'pg_sleep', 'dblink_exec'];
const FUNCTION_PATTERNS = ['now', 'pg_catalog.now', 'pg_*', 'dblink*', '*'];
const REQUEST_TYPES = ['exec', 'shell', 'subsystem', 'port-forward'] as const;
const PROGRAMS = ['ls', 'rm', 'cat', '/usr/bin/rm'];
const PROGRAM_PATTERNS = ['ls', 'rm', 'r*', '*', '/usr/bin/*'];
const SUBSYSTEMS = ['sftp'];

/** Globs as documented: `*` any run, `?` one character; case-insensitive. */
export function globMatches(pattern: string, value: string): boolean {
  const source = Array.from(pattern.toLowerCase(), (c) =>
    c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'),
  ).join('');
  return new RegExp(`^${source}$`, 's').test(value.toLowerCase());
}

/**
 * A SQL name against a pattern, on the safe side of each action: for deny and approval an
 * unqualified name matches a pattern of any schema, and a pattern without a schema matches the
 * name in any schema; for allow an unqualified name is in `public`, and a qualified one needs a
 * pattern that matches it whole.
 */
function sqlNameMatches(pattern: string, value: string, lenient: boolean): boolean {
  if (globMatches(pattern, value)) return true;
  const dot = pattern.lastIndexOf('.');
  const valueDot = value.lastIndexOf('.');
  if (valueDot >= 0) return lenient && dot < 0 && globMatches(pattern, value.slice(valueDot + 1));
  if (dot < 0) return false;
  return globMatches(pattern.slice(dot + 1), value) && (lenient || globMatches(pattern.slice(0, dot), 'public'));
}

/** Command tags: allow names whole tags; deny and approval patterns also match the tags they are the first words of. */
const tagMatches =
  (lenient: boolean) =>
  (pattern: string, tag: string): boolean => {
    const p = pattern.toLowerCase();
    const t = tag.toLowerCase();
    return t === p || (lenient && t.startsWith(`${p} `));
  };

type ValueMatch = (pattern: string, value: string) => boolean;

function listMatches(list: readonly string[] | undefined, values: readonly string[], every: boolean, match: ValueMatch, variant: Variant) {
  if (list === undefined) return true;
  if (list.length === 0 && !variant.emptyListLiteral) return true;
  const listed = (value: string) => list.some((pattern) => match(pattern, value));
  return every ? values.every(listed) : values.some(listed);
}

export function modelMatches(rule: Pick<PolicyRule, 'match' | 'action'>, command: ModelCommand, variant: Variant): boolean {
  const every = rule.action === 'allow';
  if (every && variant.allowSkipsUnknown && command.protocol === 'sql' && command.kinds.includes('unknown')) return false;
  const { sql, ssh, http, kubernetes } = rule.match;
  if (sql === undefined && ssh === undefined && http === undefined && kubernetes === undefined) return true;
  if (sql !== undefined) {
    if (command.protocol !== 'sql') return false;
    const lenient = !every;
    const exact: ValueMatch = (p, v) => p === v;
    return (
      listMatches(sql.statementKinds, command.kinds, every, exact, variant) &&
      listMatches(sql.commands, command.commands, every, tagMatches(lenient), variant) &&
      listMatches(sql.objects, command.objects, every, (p, v) => sqlNameMatches(p, v, lenient), variant) &&
      listMatches(sql.functions, command.functions, every, (p, v) => sqlNameMatches(p, v, lenient), variant) &&
      (sql.writesWithoutWhere === undefined || sql.writesWithoutWhere === command.writesWithoutWhere)
    );
  }
  if (ssh !== undefined) {
    if (command.protocol !== 'ssh') return false;
    return (
      listMatches(ssh.requestTypes, command.requestTypes, every, (p, v) => p === v, variant) &&
      listMatches(ssh.programs, command.programs, every, globMatches, variant) &&
      listMatches(ssh.arguments, command.arguments, every, globMatches, variant) &&
      listMatches(ssh.subsystems, command.subsystems, every, globMatches, variant)
    );
  }
  return false; // http and kubernetes commands are not generated
}

const subset = <T>(values: readonly T[], minLength = 0) => fc.subarray([...values], { minLength });
const optionalList = <T>(values: readonly T[]) => fc.option(subset(values), { nil: undefined, freq: 2 });

const SEVERITY = { allow: 0, requireApproval: 1, deny: 2 } as const;

/**
 * The rule that decides `command`, as the ADR words it: the strictest matching rule, and among
 * rules of the same action the first. Undefined: the default action decides.
 */
export function modelDecidingRule(rules: readonly PolicyRule[], command: ModelCommand, variant: Variant): string | undefined {
  let found: PolicyRule | undefined;
  for (const rule of rules) {
    if (!modelMatches(rule, command, variant)) continue;
    if (found === undefined || SEVERITY[rule.action] > SEVERITY[found.action]) found = rule;
  }
  return found?.name;
}

export const sqlCommand: fc.Arbitrary<SqlCommand> = fc.record({
  protocol: fc.constant('sql' as const),
  kinds: subset(KINDS, 1),
  commands: subset(COMMAND_TAGS),
  objects: subset(OBJECTS),
  functions: subset(FUNCTIONS),
  writesWithoutWhere: fc.boolean(),
});

export const sshCommand: fc.Arbitrary<SshCommand> = fc.record({
  protocol: fc.constant('ssh' as const),
  requestTypes: subset(REQUEST_TYPES),
  programs: subset(PROGRAMS),
  arguments: subset(['-rf *', '-la']),
  subsystems: subset(SUBSYSTEMS),
});

export const modelCommand: fc.Arbitrary<ModelCommand> = fc.oneof(sqlCommand, sshCommand);

const withoutUndefined = <T extends object>(record: T): T =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;

const sqlMatch = fc
  .record({
    statementKinds: optionalList(KINDS),
    commands: optionalList(COMMAND_PATTERNS),
    objects: optionalList(OBJECT_PATTERNS),
    functions: optionalList(FUNCTION_PATTERNS),
    writesWithoutWhere: fc.option(fc.boolean(), { nil: undefined, freq: 2 }),
  })
  .map(withoutUndefined);

const sshMatch = fc
  .record({
    requestTypes: optionalList(REQUEST_TYPES),
    programs: optionalList(PROGRAM_PATTERNS),
    arguments: optionalList(['-rf *', '-la', '*']),
    subsystems: optionalList(['sftp', 's*']),
  })
  .map(withoutUndefined);

export const ACTIONS = ['allow', 'deny', 'requireApproval'] as const;

/** A rule with a random match (empty, SQL or SSH) and action, named by `name`. */
export const modelRule = (name: string, protocols: readonly ('sql' | 'ssh' | 'empty')[] = ['sql', 'ssh', 'empty']) =>
  fc.record({
    name: fc.constant(name),
    action: fc.constantFrom(...ACTIONS),
    match: fc
      .constantFrom(...protocols)
      .chain((protocol) =>
        protocol === 'sql' ? sqlMatch.map((sql) => ({ sql })) : protocol === 'ssh' ? sshMatch.map((ssh) => ({ ssh })) : fc.constant({}),
      ),
  }) satisfies fc.Arbitrary<PolicyRule>;
