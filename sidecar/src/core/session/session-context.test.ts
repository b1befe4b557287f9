import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSqlMatch, type SqlFacts } from '@airlock/contracts/policy';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import { Registry } from 'prom-client';
import { InProcessApprovalGate } from '../../in-process/in-process-gate.ts';
import { StaticConfigSource } from '../../in-process/static-config.ts';
import { ApprovalGrants } from '../approval/grants.ts';
import { createSidecarMetrics } from '../observability/metrics.ts';
import type { AgentPrincipal, PolicyConfig, SidecarConfig, TargetConfig } from '../ports.ts';
import { InMemoryRecordingStore } from '../recording/memory-sink.ts';
import { RecordingHealth } from '../recording/recording-health.ts';
import { compileForSession, createSessionContexts, MaskingConfigError } from './session-context.ts';

const principal = (identity: string, groups: string[] = []): AgentPrincipal => ({
  identity,
  namespace: 'agents',
  serviceAccount: `system:serviceaccount:agents:${identity}`,
  pod: { name: `${identity}-0`, uid: `${identity}-uid` },
  groups,
});

const CI = principal('ci-migrations', ['ci']);
const ANALYST = principal('analyst');

const target = (name: string, namespace = 'agents', spec: Partial<TargetConfig['spec']> = {}): TargetConfig => ({
  name,
  namespace,
  labels: { env: 'prod' },
  spec: { type: 'postgres', localPort: 5432, postgres: { host: 'db', database: name }, ...spec },
});

const ORDERS = target('orders-db');

