/**
 * Leader election, Events, and a Controller writing status, against a real kube-apiserver.
 * Lease timings are shortened (3 s lease, 2 s renew deadline, 0.5 s retry) so takeovers happen
 * in seconds; waits are generous and nothing asserts how fast something happened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Target, TargetStatus } from '@airlock/crds';
import { ControlPlane, installCrds } from '@airlock/testkit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { collectionPath, isConflict, KubeClient, objectPath } from './client.ts';
import { setCondition } from './conditions.ts';
import { Controller } from './controller.ts';
import { createControllerMetrics } from './controller-metrics.ts';
import { type CoreEvent, EventRecorder } from './events.ts';
import { Informer } from './informer.ts';
import { KINDS } from './kinds.ts';
import { LeaderElector, type LeaderElectorOptions, type Lease, microTime } from './leader-election.ts';
import { splitObjectKey } from './object-key.ts';
import { writeStatusIfChanged } from './status-writer.ts';
import { createNamespace, eventually, kubeConfigVia, targetBody } from './testing/fixtures.ts';
import { TcpRelay } from './testing/tcp-relay.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const NS = 'machinery';
const FAST = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 } as const;

let plane: ControlPlane;
let admin: KubeClient;
const cleanups: (() => Promise<void> | void)[] = [];

before(async () => {
  plane = await ControlPlane.start({ controllers: false, log: (line) => process.stderr.write(`# ${line}\n`) });
  await installCrds(plane);
  admin = new KubeClient(plane.kubeConfig('admin'));
  await createNamespace(admin, NS);
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await admin?.close();
  await plane?.stop();
});

/** An elector that records what happened to it; stopped in after() if the test did not. */
function candidate(identity: string, lease: string, overrides: Partial<LeaderElectorOptions> = {}) {
  const log = { started: 0, stopped: 0, signals: [] as AbortSignal[] };
  const elector = new LeaderElector({
    client: admin,
    namespace: NS,
    name: lease,
    identity,
    ...FAST,
    logger,
    onStartedLeading: (signal) => {
      log.started++;
      log.signals.push(signal);
    },
    onStoppedLeading: () => {
      log.stopped++;
    },
    ...overrides,
  });
  cleanups.push(() => elector.stop());
  return { elector, log };
}

const readLease = (name: string) => admin.get<Lease>(objectPath(KINDS.lease, NS, name));

