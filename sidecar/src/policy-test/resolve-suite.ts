/**
 * Turns one PolicyTest document and the objects of its files into what the run needs: the
 * policies as a sidecar receives them, and for every case the Target and the agent it is decided
 * for. Pure. Every reference is checked here (a Target, an AgentIdentity, an expected policy or
 * rule that the files do not have), so a typo is reported as wrong input, not as a failing case.
 */

import type { Action } from '@airlock/contracts/policy';
import type { AgentIdentity, Target } from '@airlock/crds';
import type { AgentPrincipal, PolicyConfig, TargetConfig } from '../core/ports.ts';
import type { InputProblem } from './errors.ts';
import type { ManifestObject, Origin } from './manifest-file.ts';
import {
  CASE_TARGET_TYPE,
  type CaseProtocol,
  type CaseText,
  caseText,
  caseTextOf,
  DEFAULT_ACTION_RULE,
  DEFAULT_NAMESPACE,
  type IdentitySpecifier,
  type ObjectRef,
  type PolicyTestDocument,
  type TargetSpecifier,
  type TestCase,
} from './test-file-format.ts';

/** The agent a case is decided for when the test names none. */
export const DEFAULT_IDENTITY = 'policy-test-agent';

export type ResolvedCase = CaseText & {
  /** The case's name, or the first line of its statement, command line or request line. */
  readonly name: string;
  /** Where it is: `cases[3]`, and its line in the test file. */
  readonly field: string;
  readonly line: number;
  readonly expect: Action;
  readonly policy?: string;
  readonly rule?: string;
  /** Of the type the case's protocol is decided for (CASE_TARGET_TYPE). */
  readonly target: TargetConfig;
  readonly principal: AgentPrincipal;
};

export interface Suite {
  readonly file: string;
  /** 1-based document of the test file. */
  readonly document: number;
  readonly name: string;
  /** Every ApprovalPolicy of the files; which apply is decided per case, as the sidecar does. */
  readonly policies: readonly PolicyConfig[];
  readonly cases: readonly ResolvedCase[];
}

/** Where the document being resolved is, for problems and case lines. */
export interface DocumentSite {
  readonly file: string;
  readonly document: number;
  readonly line: number;
  lineOf(path: string): number;
}

export type ResolveResult = { readonly ok: true; readonly suite: Suite } | { readonly ok: false; readonly problems: InputProblem[] };

interface Named<T> {
  readonly namespace: string;
  readonly name: string;
  readonly value: T;
  readonly origin: Origin;
}

const caseName = (text: string): string => {
  const first = text.trim().split('\n')[0] ?? '';
  return first.length > 72 ? `${first.slice(0, 71)}…` : first;
};

/** Objects of one kind, namespaced as kubectl apply would; a second object with the same namespace and name is a problem. */
function byName<T extends { metadata: { name?: string; namespace?: string } }>(
  kind: string,
  objects: readonly { object: T; origin: Origin }[],
  namespace: string,
  problems: InputProblem[],
): Named<T>[] {
  const seen = new Map<string, Named<T>>();
  for (const { object, origin } of objects) {
    const entry = { namespace: object.metadata.namespace ?? namespace, name: object.metadata.name ?? '', value: object, origin };
    const key = `${entry.namespace}/${entry.name}`;
    const first = seen.get(key);
    if (first) {
      problems.push({
        code: 'DuplicateObject',
        file: origin.file,
        line: origin.line,
        document: origin.document,
        object: `${kind} ${key}`,
        message: `${first.origin.file} document ${first.origin.document} has a ${kind} with the same namespace and name; a cluster holds only one, so keep one of them`,
      });
      continue;
    }
    seen.set(key, entry);
  }
  return [...seen.values()];
}