const policy = (name: string, spec: Partial<ApprovalPolicySpec>, namespace = 'agents'): PolicyConfig => ({
  name,
  namespace,
  spec: { rules: [{ name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' }], defaultAction: 'deny', ...spec },
});

const POLICIES: PolicyConfig[] = [
  policy('for-ci', { identities: { groups: ['ci'] } }),
  policy('for-everyone', {}),
  policy('for-billing', { targets: { names: ['billing-db'] } }),
  policy('elsewhere', {}, 'other-team'),
];

const config = (policies: PolicyConfig[] = POLICIES, maskingKeys: Record<string, string> = {}): SidecarConfig => ({
  principal: CI,
  targets: [ORDERS],
  policies,
  maskingKeys,
});

const names = (compiled: { policies: readonly { name: string }[] }): string[] => compiled.policies.map((p) => p.name);

describe('compileForSession', () => {
  test('selects the policies of the target namespace whose identity and target selectors match', () => {
    assert.deepEqual(names(compileForSession(config(), CI, ORDERS, compileSqlMatch)), ['for-ci', 'for-everyone']);
    assert.deepEqual(names(compileForSession(config(), ANALYST, ORDERS, compileSqlMatch)), ['for-everyone']);
    assert.deepEqual(names(compileForSession(config(), ANALYST, target('billing-db'), compileSqlMatch)), ['for-billing', 'for-everyone']);
    assert.deepEqual(names(compileForSession(config(), CI, target('orders-db', 'other-team'), compileSqlMatch)), ['elsewhere']);
  });

  test('compiles each rule with the protocol’s match compiler', () => {
    const seen: string[] = [];
    compileForSession(config(), CI, ORDERS, (rule) => {
      seen.push(rule.action);
      return compileSqlMatch(rule);
    });
    assert.deepEqual(seen, ['allow', 'allow']);
  });

  test('no masking rules and no profile: no masking rules at all, so responses are never inspected', () => {
    assert.equal(compileForSession(config(), CI, ORDERS, compileSqlMatch).maskingRules, undefined);
    const profiled = compileForSession(config(), CI, target('orders-db', 'agents', { maskingProfile: 'pii' }), compileSqlMatch);
    assert.ok(profiled.maskingRules && profiled.maskingRules.length > 0);
  });

  test('masking rules of the applicable policies compile, with the hash key their policy names', () => {
    const masked = policy('masked', {
      masking: { hashKeySecretRef: { name: 'masking-key', key: 'key' }, rules: [{ name: 'emails', columns: ['email'], strategy: 'hash' }] },
    });
    const compiled = compileForSession(
      config([masked], { 'masking-key/key': 'a-test-masking-key-of-32-bytes!!' }),
      CI,
      ORDERS,
      compileSqlMatch,
    );
    assert.equal(compiled.maskingRules?.length, 1);
  });

  test('a masking rule that does not compile is a MaskingConfigError, not a weaker masker', () => {
    // Strategy hash without the policy's hash key cannot compile.
    const broken = policy('broken', { masking: { rules: [{ name: 'emails', columns: ['email'], strategy: 'hash' }] } });
    assert.throws(
      () => compileForSession(config([broken]), CI, ORDERS, compileSqlMatch),
      (error: unknown) =>
        error instanceof MaskingConfigError &&
        error.code === 'MaskingConfigInvalid' &&
        error.message.startsWith('masking rules for target orders-db do not compile: broken/emails '),
    );
  });
});

describe('createSessionContexts', () => {
  function contexts(source: StaticConfigSource, store = new InMemoryRecordingStore()) {
    const metrics = createSidecarMetrics(new Registry(), { defaultMetrics: false });
    const open = createSessionContexts<SqlFacts>({
      protocol: 'postgres',
      compileMatch: compileSqlMatch,
      target: ORDERS,
      config: source,
      gate: new InProcessApprovalGate(),
      windowGrants: new ApprovalGrants(),
      recordings: store,
      recordingHealth: new RecordingHealth({
        storeFailures: metrics.recordingStoreFailures,
        lostRecords: metrics.recordingLostRecords,
        blockedSessions: metrics.recordingBlocked,
        failingSessions: metrics.recordingStoreFailing,
      }),
      metrics,
      logger: createLogger({ level: 'silent' }),
      clock: () => Date.parse('2025-01-31T12:00:00.000Z'),
    });
    let n = 0;
    return (who: AgentPrincipal, startupParameters?: Record<string, string>) =>
      open({
        sessionId: `session-${++n}`,
        principal: who,
        clientAddress: '127.0.0.1:40000',
        ...(startupParameters ? { startupParameters } : {}),
      });
  }

  test('the compiled policies are reused for the same config and principal, and recompiled when either changes', async () => {
    const source = new StaticConfigSource(config());
    const open = contexts(source);
    const first = open(CI);
    assert.equal(open(CI).policies, first.policies);
    const other = open(ANALYST);
    assert.notEqual(other.policies, first.policies);
    assert.deepEqual(names(other), ['for-everyone']);
    source.set(config());
    const afterChange = open(ANALYST);
    assert.notEqual(afterChange.policies, other.policies);
    assert.equal(open(ANALYST).policies, afterChange.policies);
  });

  test('each session records session.open with the protocol and only the startup parameters that are not secrets', async () => {
    const store = new InMemoryRecordingStore();
    const open = contexts(new StaticConfigSource(config()), store);
    const context = open(CI, { user: 'app', database: 'orders', password: 'hunter2' });
    await context.record.opened();
    assert.deepEqual(store.sessions.get('session-1')?.records[0]?.event, {
      type: 'session.open',
      sessionId: 'session-1',
      protocol: 'postgres',
      target: { name: 'orders-db', namespace: 'agents' },
      principal: {
        identity: 'ci-migrations',
        namespace: 'agents',
        serviceAccount: 'system:serviceaccount:agents:ci-migrations',
        pod: { name: 'ci-migrations-0', uid: 'ci-migrations-uid' },
        groups: ['ci'],
      },
      clientAddress: '127.0.0.1:40000',
      startupParameters: { user: 'app', database: 'orders' },
    });
    await context.record.close();
  });

  test("a sub-agent's session.open names its issuer, who it acts for, and where it is in the delegation chain", async () => {
    const store = new InMemoryRecordingStore();
    const open = contexts(new StaticConfigSource(config()), store);
    const subAgent: AgentPrincipal = {
      ...CI,
      onBehalfOf: 'alice@example.com',
      issuer: 'https://ci.example',
      targets: ['orders-db'],
      expiresAt: '2030-01-01T00:00:00Z',
      delegation: { depth: 2, chain: ['planner', 'sql-writer'] },
    };
    const context = open(subAgent);
    await context.record.opened();
    const event = store.sessions.get('session-1')?.records[0]?.event;
    assert.equal(event?.type, 'session.open');
    assert.deepEqual(event?.type === 'session.open' && event.principal, {
      identity: 'ci-migrations',
      namespace: 'agents',
      serviceAccount: 'system:serviceaccount:agents:ci-migrations',
      pod: { name: 'ci-migrations-0', uid: 'ci-migrations-uid' },
      groups: ['ci'],
      onBehalfOf: 'alice@example.com',
      issuer: 'https://ci.example',
      delegation: { depth: 2, chain: ['planner', 'sql-writer'] },
    });
    await context.record.close();
  });

  test('a masking rule that does not compile fails the session, not silently', () => {
    const broken = policy('broken', { masking: { rules: [{ name: 'emails', columns: ['email'], strategy: 'hash' }] } });
    const open = contexts(new StaticConfigSource(config([broken])));
    assert.throws(() => open(CI), MaskingConfigError);
  });
});
