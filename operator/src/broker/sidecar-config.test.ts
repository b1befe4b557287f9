import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSidecarConfig, neededHashKeys } from './sidecar-config.ts';
import { identity, NS, POD, policy, READS_ALLOWED, sshTarget, target } from './testing/objects.ts';

const KEY = 'a-masking-key-of-at-least-32-bytes!!';

test('the principal is the pod as authenticated, with the identity’s groups and labels', () => {
  const { config } = buildSidecarConfig({ pod: POD, identity: identity(), targets: [target()], policies: [], hashKeys: new Map() });
  assert.deepEqual(config.principal, {
    identity: 'ci-migrations',
    namespace: NS,
    serviceAccount: 'system:serviceaccount:agents:ci-migrations',
    pod: { name: POD.name, uid: POD.uid },
    groups: ['ci'],
    labels: { team: 'payments' },
  });
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
  const { config } = buildSidecarConfig({ pod: POD, identity: identity(), targets: [target()], policies, hashKeys: new Map() });
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
  const dbOnly = buildSidecarConfig({ ...inputs, identity: identity(), targets: [target()] });
  assert.deepEqual(
    dbOnly.config.policies.map((p) => p.name),
    ['databases'],
  );
});
