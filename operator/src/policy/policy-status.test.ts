import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalPolicy, ApprovalPolicyStatus, PolicyWarning } from '@airlock/crds';
import { MAX_WARNING_MESSAGE, MAX_WARNINGS, planPolicyStatus } from './policy-status.ts';

const NOW = new Date('2030-01-02T03:04:05.678Z');
const LATER = new Date('2030-01-02T04:00:00Z');

const policy = (status?: ApprovalPolicyStatus): ApprovalPolicy => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'ApprovalPolicy',
  metadata: { name: 'p', namespace: 'agents', generation: 3, resourceVersion: '7' },
  spec: {},
  ...(status ? { status } : {}),
});

const shadowed: PolicyWarning = { rule: 'drop', code: 'ShadowedRule', message: 'Rule drop never decides.' };
const defaultAllow: PolicyWarning = { rule: '', code: 'DefaultAllow', message: 'defaultAction is allow.' };

test('warnings go to status and one Warning event; the policy stays Ready', () => {
  const plan = planPolicyStatus(policy(), [], [defaultAllow, shadowed], NOW);
  assert.deepEqual(plan.status.warnings, [defaultAllow, shadowed]);
  assert.equal(plan.status.ruleErrors, undefined);
  assert.equal(plan.status.observedGeneration, 3);
  const ready = plan.status.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'True');
  assert.equal(ready?.lastTransitionTime, '2030-01-02T03:04:05Z');
  assert.equal(plan.events.length, 1);
  assert.equal(plan.events[0]?.type, 'Warning');
  assert.equal(plan.events[0]?.reason, 'PolicyWarnings');
  assert.match(
    plan.events[0]?.message ?? '',
    /^2 warnings: DefaultAllow: defaultAction is allow\. \| ShadowedRule \(rule drop\): Rule drop never decides\.$/,
  );
});

test('the same warnings again: the same status, no event; a change: a new event; none left: a Normal event', () => {
  const first = planPolicyStatus(policy(), [], [shadowed], NOW);
  const again = planPolicyStatus(policy(first.status), [], [shadowed], LATER);
  assert.deepEqual(again.status, first.status, 'nothing to write');
  assert.deepEqual(again.events, []);
  const changed = planPolicyStatus(policy(first.status), [], [shadowed, defaultAllow], LATER);
  assert.deepEqual(
    changed.events.map((e) => e.reason),
    ['PolicyWarnings'],
  );
  const cleared = planPolicyStatus(policy(changed.status), [], [], LATER);
  assert.equal(cleared.status.warnings, undefined, 'no empty list in status');
  assert.deepEqual(
    cleared.events.map((e) => [e.type, e.reason]),
    [['Normal', 'PolicyWarningsResolved']],
  );
  assert.deepEqual(planPolicyStatus(policy(), [], [], NOW).events, [], 'never had warnings: nothing to say');
});

test('rule errors make the policy not Ready and record PolicyInvalid, next to the warnings', () => {
  const plan = planPolicyStatus(policy(), [{ rule: 'r', field: 'rules', message: 'bad' }], [shadowed], NOW);
  const ready = plan.status.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.reason, 'RuleErrors');
  assert.deepEqual(
    plan.events.map((e) => e.reason),
    ['PolicyInvalid', 'PolicyWarnings'],
  );
  const again = planPolicyStatus(policy(plan.status), [{ rule: 'r', field: 'rules', message: 'bad' }], [shadowed], LATER);
  assert.deepEqual(again.events, []);
  assert.equal(again.status.conditions?.[0]?.lastTransitionTime, ready?.lastTransitionTime);
});

test('warnings fit the schema: at most 64, messages at most 1024 characters; the event counts them all', () => {
  const many: PolicyWarning[] = Array.from({ length: 70 }, (_, i) => ({ rule: `r${i}`, code: 'ShadowedRule', message: 'x'.repeat(2000) }));
  const plan = planPolicyStatus(policy(), [], many, NOW);
  assert.equal(plan.status.warnings?.length, MAX_WARNINGS);
  assert.ok(plan.status.warnings?.every((w) => (w.message?.length ?? 0) <= MAX_WARNING_MESSAGE));
  assert.match(plan.events[0]?.message ?? '', /^70 warnings \(status.warnings lists the first 64\)/);
});
