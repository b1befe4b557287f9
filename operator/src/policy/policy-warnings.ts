/**
 * What an ApprovalPolicy does that its author may not intend, as status.warnings: allow rules
 * that constrain nothing (or no statement kind), defaultAction allow, rules an earlier rule
 * always shadows, and rules for a protocol none of the policy's Targets speaks. Pure: the policy
 * and the Targets of its namespace in, warnings out. Warnings never stop a policy from being
 * served; each message says what the rule does and how to change it. The status planner
 * (policy-status.ts) fits them into the schema's limits.
 */
import type { ApprovalPolicy, PolicyRule, PolicyWarning, SQLMatch, Target } from '@airlock/crds';
import { constrainingFields, type Protocol, TARGET_TYPE_OF, viewMatch } from './match-fields.ts';
import { shadowingRule } from './rule-shadowing.ts';
import { policyTargets } from './target-selection.ts';

export type PolicyWarningCode =
  | 'AllowWithoutConstraints'
  | 'AllowKindsUnconstrained'
  | 'DefaultAllow'
  | 'ShadowedRule'
  | 'NoTargetForProtocol';

type StatementKind = NonNullable<SQLMatch['statementKinds']>[number];

/** What an allow rule without statementKinds lets through, kind by kind (a Record, so a new kind must be added here). */
const KIND_EXAMPLES: Readonly<Record<Exclude<StatementKind, 'unknown'>, string>> = {
  read: 'read',
  write: 'write (INSERT, UPDATE, DELETE, nextval)',
  ddl: 'ddl (CREATE, ALTER, DROP)',
  privilege: 'privilege (GRANT, SET ROLE)',
  dangerous: 'dangerous (server files and programs, backend signals)',
  transaction: 'transaction',
  session: 'session',
  admin: 'admin (VACUUM, ALTER SYSTEM)',
};

const WHAT: Readonly<Record<Protocol, string>> = {
  sql: 'SQL statement',
  ssh: 'SSH request',
  http: 'HTTP request',
  kubernetes: 'Kubernetes API request',
};

/** What an allow rule with an empty match of the protocol covers (each matcher's defaults: an allow covers only what it says). */
const ALLOWED_BY_EMPTY_MATCH: Readonly<Record<Protocol, string>> = {
  sql: 'SQL statement',
  ssh: 'SSH command (exec) that writes no file through a redirection and runs nothing as another user',
  http: 'HTTP request',
  kubernetes: 'Kubernetes read (get, list, watch of any resource but connect subresources) and discovery request',
};

const EXAMPLE_FIELD: Readonly<Record<Protocol, string>> = {
  sql: 'statementKinds: [read]',
  ssh: 'programs: [ls, cat]',
  http: 'methods: [GET]',
  kubernetes: 'verbs: [get, list, watch]',
};

const warning = (rule: string, code: PolicyWarningCode, message: string): PolicyWarning => ({ rule, code, message });

export function policyWarnings(policy: ApprovalPolicy, namespaceTargets: readonly Target[]): PolicyWarning[] {
  const rules = policy.spec.rules ?? [];
  const warnings: PolicyWarning[] = [];
  if (policy.spec.defaultAction === 'allow') {
    warnings.push(
      warning(
        '',
        'DefaultAllow',
        'defaultAction is allow: every command no rule matches is forwarded, including what no rule anticipated (schema and privilege changes, dangerous functions). Set defaultAction to deny or requireApproval, and add allow rules for what agents need.',
      ),
    );
  }
  const selected = policyTargets(policy, namespaceTargets);
  rules.forEach((rule, index) => {
    const unconstrained = allowWarning(rule);
    if (unconstrained) warnings.push(unconstrained);
    const winner = shadowingRule(rules, index);
    if (winner) warnings.push(shadowed(rule, winner));
    const untargeted = targetWarning(policy, rule, selected, namespaceTargets);
    if (untargeted) warnings.push(untargeted);
  });
  return warnings;
}

function allowWarning(rule: PolicyRule): PolicyWarning | undefined {
  if (rule.action !== 'allow') return undefined;
  const { protocol } = viewMatch(rule.match);
  const fields = constrainingFields(rule);
  if (protocol === undefined) {
    return warning(
      rule.name,
      'AllowWithoutConstraints',
      `Rule ${rule.name} allows every command of every protocol that no deny or requireApproval rule matches: its match is empty, so the default action never applies (commands that cannot be classified are still not allowed). Give it a protocol match that lists what agents may do, for example match.sql.${EXAMPLE_FIELD.sql}.`,
    );
  }
  if (fields.length === 0) {
    return warning(
      rule.name,
      'AllowWithoutConstraints',
      `Rule ${rule.name} allows every ${ALLOWED_BY_EMPTY_MATCH[protocol]} that no deny or requireApproval rule matches: match.${protocol} sets no field (an empty list constrains nothing), so the default action never applies to them. Set the fields that say what is allowed, for example match.${protocol}.${EXAMPLE_FIELD[protocol]}.`,
    );
  }
  if (protocol === 'sql' && !fields.includes('statementKinds')) {
    return warning(
      rule.name,
      'AllowKindsUnconstrained',
      `Rule ${rule.name} sets no statementKinds, so it allows statements of every kind that pass its ${fields.join(', ')} check: ${Object.values(KIND_EXAMPLES).join(', ')}. List the kinds it should allow in match.sql.statementKinds, for example [read].`,
    );
  }
  return undefined;
}

function shadowed(rule: PolicyRule, winner: PolicyRule): PolicyWarning {
  const why =
    winner.action === rule.action
      ? `rule ${winner.name} comes first with the same action (${rule.action}) and matches every command ${rule.name} matches, and among rules of one action the first decides (with its approval settings and message). Move ${rule.name} above ${winner.name} if it should decide, or delete it.`
      : `rule ${winner.name} (${winner.action}) matches every command ${rule.name} (${rule.action}) matches, and the strictest matching rule decides whatever the order. Narrow ${winner.name} so it leaves these commands to ${rule.name}, or delete ${rule.name}.`;
  return warning(rule.name, 'ShadowedRule', `Rule ${rule.name} never decides: ${why}`);
}

function targetWarning(
  policy: ApprovalPolicy,
  rule: PolicyRule,
  selected: readonly Target[],
  namespaceTargets: readonly Target[],
): PolicyWarning | undefined {
  const { protocol } = viewMatch(rule.match);
  if (protocol === undefined) return undefined;
  const type = TARGET_TYPE_OF[protocol];
  if (selected.some((target) => target.spec.type === type)) return undefined;
  const namespace = policy.metadata.namespace ?? '';
  const has =
    selected.length === 0 ? 'it selects no Target' : `it selects ${names(selected, (t) => `${t.metadata.name} (${t.spec.type})`)}`;
  const unselected = namespaceTargets.filter((target) => target.spec.type === type && !selected.includes(target));
  const fix =
    unselected.length > 0
      ? `Let spec.targets select one (${names(unselected, (t) => t.metadata.name ?? '')} in this namespace is not selected)`
      : `Create a Target of type ${type} in namespace ${namespace} that spec.targets selects`;
  return warning(
    rule.name,
    'NoTargetForProtocol',
    `Rule ${rule.name} matches ${WHAT[protocol]}s, which only ${type} Targets serve, but no Target this policy applies to is of type ${type} (${has}), so the rule never applies. ${fix}, or remove the rule.`,
  );
}

function names(targets: readonly Target[], label: (target: Target) => string): string {
  const shown = targets.slice(0, 5).map(label).join(', ');
  return targets.length > 5 ? `${shown} and ${targets.length - 5} more` : shown;
}
