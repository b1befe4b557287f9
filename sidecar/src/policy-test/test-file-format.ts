/**
 * The PolicyTest format (docs/policy-testing.md): what one YAML document of a test file says, and
 * the check that turns parsed YAML into it. Pure: every problem comes back as a field path and a
 * message that says what is allowed, so a typo such as `expected:` names the fields there are.
 *
 *   apiVersion: cli.airlock.dev/v1alpha1
 *   kind: PolicyTest
 *   files: [../prod-db-policy.yaml, ../postgres-target.yaml]
 *   target: orders-db                         # a Target of the files, or {name, type, namespace, labels}
 *   identity: {name: ci-migrations, groups: [ci]}   # or an AgentIdentity of the files by name
 *   # identity: {ref: ci-migrations, delegationDepth: 2}   # ... asking as a sub-agent's sub-agent
 *   cases:
 *     - sql: TRUNCATE orders                  # a postgres Target's statements, or
 *       expect: deny
 *       rule: no-truncate
 *     - ssh: sudo rm -rf /var/log/app          # an ssh Target's exec command line, or
 *       expect: deny
 *     - kubernetes: DELETE /api/v1/namespaces/prod/pods/web-0   # a kubernetes Target's request line
 *       expect: requireApproval
 */

import type { Action } from '@airlock/contracts/policy';
import { TARGET_TYPE_OF_MATCH_SECTION, TARGET_TYPES, type TargetType } from '@airlock/contracts/targets';
import { MAX_DELEGATION_DEPTH, type ValidationIssue } from '@airlock/crds';
import { at, FieldReader, isFields, shown } from './field-reader.ts';

export const POLICY_TEST_API_VERSION = 'cli.airlock.dev/v1alpha1';
export const POLICY_TEST_KIND = 'PolicyTest';
/** `rule: defaultAction` expects the policy's default action to decide. No rule can have this name: rule names are lower case. */
export const DEFAULT_ACTION_RULE = 'defaultAction';
/** The namespace of objects that name none, as `kubectl apply` without `-n` in a fresh context. */
export const DEFAULT_NAMESPACE = 'default';
/** A test asks at depth 0 (the agent itself) to the deepest chain the API allows (ADR 0030). */
export { MAX_DELEGATION_DEPTH };

export const ACTIONS: readonly Action[] = ['allow', 'deny', 'requireApproval'];
export { TARGET_TYPES, type TargetType };

/** What a case's text is, by its field: the rule `match` section that decides it. */
export type CaseProtocol = 'sql' | 'ssh' | 'kubernetes';
export const CASE_PROTOCOLS: readonly CaseProtocol[] = ['sql', 'ssh', 'kubernetes'];
/** The Target type each protocol's cases are decided for. */
export const CASE_TARGET_TYPE = TARGET_TYPE_OF_MATCH_SECTION satisfies Readonly<Record<CaseProtocol, TargetType>>;

/** A Target or AgentIdentity of the files, by `name` or `namespace/name`. */
export interface ObjectRef {
  readonly form: 'ref';
  readonly namespace?: string;
  readonly name: string;
}

