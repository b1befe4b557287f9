import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ApprovalPolicy, type ApprovalPolicySpec, exampleDocuments, type PolicyRule, type Target } from '@airlock/crds';
import { policyWarnings } from './policy-warnings.ts';

const policy = (spec: ApprovalPolicySpec): ApprovalPolicy => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'ApprovalPolicy',
  metadata: { name: 'p', namespace: 'agents' },
  spec,
});

const target = (name: string, type: Target['spec']['type'], labels: Record<string, string> = {}): Target => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'Target',
  metadata: { name, namespace: 'agents', labels },
  spec: { type, localPort: 5432 } as Target['spec'],
});

const ALL_TYPES = [target('db', 'postgres'), target('box', 'ssh'), target('api', 'http'), target('kube', 'kubernetes')];

/** code@rule of each warning, for compact comparisons. */
const codes = (spec: ApprovalPolicySpec, targets: readonly Target[] = ALL_TYPES) =>
  policyWarnings(policy(spec), targets).map((w) => `${w.code}@${w.rule}`);

const messageOf = (spec: ApprovalPolicySpec, code: string, targets: readonly Target[] = ALL_TYPES) =>
  policyWarnings(policy(spec), targets).find((w) => w.code === code)?.message ?? '';

const rule = (name: string, action: PolicyRule['action'], match: PolicyRule['match']): PolicyRule => ({ name, action, match });

test('a careful policy has no warnings', () => {
  const spec: ApprovalPolicySpec = {
    rules: [
      rule('no-truncate', 'deny', { sql: { commands: ['TRUNCATE'] } }),
      rule('ddl', 'requireApproval', { sql: { statementKinds: ['ddl'] } }),
      rule('reads', 'allow', { sql: { statementKinds: ['read'] } }),
      rule('orders', 'allow', { sql: { statementKinds: ['write'], objects: ['public.orders'] } }),
    ],
    defaultAction: 'deny',
  };
  assert.deepEqual(codes(spec), []);
});

test('defaultAction allow is a warning about the policy, not a rule', () => {
  assert.deepEqual(codes({ defaultAction: 'allow' }), ['DefaultAllow@']);
  assert.match(messageOf({ defaultAction: 'allow' }, 'DefaultAllow'), /Set defaultAction to deny or requireApproval/);
  assert.deepEqual(codes({ defaultAction: 'requireApproval', approval: { approvers: { groups: ['g'] } } }), []);
  assert.deepEqual(codes({}), [], 'the default is deny');
});

test('an allow rule without constraints: an empty match, a protocol match without fields, or only empty lists', () => {
  assert.deepEqual(codes({ rules: [rule('all', 'allow', {})] }), ['AllowWithoutConstraints@all']);
  assert.match(messageOf({ rules: [rule('all', 'allow', {})] }, 'AllowWithoutConstraints'), /every command of every protocol/);
  assert.deepEqual(codes({ rules: [rule('sql', 'allow', { sql: {} })] }), ['AllowWithoutConstraints@sql']);
  assert.deepEqual(codes({ rules: [rule('sql', 'allow', { sql: { statementKinds: [], objects: [] } })] }), ['AllowWithoutConstraints@sql']);
  const ssh = messageOf({ rules: [rule('ssh', 'allow', { ssh: {} })] }, 'AllowWithoutConstraints');
  assert.match(ssh, /allows every SSH command \(exec\) that writes no file .* that no deny or requireApproval rule matches/);
  assert.match(ssh, /match\.ssh\.programs/);
  assert.deepEqual(codes({ rules: [rule('all', 'deny', {})] }), [], 'denying everything is no surprise');
  assert.deepEqual(codes({ rules: [rule('gets', 'allow', { http: { methods: ['GET'] } })] }), []);
});

test('an allow SQL rule without statementKinds lists the kinds it lets through', () => {
  const spec = { rules: [rule('orders', 'allow', { sql: { objects: ['public.orders'] } })] };
  assert.deepEqual(codes(spec), ['AllowKindsUnconstrained@orders']);
  const message = messageOf(spec, 'AllowKindsUnconstrained');
  for (const kind of ['read', 'write', 'ddl', 'privilege', 'dangerous', 'transaction', 'session', 'admin']) {
    assert.match(message, new RegExp(`\\b${kind}\\b`), kind);
  }
  assert.match(message, /objects check/);
  assert.match(message, /statementKinds, for example \[read\]/);
  assert.deepEqual(codes({ rules: [rule('orders', 'deny', { sql: { objects: ['public.orders'] } })] }), []);
  assert.deepEqual(codes({ rules: [rule('wipe', 'allow', { sql: { writesWithoutWhere: false } })] }), ['AllowKindsUnconstrained@wipe']);
});