function lookUp<T>(kind: string, ref: ObjectRef, objects: readonly Named<T>[]): { found: Named<T> } | { problem: string } {
  const matches = objects.filter((o) => o.name === ref.name && (ref.namespace === undefined || o.namespace === ref.namespace));
  if (matches.length === 1 && matches[0]) return { found: matches[0] };
  const wanted = ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`;
  if (matches.length > 1) {
    return {
      problem: `${matches.length} ${kind}s are named ${ref.name} (${matches.map((m) => m.namespace).join(', ')}): write NAMESPACE/NAME`,
    };
  }
  const have = objects.map((o) => `${o.namespace}/${o.name}`);
  return {
    problem: `no ${kind} ${wanted} in the files (${have.length > 0 ? `they have ${have.join(', ')}` : `they have no ${kind}`}): add its file under files:, or describe it inline as a mapping`,
  };
}

interface Agent {
  readonly name: string;
  readonly groups: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** 0: the agent itself. */
  readonly delegationDepth: number;
}

/**
 * The chain of a sub-agent at this depth, as the broker serves it (ADR 0030). Only its length takes
 * part in choosing policies, so the names are stand-ins: sub-agent-1 is the agent's own delegate.
 */
export const delegationChain = (depth: number): string[] => Array.from({ length: depth }, (_, i) => `sub-agent-${i + 1}`);

/**
 * The principal the sidecar would have for this agent: only name, groups, labels and delegation
 * depth take part in choosing policies.
 */
const principalFor = (agent: Agent, target: TargetConfig): AgentPrincipal => ({
  identity: agent.name,
  namespace: target.namespace,
  serviceAccount: `system:serviceaccount:${target.namespace}:${agent.serviceAccount}`,
  pod: { name: 'policy-test', uid: '' },
  groups: agent.groups,
  labels: agent.labels,
  ...(agent.delegationDepth > 0 ? { delegation: { depth: agent.delegationDepth, chain: delegationChain(agent.delegationDepth) } } : {}),
});

export function resolveSuite(doc: PolicyTestDocument, objects: readonly ManifestObject[], site: DocumentSite, name: string): ResolveResult {
  const problems: InputProblem[] = [];
  const at = (field: string, message: string, code: InputProblem['code'] = 'UnknownReference'): InputProblem => ({
    code,
    file: site.file,
    line: site.lineOf(field),
    document: site.document,
    field,
    message,
  });
  const namespace = doc.namespace ?? DEFAULT_NAMESPACE;
  const policies = byName(
    'ApprovalPolicy',
    objects.flatMap((o) => (o.kind === 'ApprovalPolicy' ? [o] : [])),
    namespace,
    problems,
  );
  const targets = byName(
    'Target',
    objects.flatMap((o) => (o.kind === 'Target' ? [o] : [])),
    namespace,
    problems,
  );
  const identities = byName(
    'AgentIdentity',
    objects.flatMap((o) => (o.kind === 'AgentIdentity' ? [o] : [])),
    namespace,
    problems,
  );
  if (policies.length === 0) {
    problems.push(
      at('files', 'the files hold no ApprovalPolicy (apiVersion airlock.dev/v1alpha1); name the policy files under files:', 'NoPolicies'),
    );
  }

  /** The Target a specifier names; an inline one without a type takes the type of the case's protocol (typeFor). */
  const targetOf = (specifier: TargetSpecifier, field: string): ((protocol: CaseProtocol) => TargetConfig) | undefined => {
    if (specifier.form === 'inline') {
      // Only the name, namespace, labels and type take part in choosing policies; the port is a stand-in.
      return (protocol) => ({
        name: specifier.name,
        namespace: specifier.namespace ?? namespace,
        labels: specifier.labels,
        spec: { type: specifier.type ?? CASE_TARGET_TYPE[protocol], localPort: 0 },
      });
    }
    const result = lookUp('Target', specifier, targets);
    if ('problem' in result) {
      problems.push(at(field, result.problem));
      return undefined;
    }
    const found: Target = result.found.value;
    const target: TargetConfig = {
      name: result.found.name,
      namespace: result.found.namespace,
      labels: { ...(found.metadata.labels ?? {}) },
      spec: found.spec,
    };
    return () => target;
  };
  // A Target of the wrong type for a protocol is reported once per Target and protocol, at the first case.
  const wrongType = new Set<string>();
  const typeFor = (target: TargetConfig, protocol: CaseProtocol, field: string): TargetConfig | undefined => {
    const type = CASE_TARGET_TYPE[protocol];
    if (target.spec.type === type) return target;
    const key = `${target.namespace}/${target.name} ${protocol}`;
    if (!wrongType.has(key)) {
      wrongType.add(key);
      problems.push(
        at(
          field,
          `Target ${target.name} is of type ${target.spec.type}; ${protocol} cases need ${type === 'ssh' ? 'an' : 'a'} ${type} Target`,
        ),
      );
    }
    return undefined;
  };

  const agentOf = (specifier: IdentitySpecifier | undefined, field: string): Agent | undefined => {
    if (specifier === undefined)
      return { name: DEFAULT_IDENTITY, groups: [], labels: {}, serviceAccount: DEFAULT_IDENTITY, delegationDepth: 0 };
    const delegationDepth = specifier.delegationDepth ?? 0;
    if (specifier.form === 'inline') {
      const { name, groups, labels } = specifier;
      return { name, groups, labels, serviceAccount: name, delegationDepth };
    }
    const result = lookUp('AgentIdentity', specifier, identities);
    if ('problem' in result) {
      problems.push(at(field, result.problem));
      return undefined;
    }
    const identity: AgentIdentity = result.found.value;
    const maxDepth = identity.spec.delegation?.maxDepth ?? 0;
    if (delegationDepth > maxDepth) {
      // A case no session can be: the broker never hands out a token that deep for this identity.
      problems.push(
        at(
          `${field}.delegationDepth`,
          maxDepth === 0
            ? `AgentIdentity ${result.found.name} does not allow delegation (no spec.delegation): no session of it is at depth ${delegationDepth}`
            : `AgentIdentity ${result.found.name} allows delegation to depth ${maxDepth} (spec.delegation.maxDepth): no session of it is at depth ${delegationDepth}`,
          'ImpossibleCase',
        ),
      );
      return undefined;
    }
    return {
      name: result.found.name,
      groups: identity.spec.groups ?? [],
      labels: identity.metadata.labels ?? {},
      serviceAccount: identity.spec.serviceAccountName ?? result.found.name,
      delegationDepth,
    };
  };

  const checkExpectations = (testCase: TestCase): void => {
    const policy = testCase.policy === undefined ? undefined : policies.find((p) => p.name === testCase.policy);
    if (testCase.policy !== undefined && policy === undefined) {
      const have = policies.map((p) => p.name).join(', ') || 'none';
      problems.push(at(`${testCase.field}.policy`, `no ApprovalPolicy ${testCase.policy} in the files (they have ${have})`));
      return;
    }
    if (testCase.rule === undefined || testCase.rule === DEFAULT_ACTION_RULE) return;
    const candidates = policy ? [policy] : policies;
    if (!candidates.some((p) => (p.value.spec.rules ?? []).some((rule) => rule.name === testCase.rule))) {
      const where = policy ? `ApprovalPolicy ${policy.name} has` : 'no ApprovalPolicy of the files has';
      problems.push(
        at(
          `${testCase.field}.rule`,
          `${where} no rule ${testCase.rule}; write a rule name, or ${DEFAULT_ACTION_RULE} for the default action`,
        ),
      );
    }
  };

  // The document's own target and agent are looked up once, so a wrong name is reported once.
  const documentTarget = doc.target === undefined ? undefined : targetOf(doc.target, 'target');
  const documentAgent = agentOf(doc.identity, 'identity');
  const cases: ResolvedCase[] = [];
  for (const testCase of doc.cases) {
    checkExpectations(testCase);
    if (testCase.target === undefined && doc.target === undefined) {
      problems.push(at(testCase.field, 'no target: set target: for the document or for this case', 'InvalidTestFile'));
      continue;
    }
    const specified = testCase.target === undefined ? documentTarget : targetOf(testCase.target, `${testCase.field}.target`);
    const agent = testCase.identity === undefined ? documentAgent : agentOf(testCase.identity, `${testCase.field}.identity`);
    if (specified === undefined || agent === undefined) continue;
    const { protocol, text } = caseText(testCase);
    const target = typeFor(specified(protocol), protocol, testCase.target === undefined ? 'target' : `${testCase.field}.target`);
    if (target === undefined) continue;
    cases.push({
      name: testCase.name ?? caseName(text),
      field: testCase.field,
      line: site.lineOf(testCase.field),
      ...caseTextOf(protocol, text),
      expect: testCase.expect,
      ...(testCase.policy ? { policy: testCase.policy } : {}),
      ...(testCase.rule ? { rule: testCase.rule } : {}),
      target,
      principal: principalFor(agent, target),
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    suite: {
      file: site.file,
      document: site.document,
      name: doc.name ?? name,
      policies: policies.map((p) => ({ name: p.name, namespace: p.namespace, spec: p.value.spec })),
      cases,
    },
  };
}