export interface InlineTarget {
  readonly form: 'inline';
  readonly name: string;
  readonly namespace?: string;
  /** Absent: the type whose commands the case holds (postgres for sql, ssh for ssh, kubernetes for kubernetes). */
  readonly type?: TargetType;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * How deep in a delegation chain the agent asks (ADR 0030): 0 or absent is the agent itself, 1 a
 * sub-agent it delegated to, 2 that sub-agent's sub-agent. Policies with `delegationDepth.min`
 * apply only that deep or deeper.
 */
interface AtDelegationDepth {
  readonly delegationDepth?: number;
}

/** An AgentIdentity of the files: `NAME`, or `{ref: NAME, delegationDepth}` to ask as one of its sub-agents. */
export interface IdentityRef extends ObjectRef, AtDelegationDepth {}

export interface InlineIdentity extends AtDelegationDepth {
  readonly form: 'inline';
  readonly name: string;
  readonly groups: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export type TargetSpecifier = ObjectRef | InlineTarget;
export type IdentitySpecifier = IdentityRef | InlineIdentity;

/**
 * The text of a case, in the field of its protocol: exactly one of them. A kubernetes case is one
 * HTTP request line without its HTTP version, as kubectl sends it: `METHOD /path?query`.
 */
export type CaseText =
  | { readonly sql: string; readonly ssh?: never; readonly kubernetes?: never }
  | { readonly ssh: string; readonly sql?: never; readonly kubernetes?: never }
  | { readonly kubernetes: string; readonly sql?: never; readonly ssh?: never };

/** The protocol and text of a case. */
export const caseText = (testCase: CaseText): { readonly protocol: CaseProtocol; readonly text: string } =>
  testCase.ssh !== undefined
    ? { protocol: 'ssh', text: testCase.ssh }
    : testCase.kubernetes !== undefined
      ? { protocol: 'kubernetes', text: testCase.kubernetes }
      : { protocol: 'sql', text: testCase.sql };

/** The case text of a protocol's text: the inverse of caseText. */
export const caseTextOf = (protocol: CaseProtocol, text: string): CaseText =>
  protocol === 'ssh' ? { ssh: text } : protocol === 'kubernetes' ? { kubernetes: text } : { sql: text };

/**
 * A request line as a kubernetes case gives it: an HTTP method in capitals, one space, and the
 * request-target in origin form (`/path`, optionally `?query`), still percent-encoded as sent.
 * The method is any token, so one the API server does not serve reaches the parser and is
 * decided as it would be (unknown, never allowed) rather than refused as a typo.
 */
const REQUEST_LINE = /^([A-Z]+) (\/\S*)$/;

/** The method and request-target of a kubernetes case's text, or undefined when it is not `METHOD /path`. */
export function splitRequestLine(text: string): { readonly method: string; readonly target: string } | undefined {
  const match = REQUEST_LINE.exec(text);
  return match?.[1] !== undefined && match[2] !== undefined ? { method: match[1], target: match[2] } : undefined;
}

/** What is wrong with a kubernetes case's text that is not `METHOD /path`: said so an author can fix it. */
function requestLineProblem(text: string): string {
  const shownText = shown(text);
  if (/\sHTTP\/\d/.test(text)) return `${shownText} is not valid: leave out the HTTP version; write METHOD /path?query`;
  if (/^[A-Za-z]+ +[a-z]+:\/\//.test(text))
    return `${shownText} is not valid: give the path from / on, without scheme and host (GET /api/v1/pods)`;
  if (/^[a-z]/.test(text))
    return `${shownText} is not valid: write the HTTP method in capitals, as on the wire (GET, POST, PUT, PATCH, DELETE)`;
  return `${shownText} is not valid: write one request line, METHOD /path?query, with one space between (DELETE /api/v1/namespaces/prod/pods/web-0)`;
}

export type TestCase = CaseText & {
  /** Where the case is in its document: `cases[3]`. */
  readonly field: string;
  readonly name?: string;
  readonly expect: Action;
  readonly policy?: string;
  /** A rule name, or DEFAULT_ACTION_RULE. */
  readonly rule?: string;
  readonly target?: TargetSpecifier;
  readonly identity?: IdentitySpecifier;
};

export interface PolicyTestDocument {
  readonly name?: string;
  readonly namespace?: string;
  /** As written: relative to the test file (or absolute). */
  readonly files: readonly string[];
  readonly target?: TargetSpecifier;
  readonly identity?: IdentitySpecifier;
  readonly cases: readonly TestCase[];
}

export type ParseResult =
  | { readonly ok: true; readonly value: PolicyTestDocument }
  | { readonly ok: false; readonly issues: ValidationIssue[] };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const TOP_FIELDS = ['apiVersion', 'kind', 'name', 'namespace', 'files', 'target', 'identity', 'cases'];
const CASE_FIELDS = ['name', 'sql', 'ssh', 'kubernetes', 'expect', 'policy', 'rule', 'target', 'identity'];
const TARGET_FIELDS = ['name', 'namespace', 'type', 'labels'];
const IDENTITY_FIELDS = ['name', 'groups', 'labels', 'ref', 'delegationDepth'];
/** What describes an identity inline; an identity given by `ref` takes these from its AgentIdentity. */
const INLINE_IDENTITY_FIELDS = ['name', 'groups', 'labels'];

const REF = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

function objectRef(reader: FieldReader, value: string, path: string, kind: string): ObjectRef | undefined {
  const match = REF.exec(value);
  if (match === null) {
    reader.issues.push({
      path,
      message: `${shown(value)} is not valid: name ${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} of the files as NAME or NAMESPACE/NAME, or describe it as a mapping`,
    });
    return undefined;
  }
  return { form: 'ref', name: match[3] ?? value, ...(match[1] ? { namespace: match[1] } : {}) };
}

const NAME_CHECK = { pattern: DNS_SUBDOMAIN, help: 'lower-case letters, digits, - and ., as Kubernetes object names' };
const NAMESPACE_CHECK = { pattern: DNS_LABEL, help: 'a namespace name: lower-case letters, digits and -' };

function targetSpecifier(reader: FieldReader, value: unknown, path: string): TargetSpecifier | undefined {
  if (typeof value === 'string') return objectRef(reader, value, path, 'Target');
  const fields = reader.fields(value, path, TARGET_FIELDS, ['name']);
  if (fields === undefined) return undefined;
  const name = reader.string(fields, 'name', path, NAME_CHECK);
  const namespace = reader.string(fields, 'namespace', path, NAMESPACE_CHECK);
  const type = fields.type === undefined ? undefined : reader.oneOf(fields, 'type', path, TARGET_TYPES);
  const labels = reader.labels(fields, 'labels', path);
  if (name === undefined || (fields.type !== undefined && type === undefined) || labels === undefined) return undefined;
  return { form: 'inline', name, labels, ...(type ? { type } : {}), ...(namespace ? { namespace } : {}) };
}

const DELEGATION_DEPTH_RANGE = {
  min: 0,
  max: MAX_DELEGATION_DEPTH,
  help: '0 is the agent itself, 1 a sub-agent it delegated to, 2 the sub-agent of that sub-agent, and so on',
};

/**
 * `NAME` or `NAMESPACE/NAME` (an AgentIdentity of the files), `{ref: NAME, delegationDepth}` (the
 * same, asking as a sub-agent), or inline `{name, groups, labels, delegationDepth}`.
 */
function identitySpecifier(reader: FieldReader, value: unknown, path: string): IdentitySpecifier | undefined {
  if (typeof value === 'string') return objectRef(reader, value, path, 'AgentIdentity');
  if (!isFields(value)) {
    reader.issues.push({
      path,
      message: `must name an AgentIdentity of the files as NAME or NAMESPACE/NAME, or be a mapping with name (inline) or ref (by name) (got ${shown(value)})`,
    });
    return undefined;
  }
  const byRef = value.ref !== undefined;
  const fields = reader.fields(value, path, IDENTITY_FIELDS, byRef ? ['ref'] : []);
  if (fields === undefined) return undefined;
  if (!byRef && fields.name === undefined) {
    reader.issues.push({
      path: at(path, 'name'),
      message:
        'required field is missing: give name to describe the identity inline, or ref to name an AgentIdentity of the files (NAME or NAMESPACE/NAME)',
    });
  }
  const delegationDepth = reader.integer(fields, 'delegationDepth', path, DELEGATION_DEPTH_RANGE);
  const depthOk = fields.delegationDepth === undefined || delegationDepth !== undefined;
  const depth = delegationDepth === undefined ? {} : { delegationDepth };
  if (byRef) {
    const described = INLINE_IDENTITY_FIELDS.filter((key) => fields[key] !== undefined);
    for (const key of described) {
      reader.issues.push({
        path: at(path, key),
        message: `ref names an AgentIdentity of the files, which has its own ${key}: leave ${key} out, or describe the identity inline with name, groups and labels and no ref`,
      });
    }
    if (typeof fields.ref !== 'string') {
      reader.issues.push({
        path: at(path, 'ref'),
        message: `must name an AgentIdentity of the files as NAME or NAMESPACE/NAME (got ${shown(fields.ref)})`,
      });
      return undefined;
    }
    const ref = objectRef(reader, fields.ref, at(path, 'ref'), 'AgentIdentity');
    if (ref === undefined || described.length > 0 || !depthOk) return undefined;
    return { ...ref, ...depth };
  }
  const name = reader.string(fields, 'name', path, NAME_CHECK);
  const groups = fields.groups === undefined ? [] : reader.strings(fields, 'groups', path);
  const labels = reader.labels(fields, 'labels', path);
  if (name === undefined || groups === undefined || labels === undefined || !depthOk) return undefined;
  return { form: 'inline', name, groups, labels, ...depth };
}

function testCase(reader: FieldReader, value: unknown, path: string): TestCase | undefined {
  const fields = reader.fields(value, path, CASE_FIELDS, ['expect']);
  if (fields === undefined) return undefined;
  const name = reader.string(fields, 'name', path);
  const text = (key: CaseProtocol, what: string): string | undefined => {
    const given = fields[key];
    if (given === undefined) return undefined;
    if (typeof given === 'string' && given.trim() !== '') return given;
    reader.issues.push({ path: at(path, key), message: `must be ${what} as a non-empty string; quote it (got ${shown(given)})` });
    return undefined;
  };
  const sql = text('sql', 'the statement text');
  const ssh = text('ssh', 'the command line');
  let kubernetes = text('kubernetes', 'one request line, METHOD /path?query,');
  if (kubernetes !== undefined && splitRequestLine(kubernetes) === undefined) {
    reader.issues.push({ path: at(path, 'kubernetes'), message: requestLineProblem(kubernetes) });
    kubernetes = undefined;
  }
  const given = CASE_PROTOCOLS.filter((protocol) => fields[protocol] !== undefined);
  if (given.length === 0) {
    reader.issues.push({
      path: at(path, 'sql'),
      message:
        'required field is missing: give sql (statements for a postgres Target), ssh (a command line for an ssh Target) or kubernetes (a request line for a kubernetes Target)',
    });
  }
  if (given.length > 1) {
    reader.issues.push({
      path: at(path, given[1] ?? 'ssh'),
      message: `a case is one of sql, ssh or kubernetes, not ${given.join(' and ')}: make it ${given.length} cases`,
    });
  }
  const expect = reader.oneOf(fields, 'expect', path, ACTIONS);
  const policy = reader.string(fields, 'policy', path, NAME_CHECK);
  const rule = reader.string(fields, 'rule', path, {
    pattern: new RegExp(`${DNS_LABEL.source}|^${DEFAULT_ACTION_RULE}$`),
    help: `a rule name, or ${DEFAULT_ACTION_RULE} when the policy's default action should decide`,
  });
  const target = fields.target === undefined ? undefined : targetSpecifier(reader, fields.target, at(path, 'target'));
  const identity = fields.identity === undefined ? undefined : identitySpecifier(reader, fields.identity, at(path, 'identity'));
  const only = given.length === 1 ? given[0] : undefined;
  const onlyText = only === 'sql' ? sql : only === 'ssh' ? ssh : only === 'kubernetes' ? kubernetes : undefined;
  const caseText: CaseText | undefined = only !== undefined && onlyText !== undefined ? caseTextOf(only, onlyText) : undefined;
  if (caseText === undefined || expect === undefined) return undefined;
  return {
    field: path,
    ...caseText,
    expect,
    ...(name ? { name } : {}),
    ...(policy ? { policy } : {}),
    ...(rule ? { rule } : {}),
    ...(target ? { target } : {}),
    ...(identity ? { identity } : {}),
  };
}

/** Checks one parsed YAML document against the PolicyTest format. */
export function parsePolicyTest(value: unknown): ParseResult {
  const reader = new FieldReader();
  const fields = reader.fields(value, '', TOP_FIELDS, ['apiVersion', 'kind', 'files', 'cases']);
  if (fields === undefined) return { ok: false, issues: reader.issues };
  if (fields.apiVersion !== undefined && fields.apiVersion !== POLICY_TEST_API_VERSION) {
    reader.issues.push({ path: 'apiVersion', message: `must be ${POLICY_TEST_API_VERSION} (got ${shown(fields.apiVersion)})` });
  }
  if (fields.kind !== undefined && fields.kind !== POLICY_TEST_KIND) {
    reader.issues.push({ path: 'kind', message: `must be ${POLICY_TEST_KIND} (got ${shown(fields.kind)}); policy files go under files:` });
  }
  const name = reader.string(fields, 'name', '');
  const namespace = reader.string(fields, 'namespace', '', NAMESPACE_CHECK);
  const files = reader.strings(fields, 'files', '');
  if (files !== undefined && files.length === 0)
    reader.issues.push({ path: 'files', message: 'must name at least one file with ApprovalPolicies' });
  const target = fields.target === undefined ? undefined : targetSpecifier(reader, fields.target, 'target');
  const identity = fields.identity === undefined ? undefined : identitySpecifier(reader, fields.identity, 'identity');
  const cases: TestCase[] = [];
  if (fields.cases !== undefined) {
    if (!Array.isArray(fields.cases) || fields.cases.length === 0) {
      reader.issues.push({ path: 'cases', message: 'must be a list of at least one case, each with sql, ssh or kubernetes, and expect' });
    } else {
      fields.cases.forEach((entry, i) => {
        const parsed = testCase(reader, entry, at('cases', i));
        if (parsed) cases.push(parsed);
      });
    }
  }
  if (reader.issues.length > 0 || files === undefined) return { ok: false, issues: reader.issues };
  return {
    ok: true,
    value: {
      files,
      cases,
      ...(name ? { name } : {}),
      ...(namespace ? { namespace } : {}),
      ...(target ? { target } : {}),
      ...(identity ? { identity } : {}),
    },
  };
}
