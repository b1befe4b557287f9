import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Target, TargetStatus } from '@airlock/crds';
import type { KubeClient } from './client.ts';
import type { EventRecorder } from './events.ts';
import { KINDS } from './kinds.ts';
import { type PlannedEvent, planReadyStatus, type Readiness, writeStatusReport } from './status-report.ts';

const T0 = new Date('2030-01-02T03:04:05.678Z');
const T1 = new Date('2030-01-02T04:00:00Z');

const target = (status?: TargetStatus, generation = 2): Target => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'Target',
  metadata: { name: 'db', namespace: 'agents', uid: 'u1', generation, resourceVersion: '7' },
  spec: { type: 'postgres', localPort: 5432, postgres: { host: 'db', database: 'app' } },
  ...(status ? { status } : {}),
});

const ok: Readiness = { ready: true, reason: 'CredentialsPresent', message: 'fine' };
const noSecret: Readiness = { ready: false, reason: 'SecretNotFound', message: 'Secret s not found' };
const lacksPassword: Readiness = { ready: false, reason: 'KeysMissing', message: 'Secret s lacks key password' };
const lacksBoth: Readiness = { ready: false, reason: 'KeysMissing', message: 'Secret s lacks keys username, password' };

/** The Warnings planned when a Target whose Ready condition came from `before` is found in state `next`. */
function warningsAfter(before: Readiness | undefined, next: Readiness): readonly PlannedEvent[] {
  const first = before ? planReadyStatus<TargetStatus>(target(), {}, before, T0).status : undefined;
  return planReadyStatus<TargetStatus>(target(first), {}, next, T1).events;
}

describe('planReadyStatus', () => {
  test('sets observedGeneration, the fields and the Ready condition over the status as read', () => {
    const report = planReadyStatus<TargetStatus>(target({ endpoint: 'old', observedGeneration: 1 }, 3), { endpoint: 'new' }, ok, T0);
    assert.deepEqual(report.status, {
      observedGeneration: 3,
      endpoint: 'new',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 3,
          lastTransitionTime: '2030-01-02T03:04:05Z',
          reason: 'CredentialsPresent',
          message: 'fine',
        },
      ],
    });
    assert.deepEqual(report.events, []);
  });

  test('keeps lastTransitionTime while Ready keeps its status, moves it when it flips', () => {
    const first = planReadyStatus<TargetStatus>(target(), {}, lacksPassword, T0).status;
    const same = planReadyStatus<TargetStatus>(target(first), {}, lacksBoth, T1).status;
    assert.equal(same.conditions?.[0]?.lastTransitionTime, '2030-01-02T03:04:05Z');
    const flipped = planReadyStatus<TargetStatus>(target(first), {}, ok, T1).status;
    assert.equal(flipped.conditions?.[0]?.lastTransitionTime, '2030-01-02T04:00:00Z');
  });

  test('a Warning when Ready turns False, with the given reason or the condition reason', () => {
    assert.deepEqual(warningsAfter(undefined, noSecret), [{ type: 'Warning', reason: 'SecretNotFound', message: 'Secret s not found' }]);
    assert.deepEqual(warningsAfter(ok, noSecret), [{ type: 'Warning', reason: 'SecretNotFound', message: 'Secret s not found' }]);
    assert.deepEqual(planReadyStatus<TargetStatus>(target(), {}, noSecret, T0, 'CredentialsMissing').events, [
      { type: 'Warning', reason: 'CredentialsMissing', message: 'Secret s not found' },
    ]);
  });

  test('a Warning when the False condition changes its reason or only its message', () => {
    assert.equal(warningsAfter(noSecret, lacksPassword).length, 1, 'reason changed');
    assert.deepEqual(warningsAfter(lacksPassword, lacksBoth), [{ type: 'Warning', reason: 'KeysMissing', message: lacksBoth.message }]);
  });

  test('no Warning for the same False condition, for Ready, or for other status changes', () => {
    assert.deepEqual(warningsAfter(lacksPassword, lacksPassword), []);
    assert.deepEqual(warningsAfter(noSecret, ok), []);
    assert.deepEqual(warningsAfter(undefined, ok), []);
    const first = planReadyStatus<TargetStatus>(target(), { endpoint: 'a' }, noSecret, T0).status;
    const edited = planReadyStatus<TargetStatus>(target(first, 5), { endpoint: 'b' }, noSecret, T1);
    assert.equal(edited.status.observedGeneration, 5);
    assert.deepEqual(edited.events, [], 'a new generation or endpoint is no news about readiness');
  });
});

describe('writeStatusReport', () => {
  function fakes() {
    const patches: { path: string; body: unknown }[] = [];
    const recorded: unknown[][] = [];
    const client = {
      patch: async (path: string, body: unknown) => {
        patches.push({ path, body });
        return {};
      },
    } as unknown as KubeClient;
    const events = { record: (...args: unknown[]) => recorded.push(args) } as unknown as EventRecorder;
    return { deps: { client, events }, patches, recorded };
  }

  test('writes a changed status, then records the planned Events', async () => {
    const { deps, patches, recorded } = fakes();
    const object = target();
    const report = planReadyStatus<TargetStatus>(object, {}, noSecret, T0, 'CredentialsMissing');
    assert.equal(await writeStatusReport(deps, KINDS.target, object, report), 'written');
    assert.equal(patches.length, 1);
    assert.match(patches[0]?.path ?? '', /\/namespaces\/agents\/targets\/db\/status$/);
    assert.deepEqual(recorded, [[object, 'Warning', 'CredentialsMissing', 'Secret s not found']]);
  });

  test('an unchanged status: no request and no Event, even if some were planned', async () => {
    const { deps, patches, recorded } = fakes();
    const status = planReadyStatus<TargetStatus>(target(), {}, noSecret, T0).status;
    const object = target(status);
    const report = { status, events: [{ type: 'Warning', reason: 'X', message: 'y' }] as const };
    assert.equal(await writeStatusReport(deps, KINDS.target, object, report), 'unchanged');
    assert.deepEqual(patches, []);
    assert.deepEqual(recorded, []);
  });

  test('a failed write records nothing (the retry plans the Warning again)', async () => {
    const recorded: unknown[][] = [];
    const client = {
      patch: async () => {
        throw new Error('409 Conflict');
      },
    } as unknown as KubeClient;
    const events = { record: (...args: unknown[]) => recorded.push(args) } as unknown as EventRecorder;
    const object = target();
    const report = planReadyStatus<TargetStatus>(object, {}, noSecret, T0);
    await assert.rejects(writeStatusReport({ client, events }, KINDS.target, object, report), /409/);
    assert.deepEqual(recorded, []);
    assert.equal(planReadyStatus<TargetStatus>(object, {}, noSecret, T1).events.length, 1);
  });
});