describe('LeaderElector', () => {
  test('of two candidates exactly one leads; when it stops, it releases and the other takes over', { timeout: 120_000 }, async () => {
    const a = candidate('replica-a', 'two-candidates');
    const b = candidate('replica-b', 'two-candidates');
    let maxLeaders = 0;
    const watchOverlap = setInterval(() => {
      maxLeaders = Math.max(maxLeaders, Number(a.elector.isLeader()) + Number(b.elector.isLeader()));
    }, 10);
    cleanups.push(() => clearInterval(watchOverlap));
    a.elector.start();
    b.elector.start();
    await eventually(() => a.elector.isLeader() || b.elector.isLeader(), 'a leader');
    await sleep(2_000); // four retry periods: the other keeps trying and must keep failing
    assert.equal(Number(a.elector.isLeader()) + Number(b.elector.isLeader()), 1, 'exactly one leads');
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    assert.equal(leader.log.started, 1);
    assert.equal(follower.log.started, 0);
    const held = await readLease('two-candidates');
    assert.equal(held.spec?.holderIdentity, leader === a ? 'replica-a' : 'replica-b');

    await leader.elector.stop();
    assert.equal(leader.elector.isLeader(), false);
    assert.equal(leader.log.stopped, 1, 'onStoppedLeading called once');
    assert.equal(leader.log.signals[0]?.aborted, true, 'the leading signal was aborted');
    await eventually(() => follower.elector.isLeader(), 'the follower to take over');
    const taken = await readLease('two-candidates');
    assert.equal(taken.spec?.holderIdentity, follower === a ? 'replica-a' : 'replica-b');
    assert.equal(taken.spec?.leaseTransitions, 1, 'created by the first leader (0), taken by the second (1)');
    assert.equal(maxLeaders, 1, 'never two leaders at once');
    await follower.elector.stop();
    assert.equal((await readLease('two-candidates')).spec?.holderIdentity, '', 'released on stop');
  });

  test('a Lease held by a dead holder is taken only after it expires', { timeout: 120_000 }, async () => {
    const created = Date.now();
    await admin.create(collectionPath(KINDS.lease, NS), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'dead-holder', namespace: NS },
      spec: {
        holderIdentity: 'crashed-replica',
        leaseDurationSeconds: 3,
        acquireTime: microTime(new Date()),
        renewTime: microTime(new Date()),
        leaseTransitions: 4,
      },
    } as Lease);
    let tookOverAt = 0;
    const { elector } = candidate('replica-c', 'dead-holder', {
      onStartedLeading: () => {
        tookOverAt = Date.now();
      },
    });
    elector.start();
    await sleep(1_500); // three retry periods, well inside the dead holder's 3 s claim
    assert.equal(elector.isLeader(), false, 'a claim that has not expired is respected');
    await eventually(() => elector.isLeader(), 'the takeover');
    assert.ok(tookOverAt - created >= 3_000, `taken ${tookOverAt - created} ms after the claim was written, before it expired`);
    const lease = await readLease('dead-holder');
    assert.equal(lease.spec?.holderIdentity, 'replica-c');
    assert.equal(lease.spec?.leaseTransitions, 5);
    await elector.stop();
  });

  test('a leader that cannot renew before the deadline stops leading, and leads again once it can', { timeout: 120_000 }, async () => {
    const relay = await TcpRelay.start({ host: '127.0.0.1', port: Number(new URL(plane.server).port) });
    const viaRelay = new KubeClient(kubeConfigVia(plane, relay.port), { requestTimeoutMs: 1_000 });
    cleanups.push(async () => {
      await viaRelay.close();
      await relay.stop();
    });
    const d = candidate('replica-d', 'cut-off', { client: viaRelay });
    d.elector.start();
    await eventually(() => d.elector.isLeader(), 'leading');
    relay.cut();
    await eventually(() => !d.elector.isLeader(), 'giving up after the renew deadline');
    assert.equal(d.log.signals[0]?.aborted, true, 'the leading work was told to stop');
    assert.equal(d.log.stopped, 1);
    relay.heal();
    await eventually(() => d.elector.isLeader(), 'leading again after the partition');
    assert.equal(d.log.started, 2);
    await d.elector.stop();
  });

  test('a leader whose Lease another replica took stops leading at its next renewal', { timeout: 120_000 }, async () => {
    const e = candidate('replica-e', 'stolen');
    e.elector.start();
    await eventually(() => e.elector.isLeader(), 'leading');
    const lease = await readLease('stolen');
    await admin.replace(objectPath(KINDS.lease, NS, 'stolen'), {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'usurper', leaseDurationSeconds: 60, renewTime: microTime(new Date()) },
    });
    await eventually(() => !e.elector.isLeader(), 'stepping down');
    assert.equal(e.log.stopped, 1);
    assert.equal(e.log.signals[0]?.aborted, true);
    await e.elector.stop();
    assert.equal((await readLease('stolen')).spec?.holderIdentity, 'usurper', 'a replica that lost does not release what it does not hold');
  });

  test('timings that could let two leaders overlap are refused', () => {
    assert.throws(
      () =>
        new LeaderElector({
          client: admin,
          namespace: NS,
          name: 'x',
          identity: 'x',
          logger,
          leaseDurationSeconds: 10,
          renewDeadlineSeconds: 10,
          onStartedLeading: () => {},
          onStoppedLeading: () => {},
        }),
      { code: 'InvalidLeaderElectionTimings' },
    );
  });
});

