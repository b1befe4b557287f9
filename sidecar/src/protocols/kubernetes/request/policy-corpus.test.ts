/**
 * The Kubernetes request corpus decided by the example policy for the Kubernetes API
 * (crds/examples/kubernetes-policy.yaml), the way the sidecar decides an agent's request: the
 * request line is placed as the API server will place it, turned into the policy's facts, and
 * decided. Each corpus entry states, read by hand from the policy and ADR 0025, which action and
 * which rule must decide it; this test holds the code to that reading. An entry whose reading the
 * code is believed to get wrong says why in `policyTodo` and is reported as a todo.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtInNamespaced, parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import {
  type CompiledPolicy,
  compileKubernetesMatch,
  compilePolicy,
  type Decision,
  decideKubernetesRequest,
  type KubernetesFacts,
  kubernetesRequestFacts,
} from '@airlock/contracts/policy';
import { type ExpectedPolicyDecision, REQUEST_CORPUS, type RequestCase } from '@airlock/contracts/testing/kubernetes-request-corpus';
import { type ApprovalPolicySpec, exampleDocuments } from '@airlock/crds';

const EXAMPLE_FILE = 'kubernetes-policy.yaml';
/** What a corpus entry writes for a decision of the policy's default action (the verdict then names no rule). */
const DEFAULT_RULE = 'default';
/** What a corpus entry writes for a request refused before any policy is read (decideKubernetesRequest). */
const UNPLACEABLE = 'unplaceable';

function examplePolicy(): CompiledPolicy<KubernetesFacts> {
  // By its file, not the first ApprovalPolicy: other protocols' examples are there too.
  const found = exampleDocuments().find(({ file, doc }) => doc.kind === 'ApprovalPolicy' && file.endsWith(EXAMPLE_FILE));
  assert.ok(found, `crds/examples/${EXAMPLE_FILE} holds an ApprovalPolicy`);
  const metadata = found.doc.metadata as { name: string; namespace: string };
  return compilePolicy(
    { name: metadata.name, namespace: metadata.namespace, spec: found.doc.spec as ApprovalPolicySpec },
    compileKubernetesMatch,
  );
}

const policy = examplePolicy();

/** As the sidecar reads a request line, with the built-in resources' scopes standing in for discovery. */
function decideEntry(entry: RequestCase): Decision {
  const info = parseKubernetesRequest({ method: entry.method, ...splitRequestTarget(entry.target) });
  return decideKubernetesRequest(kubernetesRequestFacts(info, builtInNamespaced), [policy]);
}

/** The decision in the corpus's terms: the action, and the rule, 'default', or 'unplaceable' when no policy was read. */
function decided(decision: Decision): ExpectedPolicyDecision {
  if (!decision.verdict) return { action: decision.action, rule: UNPLACEABLE };
  return { action: decision.action, rule: decision.verdict.rule ?? DEFAULT_RULE };
}

const count = (action: ExpectedPolicyDecision['action']): number => REQUEST_CORPUS.filter((entry) => entry.policy.action === action).length;
const counts = `${count('allow')} allowed, ${count('deny')} denied, ${count('requireApproval')} held`;

describe(`the example Kubernetes policy decides each corpus request as written by hand (${counts})`, () => {
  for (const entry of REQUEST_CORPUS) {
    const expected = `${entry.policy.action} by ${entry.policy.rule}`;
    const options = entry.policyTodo === undefined ? {} : { todo: entry.policyTodo };
    test(`${entry.title}: ${entry.method} ${entry.target} → ${expected}`, options, () => {
      const decision = decideEntry(entry);
      assert.deepEqual(decided(decision), entry.policy, decision.reason);
      // A request the parser refuses is refused before any policy is read, and says so.
      assert.equal(decision.failedClosed, entry.expect.kind === 'unknown');
      assert.equal(entry.policy.rule === UNPLACEABLE, entry.expect.kind === 'unknown');
      if (entry.policy.rule === UNPLACEABLE) return;
      assert.ok(decision.verdict, 'the example policy applies, so a verdict decides');
      assert.equal(decision.verdict.policy, policy.name);
      // The verdict names no rule exactly when the default action decided.
      if (entry.policy.rule === DEFAULT_RULE) assert.equal(decision.verdict.rule, undefined);
    });
  }

  test('the corpus exercises every action, every rule of the policy and its default action', (t) => {
    const expectedRules = new Set(REQUEST_CORPUS.map((entry) => entry.policy.rule));
    for (const rule of policy.rules) assert.ok(expectedRules.has(rule.name), `no corpus entry is decided by rule ${rule.name}`);
    assert.ok(expectedRules.has(DEFAULT_RULE), 'no corpus entry is decided by the default action');
    for (const rule of expectedRules) {
      assert.ok(
        rule === DEFAULT_RULE || rule === UNPLACEABLE || policy.rules.some((r) => r.name === rule),
        `the policy has no rule ${rule}`,
      );
    }
    for (const action of ['allow', 'deny', 'requireApproval'] as const) assert.ok(count(action) > 0, `no entry is expected to ${action}`);
    const todos = REQUEST_CORPUS.filter((entry) => entry.policyTodo !== undefined).length;
    const failClosed = REQUEST_CORPUS.filter((entry) => entry.expect.kind === 'unknown').length;
    t.diagnostic(`${REQUEST_CORPUS.length} requests: ${counts}; ${todos} where the code is believed wrong (todo)`);
    t.diagnostic(`${failClosed} the parser refuses, refused before any policy is read (${UNPLACEABLE})`);
    for (const rule of [...policy.rules.map((r) => r.name), DEFAULT_RULE, UNPLACEABLE]) {
      t.diagnostic(`${rule}: ${REQUEST_CORPUS.filter((entry) => entry.policy.rule === rule).length}`);
    }
  });
});