test('a rule that never decides names the rule that does, with advice that fits why', () => {
  const spec = {
    rules: [
      rule('ddl', 'deny', { sql: { statementKinds: ['ddl'] } }),
      rule('drop', 'deny', { sql: { statementKinds: ['ddl'], commands: ['DROP TABLE'] } }),
      rule('reads', 'allow', { sql: { statementKinds: ['read'] } }),
      rule('hold-all-sql', 'requireApproval', { sql: {} }),
    ],
    approval: { approvers: { groups: ['g'] } },
  };
  assert.deepEqual(codes(spec), ['ShadowedRule@drop', 'ShadowedRule@reads']);
  assert.match(messageOf(spec, 'ShadowedRule'), /rule ddl comes first with the same action \(deny\).*Move drop above ddl/);
  const reads = policyWarnings(policy(spec), ALL_TYPES).find((w) => w.rule === 'reads')?.message ?? '';
  assert.match(reads, /rule hold-all-sql \(requireApproval\) matches every command reads \(allow\) matches.*Narrow hold-all-sql/);
});

test('not shadowed: a deny on objects does not cover an allow on objects (the allow also matches statements without objects)', () => {
  const spec = {
    rules: [
      rule('no-orders', 'deny', { sql: { objects: ['public.orders'] } }),
      rule('orders-reads', 'allow', { sql: { statementKinds: ['read'], objects: ['public.orders'] } }),
    ],
  };
  assert.deepEqual(codes(spec), []);
});

test('a rule for a protocol none of the selected Targets speaks', () => {
  const spec: ApprovalPolicySpec = {
    targets: { types: ['postgres'] },
    rules: [rule('ls', 'allow', { ssh: { programs: ['ls'] } }), rule('reads', 'allow', { sql: { statementKinds: ['read'] } })],
  };
  assert.deepEqual(codes(spec), ['NoTargetForProtocol@ls']);
  const message = messageOf(spec, 'NoTargetForProtocol');
  assert.match(message, /matches SSH requests, which only ssh Targets serve/);
  assert.match(message, /it selects db \(postgres\)/);
  assert.match(message, /Let spec.targets select one \(box in this namespace is not selected\)/);
  assert.deepEqual(codes({ ...spec, targets: { types: ['postgres', 'ssh'] } }), []);
  const none = messageOf(spec, 'NoTargetForProtocol', [target('db', 'postgres')]);
  assert.match(none, /Create a Target of type ssh in namespace agents that spec.targets selects/);
  assert.deepEqual(
    codes({ rules: [rule('reads', 'allow', { sql: { statementKinds: ['read'] } }), rule('all', 'deny', {})] }, []),
    ['ShadowedRule@reads', 'NoTargetForProtocol@reads'],
    'an empty match has no protocol to miss; the empty deny also shadows the allow',
  );
  assert.match(messageOf({ rules: [rule('r', 'deny', { http: {} })] }, 'NoTargetForProtocol', []), /it selects no Target/);
});

test('the example policies have no warnings with the example Targets', () => {
  const docs = exampleDocuments().map((e) => e.doc);
  const targets = docs.filter((d) => d.kind === 'Target') as unknown as Target[];
  const policies = docs.filter((d) => d.kind === 'ApprovalPolicy') as unknown as ApprovalPolicy[];
  assert.ok(policies.length > 0);
  for (const example of policies) assert.deepEqual(policyWarnings(example, targets), [], example.metadata.name);
  // Without its Target, the same policy says so for every rule: that is the only warning it can get.
  const prod = policies.find((p) => p.metadata.name === 'prod-databases');
  assert.ok(prod);
  const alone = policyWarnings(prod, []);
  assert.deepEqual(new Set(alone.map((w) => w.code)), new Set(['NoTargetForProtocol']));
  assert.equal(alone.length, prod.spec.rules?.length);
});