describe('EventRecorder', () => {
  test('the same event twice is one Event with count 2; another message is another Event', { timeout: 60_000 }, async () => {
    const target = await admin.create<Target>(collectionPath(KINDS.target, NS), targetBody(NS, 'evented'));
    const recorder = new EventRecorder({ client: admin, component: 'airlock-operator', instance: 'replica-a', logger });
    recorder.record(target, 'Warning', 'SecretNotFound', 'Secret orders-db-credentials not found in machinery');
    recorder.record(target, 'Warning', 'SecretNotFound', 'Secret orders-db-credentials not found in machinery');
    recorder.record(target, 'Normal', 'CredentialsPresent', 'the Secret has username and password');
    recorder.record({ kind: 'Target', metadata: { name: 'no-uid' } }, 'Normal', 'Ignored', 'never written'); // no throw
    await recorder.flush();
    const events = await admin.list<CoreEvent>(collectionPath(KINDS.event, NS), {
      fieldSelector: `involvedObject.uid=${target.metadata.uid}`,
    });
    const byReason = new Map(events.items.map((e) => [e.reason, e]));
    assert.equal(events.items.length, 2);
    const warning = byReason.get('SecretNotFound');
    assert.equal(warning?.count, 2);
    assert.equal(warning?.type, 'Warning');
    assert.equal(warning?.message, 'Secret orders-db-credentials not found in machinery');
    assert.deepEqual(
      { kind: warning?.involvedObject.kind, name: warning?.involvedObject.name, apiVersion: warning?.involvedObject.apiVersion },
      { kind: 'Target', name: 'evented', apiVersion: 'airlock.dev/v1alpha1' },
    );
    assert.equal(warning?.source.component, 'airlock-operator');
    assert.equal(warning?.reportingComponent, 'airlock-operator');
    assert.equal(warning?.reportingInstance, 'replica-a');
    assert.equal(byReason.get('CredentialsPresent')?.count, 1);
    // Outside the correlation window a repeat is a new Event.
    const forgetful = new EventRecorder({ client: admin, component: 'airlock-operator', logger, correlationWindowMs: 0 });
    forgetful.record(target, 'Normal', 'Rechecked', 'checked again');
    forgetful.record(target, 'Normal', 'Rechecked', 'checked again');
    await forgetful.flush();
    const rechecked = await admin.list<CoreEvent>(collectionPath(KINDS.event, NS), {
      fieldSelector: `involvedObject.uid=${target.metadata.uid},reason=Rechecked`,
    });
    assert.deepEqual(
      rechecked.items.map((e) => e.count),
      [1, 1],
    );
    // kubectl shows them on the object.
    const described = await plane.kubectl(['describe', 'target', '-n', NS, 'evented']);
    assert.match(described.stdout, /Warning\s+SecretNotFound\s+.*\(x2 over/);
  });
});

describe('Controller with an Informer and the status writer', () => {
  test('a reconcile that fails once is retried; status is written once, then the same pass is unchanged', {
    timeout: 120_000,
  }, async () => {
    await admin.create(collectionPath(KINDS.target, NS), targetBody(NS, 'reconciled'));
    const informer = new Informer<Target>(admin, KINDS.target, { namespace: NS });
    cleanups.push(() => informer.stop());
    await informer.start();
    const registry = new Registry();
    const outcomes: string[] = [];
    const versions: string[] = [];
    let failedOnce = false;
    const controller = new Controller({
      name: 'target-test',
      logger,
      metrics: createControllerMetrics(registry),
      backoff: { baseMs: 50, maxMs: 1_000 },
      reconcile: async (key) => {
        const { namespace, name } = splitObjectKey(key);
        if (name !== 'reconciled') return;
        if (!failedOnce) {
          failedOnce = true;
          outcomes.push('error');
          throw new Error('the first pass fails, as a flaky API call would');
        }
        const target = informer.get(namespace, name);
        if (!target) return;
        const generation = target.metadata.generation ?? 1;
        const status: TargetStatus = {
          observedGeneration: generation,
          endpoint: 'postgres://orders-db.prod.svc.cluster.local:5432/orders',
          conditions: setCondition(
            target.status?.conditions,
            { type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'Secret orders-db-credentials not found' },
            generation,
            new Date(),
          ),
        };
        outcomes.push(await writeStatusIfChanged(admin, KINDS.target, target, status));
        versions.push(target.metadata.resourceVersion ?? '');
      },
    });
    cleanups.push(() => controller.stop());
    controller.watch(informer);
    controller.start();
    // error → written → (the informer sees the status update, the key runs again) → unchanged
    await eventually(() => outcomes.includes('unchanged'), 'a pass that finds the status already right');
    await sleep(1_000); // time for any further (wrong) write to happen
    assert.deepEqual(outcomes, ['error', 'written', 'unchanged']);
    const stored = await admin.get<Target>(objectPath(KINDS.target, NS, 'reconciled'));
    assert.equal(stored.metadata.resourceVersion, versions[1], 'the unchanged pass saw the written version and wrote nothing');
    assert.equal(stored.status?.conditions?.[0]?.reason, 'SecretNotFound');
    assert.equal(stored.status?.observedGeneration, 1);
    const metrics = await registry.metrics();
    assert.match(metrics, /airlock_operator_reconciles_total\{controller="target-test",result="error"\} 1/);

    // A status computed from an outdated copy is refused with 409, for the controller to retry.
    const outdated = { ...stored, metadata: { ...stored.metadata, resourceVersion: versions[0] } };
    await assert.rejects(writeStatusIfChanged(admin, KINDS.target, outdated, { ...stored.status, endpoint: 'stale' }), (error: unknown) =>
      isConflict(error),
    );
    await controller.stop();
  });
});
