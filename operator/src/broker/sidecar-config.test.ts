import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSidecarConfig, neededHashKeys } from './sidecar-config.ts';
import { identity, NS, POD, policy, READS_ALLOWED, sshTarget, target } from './testing/objects.ts';

const KEY = 'a-masking-key-of-at-least-32-bytes!!';

test('the principal is the pod as authenticated, with the identity’s groups and labels', () => {
  const { config } = buildSidecarConfig({
    pod: POD,
    identity: identity(),
    tokenIdentities: [],
    targets: [target()],
    policies: [],
    hashKeys: new Map(),
  });
  assert.deepEqual(config.principal, {
    identity: 'ci-migrations',
    namespace: NS,
    serviceAccount: 'system:serviceaccount:agents:ci-migrations',
    pod: { name: POD.name, uid: POD.uid },
    groups: ['ci'],
    labels: { team: 'payments' },
    targets: ['orders-db'],
  });
  assert.equal(config.tokenTargets, undefined);
  assert.deepEqual(config.targets, [{ name: 'orders-db', namespace: NS, labels: { env: 'test' }, spec: target().spec }]);
  assert.deepEqual(config.policies, []);
  assert.deepEqual(config.maskingKeys, {});
});

test('only policies that select this identity and one of its targets are served', () => {
  const policies = [
    policy('all', READS_ALLOWED),
    policy('by-name', { ...READS_ALLOWED, identities: { names: ['ci-migrations'] } }),
    policy('by-group', { ...READS_ALLOWED, identities: { groups: ['ci'] }, targets: { types: ['postgres'] } }),
    policy('by-label', { ...READS_ALLOWED, identities: { matchLabels: { team: 'payments' } } }),
    policy('other-identity', { ...READS_ALLOWED, identities: { names: ['someone-else'] } }),
    policy('other-target', { ...READS_ALLOWED, targets: { names: ['billing-db'] } }),
    policy('other-namespace', READS_ALLOWED, 'elsewhere'),
  ];
  const { config } = buildSidecarConfig({
    pod: POD,
    identity: identity(),
    tokenIdentities: [],
    targets: [target()],
    policies,
    hashKeys: new Map(),
  });
  assert.deepEqual(
    config.policies.map((p) => p.name),
    ['all', 'by-group', 'by-label', 'by-name'],
  );
});

test('a policy with a rule error is withheld, with the errors, and never served', () => {
  const broken = policy('broken', {
    ...READS_ALLOWED,
    masking: { rules: [{ name: 'cards', columns: ['card_number'], strategy: 'partial' }] },
  });
  const { config, withheld } = buildSidecarConfig({
    pod: POD,
    identity: identity(),
    tokenIdentities: [],
    targets: [target()],
    policies: [broken, policy('fine', READS_ALLOWED)],
    hashKeys: new Map(),
  });
  assert.deepEqual(
    config.policies.map((p) => p.name),
    ['fine'],
  );
  assert.equal(withheld[0]?.policy, 'broken');
  assert.match(withheld[0]?.errors[0]?.message ?? '', /keepFirst/);
});

test('masking keys: served with the policy that names them; a policy whose key Secret is missing is withheld', () => {
  const masked = (name: string, secret: string) =>
    policy(name, {
      ...READS_ALLOWED,
      masking: { hashKeySecretRef: { name: secret, key: 'key' }, rules: [{ name: 'emails', columns: ['email'], strategy: 'hash' }] },
    });
  const policies = [masked('with-key', 'masking-key'), masked('without-key', 'absent')];
  assert.deepEqual(neededHashKeys(policies), [
    { name: 'masking-key', key: 'key' },
    { name: 'absent', key: 'key' },
  ]);
  const { config, withheld } = buildSidecarConfig({
    pod: POD,
    identity: identity(),
    tokenIdentities: [],
    targets: [target()],
    policies,
    hashKeys: new Map([
      ['masking-key/key', { value: KEY }],
      ['absent/key', { missing: 'Secret absent not found in namespace agents' }],
    ]),
  });
  assert.deepEqual(
    config.policies.map((p) => p.name),
    ['with-key'],
  );
  assert.deepEqual(config.maskingKeys, { 'masking-key/key': KEY });
  assert.deepEqual(
    withheld.map((w) => w.policy),
    ['without-key'],
  );
  assert.match(withheld[0]?.errors[0]?.message ?? '', /Secret absent not found/);
});

