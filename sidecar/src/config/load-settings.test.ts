import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSettings, SettingsError } from './load-settings.ts';

const target = {
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'Target',
  metadata: { name: 'orders-db', namespace: 'agents', labels: { env: 'prod' } },
  spec: {
    type: 'postgres',
    localPort: 5432,
    postgres: { host: 'db', database: 'orders' },
    credentialsSecretRef: { name: 'orders-db-credentials' },
  },
};

const policy = {
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'ApprovalPolicy',
  metadata: { name: 'p', namespace: 'agents' },
  spec: { rules: [{ name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' }] },
};

const valid = () => ({
  controlPlane: {
    mode: 'static',
    static: {
      principal: { identity: 'ci', namespace: 'agents', serviceAccount: 'system:serviceaccount:agents:ci', pod: { name: 'p', uid: 'u' } },
      targets: [target],
      policies: [policy],
      credentials: { 'orders-db': { username: 'u', password: 'p' } },
    },
  },
});

test('valid settings load with defaults and typed targets and policies', () => {
  const loaded = parseSettings(valid());
  assert.equal(loaded.settings.listenHost, '127.0.0.1');
  assert.equal(loaded.settings.limits.maxStatementBytes, 64 * 1024);
  assert.equal(loaded.config.targets[0]?.spec.postgres?.database, 'orders');
  assert.deepEqual(loaded.config.targets[0]?.labels, { env: 'prod' });
  assert.equal(loaded.config.policies[0]?.name, 'p');
  assert.deepEqual(loaded.config.principal.groups, []);
});

const issuesOf = (doc: unknown): string[] => {
  try {
    parseSettings(doc);
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    assert.equal(error.code, 'InvalidSettings');
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  return assert.fail('expected invalid settings');
};

test('errors name the bad field', () => {
  const unknown = valid() as Record<string, unknown>;
  unknown.listenPort = 1;
  assert.deepEqual(issuesOf(unknown), ['listenPort: unknown field']);
  const badLimit = { ...valid(), limits: { maxStatementBytes: 10 } };
  assert.match(issuesOf(badLimit).join('\n'), /^limits\.maxStatementBytes: must be >= 1024/m);
});

test('embedded Targets and ApprovalPolicies are checked against the CRD schema, CEL rules included', () => {
  const doc = valid();
  doc.controlPlane.static.targets = [{ ...target, spec: { ...target.spec, localPort: 15001 } }];
  doc.controlPlane.static.policies = [
    { ...policy, spec: { rules: [{ name: 'x', match: { sql: { statementKinds: ['sideways'] } }, action: 'allow' }] } },
  ];
  const issues = issuesOf(doc).join('\n');
  assert.match(issues, /controlPlane\.static\.targets\[0\]\.spec: localPort 15000-15099 is reserved/);
  assert.match(issues, /controlPlane\.static\.policies\[0\]\.spec\.rules\[0\]\.match\.sql\.statementKinds\[0\]/);
});

test('static mode always has the pod principal: settings without one do not load', () => {
  const doc = valid();
  delete (doc.controlPlane.static as { principal?: unknown }).principal;
  assert.deepEqual(issuesOf(doc), ["controlPlane.static: must have required property 'principal'"]);
});

test('a postgres target without credentials is refused', () => {
  const doc = valid();
  (doc.controlPlane.static as { credentials: Record<string, unknown> }).credentials = {};
  assert.deepEqual(issuesOf(doc), ['controlPlane.static.credentials.orders-db: required: credentials for postgres target orders-db']);
});

const sshTarget = {
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'Target',
  metadata: { name: 'build-host', namespace: 'agents' },
  spec: {
    type: 'ssh',
    localPort: 2222,
    ssh: { host: 'build-01', hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample'] },
    credentialsSecretRef: { name: 'build-host-credentials' },
  },
};

test('credentials fit their target type: postgres a password, ssh a private key or a password', () => {
  const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
  const withSsh = (credentials: Record<string, unknown>) => {
    const doc = valid();
    (doc.controlPlane.static as { targets: unknown[] }).targets = [target, sshTarget];
    (doc.controlPlane.static as { credentials: Record<string, unknown> }).credentials = credentials;
    return doc;
  };
  const pg = { username: 'u', password: 'p' };
  const loaded = parseSettings(withSsh({ 'orders-db': pg, 'build-host': { username: 'deploy', privateKey: KEY } }));
  assert.deepEqual(loaded.credentials['build-host'], { username: 'deploy', privateKey: KEY });
  assert.deepEqual(
    parseSettings(withSsh({ 'orders-db': pg, 'build-host': { username: 'deploy', password: 'pw' } })).config.targets.length,
    2,
  );
  const issues = (credentials: Record<string, unknown>) => issuesOf(withSsh({ 'orders-db': pg, ...credentials }));
  assert.deepEqual(issues({}), ['controlPlane.static.credentials.build-host: required: credentials for ssh target build-host']);
  assert.deepEqual(issues({ 'build-host': { username: 'deploy' } }), [
    'controlPlane.static.credentials.build-host: an ssh target needs privateKey or password',
  ]);
  assert.deepEqual(issues({ 'build-host': { username: 'deploy', privateKey: KEY, password: 'pw' } }), [
    'controlPlane.static.credentials.build-host: set privateKey or password, not both',
  ]);
  assert.deepEqual(issues({ 'orders-db': { username: 'u' }, 'build-host': { username: 'deploy', password: 'pw' } }), [
    'controlPlane.static.credentials.orders-db: a postgres target needs password',
  ]);
});