test('an ssh target carries what the sidecar connects with: host, port and the pinned host keys; its policies come with it', () => {
  const hostPolicy = policy('build-hosts', {
    targets: { types: ['ssh'] },
    rules: [
      { name: 'reads', match: { ssh: { programs: ['ls', 'cat', 'df'] } }, action: 'allow' },
      { name: 'restarts', match: { ssh: { programs: ['systemctl'], arguments: ['restart *'] } }, action: 'requireApproval' },
      { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
    ],
    defaultAction: 'deny',
    approval: { approvers: { groups: ['ops'] } },
  });
  const inputs = {
    pod: POD,
    tokenIdentities: [],
    policies: [hostPolicy, policy('databases', { ...READS_ALLOWED, targets: { types: ['postgres'] } })],
    hashKeys: new Map(),
  };
  const { config, withheld } = buildSidecarConfig({
    ...inputs,
    identity: identity('ci', ['orders-db', 'build-host']),
    targets: [target(), sshTarget()],
  });
  assert.deepEqual(withheld, []);
  const ssh = config.targets.find((t) => t.name === 'build-host');
  assert.deepEqual(ssh?.spec.ssh, {
    host: 'build-01.example',
    port: 22,
    hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa5mW4sRyO7nQ0pXJfVZbkYx3k0pXl9Yv1n1qX2n3Yb'],
  });
  assert.equal(ssh?.spec.type, 'ssh');
  assert.deepEqual(
    config.policies.map((p) => p.name),
    ['build-hosts', 'databases'],
  );
  assert.deepEqual(config.policies[0]?.spec, hostPolicy.spec);
  // A pod without the ssh target is not told about the ssh policy.
  const dbOnly = buildSidecarConfig({ ...inputs, identity: identity(), tokenIdentities: [], targets: [target()] });
  assert.deepEqual(
    dbOnly.config.policies.map((p) => p.name),
    ['databases'],
  );
});

describe('a pod that token identities select', () => {
  const deployMain = (required: boolean) => ({
    ...identity('deploy-main', ['billing-db'], ['deployers']),
    spec: {
      serviceAccountName: 'ci-migrations',
      groups: ['deployers'],
      targets: ['billing-db'],
      oidc: { issuer: 'https://token.ci.example', audiences: ['airlock'], required },
    },
  });
  const policies = [
    policy('for-ci', { ...READS_ALLOWED, identities: { groups: ['ci'] } }),
    policy('for-deployers', { ...READS_ALLOWED, identities: { names: ['deploy-main'] } }),
    policy('for-nobody-here', { ...READS_ALLOWED, identities: { names: ['someone-else'] } }),
  ];

  test('the own principal reaches only its own targets; the token identities’ targets ask for a token', () => {
    const { config } = buildSidecarConfig({
      pod: POD,
      identity: identity(),
      tokenIdentities: [deployMain(true)],
      targets: [target(), target('billing-db', 5433)],
      policies,
      hashKeys: new Map(),
    });
    assert.deepEqual(config.principal?.targets, ['orders-db']);
    assert.deepEqual(config.tokenTargets, ['billing-db']);
    // Policies of every identity the pod's sessions may be, and no other.
    assert.deepEqual(
      config.policies.map((p) => p.name),
      ['for-ci', 'for-deployers'],
    );
  });

  test('when every identity requires a token the config has no principal', () => {
    const { config } = buildSidecarConfig({
      pod: POD,
      tokenIdentities: [deployMain(true)],
      targets: [target('billing-db', 5433)],
      policies,
      hashKeys: new Map(),
    });
    assert.equal(config.principal, undefined);
    assert.deepEqual(config.tokenTargets, ['billing-db']);
    assert.deepEqual(
      config.policies.map((p) => p.name),
      ['for-deployers'],
    );
  });
});

test('policies for delegation depths are served only to pods whose identity may delegate that deep', () => {
  const depthPolicy = policy('sub-sub-agents', { ...READS_ALLOWED, delegationDepth: { min: 2 } });
  const delegating = (maxDepth: number) => {
    const base = identity();
    return { ...base, spec: { ...base.spec, delegation: { maxDepth } } };
  };
  const served = (maxDepth: number) =>
    buildSidecarConfig({
      pod: POD,
      identity: delegating(maxDepth),
      tokenIdentities: [],
      targets: [target()],
      policies: [policy('everyone', READS_ALLOWED), depthPolicy],
      hashKeys: new Map(),
    }).config.policies.map((p) => p.name);
  assert.deepEqual(served(1), ['everyone']);
  assert.deepEqual(served(2), ['everyone', 'sub-sub-agents']);
});
