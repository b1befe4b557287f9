import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operationDigest } from '@airlock/contracts/approval';
import type { Decision } from '@airlock/contracts/policy';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { ApprovalSettings } from '@airlock/crds';
import type { AgentPrincipal, ApprovalDraft, ApprovalGate, ApprovalOutcome, PendingApproval, TargetConfig } from '../ports.ts';
import {
  type ApprovalHoldHooks,
  type ApprovalHoldResult,
  type ApprovalHoldSession,
  type ApprovalWaitNotice,
  type HeldOperation,
  holdForApproval,
} from './approval-hold.ts';
import { ApprovalGrants } from './grants.ts';

const principal: AgentPrincipal = {
  identity: 'ci-migrations',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:ci-migrations',
  pod: { name: 'job-1', uid: 'uid-1' },
  groups: [],
};

const target: TargetConfig = {
  name: 'orders-db',
  namespace: 'agents',
  labels: {},
  spec: { type: 'postgres', localPort: 5432, postgres: { host: 'db', database: 'orders' } },
};

/** One request the fake gate holds: the test settles it. */
interface FakeRequest {
  readonly draft: ApprovalDraft;
  readonly name: string;
  settle(outcome: ApprovalOutcome): void;
  fail(error: Error): void;
  readonly withdrawn: string[];
  readonly executions: { ok: boolean; result: string }[];
}

/** An in-memory ApprovalGate: requests wait until the test settles them; `unavailable` makes every request fail. */
class FakeGate implements ApprovalGate {
  readonly requests: FakeRequest[] = [];
  unavailable: Error | undefined;

  async request(_principal: AgentPrincipal, draft: ApprovalDraft): Promise<PendingApproval> {
    if (this.unavailable) throw this.unavailable;
    let settle!: (outcome: ApprovalOutcome) => void;
    let fail!: (error: Error) => void;
    const outcome = new Promise<ApprovalOutcome>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    const name = `request-${this.requests.length + 1}`;
    const request: FakeRequest = { draft, name, settle, fail, withdrawn: [], executions: [] };
    this.requests.push(request);
    return {
      name,
      namespace: 'agents',
      outcome,
      withdraw: async (reason) => {
        request.withdrawn.push(reason);
        settle({ phase: 'Withdrawn', reason });
      },
      reportExecution: async (execution) => {
        request.executions.push(execution);
      },
    };
  }

  /** The request made most recently (a hold asks the gate before its first await). */
  async next(): Promise<FakeRequest> {
    const request = this.requests.at(-1);
    assert.ok(request, 'the hold asked the gate');
    return request;
  }
}

const APPROVERS = { groups: ['db-owners'] };

function heldDecision(approval?: ApprovalSettings): Pick<Decision, 'reason' | 'verdict'> {
  return {
    reason: 'held for approval by ApprovalPolicy prod rule ddl',
    verdict: { policy: 'prod', rule: 'ddl', action: 'requireApproval', mode: 'enforce', ...(approval ? { approval } : {}) },
  };
}

function operation(approval: ApprovalSettings | undefined = { approvers: APPROVERS }, text = 'DROP TABLE t'): HeldOperation {
  return {
    text,
    parameters: [
      { value: Buffer.from('42'), format: 0 },
      { value: Buffer.from([1, 2]), format: 1 },
      { value: null, format: 0 },
    ],
    summary: 'DROP TABLE t',
    statementIndex: 3,
    decision: heldDecision(approval),
    noun: 'statement',
  };
}

/** A session with a fake clock, and hooks that keep what the hold said and recorded. */
function harness() {
  let now = 1_000_000;
  const clock = () => now;
  const gate = new FakeGate();
  const errors: string[] = [];
  const waits: [string, number][] = [];
  const windowGrants = new ApprovalGrants(clock);
  const newSession = (): ApprovalHoldSession => ({
    sessionId: 'session-1',
    target,
    principal,
    gate,
    sessionGrants: new ApprovalGrants(clock),
    windowGrants,
    metrics: { error: (code) => errors.push(code), approvalWait: (outcome, seconds) => waits.push([outcome, seconds]) },
    clock,
  });
  const records: RecordedEvent[] = [];
  const notices: ApprovalWaitNotice[] = [];
  const pendings: PendingApproval[] = [];
  let disconnect!: () => void;
  const hooks: ApprovalHoldHooks = {
    waiting: (notice) => notices.push(notice),
    onPending: (pending) => pendings.push(pending),
    closed: new Promise<void>((resolve) => {
      disconnect = resolve;
    }),
    record: (event) => records.push(event),
  };
  return {
    gate,
    newSession,
    hooks,
    records,
    notices,
    pendings,
    errors,
    waits,
    disconnect: () => disconnect(),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Holds the operation, settles its request with `outcome` after `waitedMs`, and returns the result. */
async function decided(
  h: ReturnType<typeof harness>,
  session: ApprovalHoldSession,
  op: HeldOperation,
  outcome: ApprovalOutcome,
  waitedMs = 0,
): Promise<ApprovalHoldResult> {
  const running = holdForApproval(session, op, h.hooks);
  const request = await h.gate.next();
  h.advance(waitedMs);
  request.settle(outcome);
  return running;
}

describe('holdForApproval', () => {
  test('asks the gate for exactly what will be sent, tells the agent, and releases on approval with a report', async () => {
    const h = harness();
    const op = operation({ approvers: APPROVERS, requiredApprovals: 2, ttl: '5m' });
    const running = holdForApproval(h.newSession(), op, h.hooks);
    const request = await h.gate.next();
    const digest = operationDigest({
      text: op.text,
      parameters: op.parameters,
      target: { namespace: 'agents', name: 'orders-db' },
      identity: { namespace: 'agents', name: 'ci-migrations' },
    });
    assert.deepEqual(request.draft, {
      target: { name: 'orders-db', type: 'postgres' },
      operation: {
        text: 'DROP TABLE t',
        parameters: [{ value: '42', format: 'text' }, { value: 'AQI=', format: 'binary' }, { isNull: true }],
        summary: 'DROP TABLE t',
        digest,
        sessionID: 'session-1',
        sequence: 3,
      },
      policy: { name: 'prod', rule: 'ddl' },
      requiredApprovals: 2,
      approvers: APPROVERS,
      scope: 'once',
      ttlSeconds: 300,
    });
    assert.deepEqual(h.notices, [
      {
        name: 'request-1',
        namespace: 'agents',
        message: 'held for approval by ApprovalPolicy prod rule ddl. Waiting for approval: ApprovalRequest request-1 in namespace agents',
        detail: 'A reviewer approves it with: kubectl approve request-1 -n agents',
      },
    ]);
    assert.equal(h.pendings.length, 1);
    h.advance(2500);
    request.settle({ phase: 'Approved', approvers: ['alice'] });
    const result = await running;
    assert.equal(result.release, true);
    assert.ok(result.release && result.report);
    await result.report({ ok: true, result: 'DROP TABLE' });
    assert.deepEqual(request.executions, [{ ok: true, result: 'DROP TABLE' }]);
    assert.deepEqual(h.records, [
      { type: 'approval.requested', statementIndex: 3, name: 'request-1', namespace: 'agents', digest },
      { type: 'approval.outcome', statementIndex: 3, name: 'request-1', phase: 'Approved', waitedSeconds: 2.5, reviewers: ['alice'] },
    ]);
    assert.deepEqual(h.waits, [['Approved', 2.5]]);
  });

  test('the default TTL is 15 minutes', async () => {
    const h = harness();
    await decided(h, h.newSession(), operation(), { phase: 'Approved', approvers: ['alice'] });
    assert.equal(h.gate.requests[0]?.draft.ttlSeconds, 900);
  });

  test('an approval with scope once covers nothing more', async () => {
    const h = harness();
    const session = h.newSession();
    await decided(h, session, operation(), { phase: 'Approved', approvers: ['alice'] });
    const again = holdForApproval(session, operation(), h.hooks);
    (await h.gate.next()).settle({ phase: 'Expired' });
    await again;
    assert.equal(h.gate.requests.length, 2);
  });

  test('an approval with scope session covers the same bytes again in the same session only', async () => {
    const h = harness();
    const session = h.newSession();
    const op = operation({ approvers: APPROVERS, scope: 'session' });
    await decided(h, session, op, { phase: 'Approved', approvers: ['alice'] });
    h.records.length = 0;
    assert.deepEqual(await holdForApproval(session, op, h.hooks), { release: true });
    assert.equal(h.gate.requests.length, 1, 'the gate was not asked again');
    assert.deepEqual(h.records, [
      {
        type: 'approval.outcome',
        statementIndex: 3,
        name: '(granted earlier)',
        phase: 'Approved',
        reason: 'covered by an earlier approval with scope session or window',
        waitedSeconds: 0,
      },
    ]);
    // Other bytes, or another session, ask again.
    const other = holdForApproval(session, operation({ approvers: APPROVERS, scope: 'session' }, 'DROP TABLE u'), h.hooks);
    (await h.gate.next()).settle({ phase: 'Expired' });
    await other;
    const elsewhere = holdForApproval(h.newSession(), op, h.hooks);
    (await h.gate.next()).settle({ phase: 'Expired' });
    await elsewhere;
    assert.equal(h.gate.requests.length, 3);
  });

  test('an approval with scope window covers the same bytes in every session until the window closes', async () => {
    const h = harness();
    const op = operation({ approvers: APPROVERS, scope: 'window', window: '10m' });
    const approved = await decided(h, h.newSession(), op, { phase: 'Approved', approvers: ['alice'] });
    assert.equal(approved.release, true);
    assert.equal(h.gate.requests[0]?.draft.window, '10m');
    h.advance(9 * 60_000);
    assert.deepEqual(await holdForApproval(h.newSession(), op, h.hooks), { release: true });
    assert.equal(h.gate.requests.length, 1);
    h.advance(60_000);
    const after = holdForApproval(h.newSession(), op, h.hooks);
    (await h.gate.next()).settle({ phase: 'Expired' });
    await after;
    assert.equal(h.gate.requests.length, 2, 'the window closed: the gate is asked again');
  });

  test('without approval settings the operation is refused and nobody is asked', async () => {
    const h = harness();
    const result = await holdForApproval(h.newSession(), { ...operation(), decision: heldDecision(undefined) }, h.hooks);
    assert.deepEqual(result, {
      release: false,
      refusal: { kind: 'NoApprovers', message: 'approval is required but no approvers are configured' },
    });
    assert.equal(h.gate.requests.length, 0);
  });

  test('fails closed when the approval gate is unavailable', async () => {
    const h = harness();
    h.gate.unavailable = new Error('broker unreachable');
    const result = await holdForApproval(h.newSession(), operation(), h.hooks);
    assert.deepEqual(result, {
      release: false,
      refusal: {
        kind: 'ApprovalGateUnavailable',
        message: 'this statement needs approval, but the approval service is unavailable: broker unreachable',
        hint: 'Try again later.',
      },
    });
    assert.deepEqual(h.errors, ['ApprovalGateUnavailable']);
    assert.deepEqual(h.records, [{ type: 'error', statementIndex: 3, code: 'ApprovalGateUnavailable', message: 'broker unreachable' }]);
    assert.deepEqual(h.notices, []);
  });

  test('a denial refuses with the reviewer and the reason', async () => {
    const h = harness();
    const result = await decided(h, h.newSession(), operation(), { phase: 'Denied', reviewer: 'bob', reason: 'use a migration' }, 1000);
    assert.deepEqual(result, {
      release: false,
      refusal: { kind: 'Denied', message: 'ApprovalRequest request-1 was denied by bob: use a migration' },
    });
    assert.deepEqual(h.records.at(-1), {
      type: 'approval.outcome',
      statementIndex: 3,
      name: 'request-1',
      phase: 'Denied',
      waitedSeconds: 1,
      reviewers: ['bob'],
      reason: 'use a migration',
    });
    assert.deepEqual(h.waits, [['Denied', 1]]);
  });

  test('an expired request refuses and says how to ask again', async () => {
    const h = harness();
    const result = await decided(h, h.newSession(), operation(), { phase: 'Expired' }, 300_000);
    assert.deepEqual(result, {
      release: false,
      refusal: {
        kind: 'Expired',
        message: 'ApprovalRequest request-1 expired before it was approved',
        hint: 'Run the statement again to ask again.',
      },
    });
    assert.deepEqual(h.waits, [['Expired', 300]]);
  });

  test('a withdrawn request refuses with the reason', async () => {
    const h = harness();
    const result = await decided(h, h.newSession(), operation(), { phase: 'Withdrawn', reason: 'the sidecar is shutting down' });
    assert.deepEqual(result, {
      release: false,
      refusal: { kind: 'Withdrawn', message: 'ApprovalRequest request-1 withdrawn (the sidecar is shutting down)' },
    });
  });

  test('a failing approval service while waiting reads as withdrawn, never as approved', async () => {
    const h = harness();
    const running = holdForApproval(h.newSession(), operation(), h.hooks);
    (await h.gate.next()).fail(new Error('stream lost'));
    assert.deepEqual(await running, {
      release: false,
      refusal: { kind: 'Withdrawn', message: 'ApprovalRequest request-1 withdrawn (the approval service failed: stream lost)' },
    });
  });

  test('the agent going away withdraws the request and leaves nobody to tell', async () => {
    const h = harness();
    const running = holdForApproval(h.newSession(), operation(), h.hooks);
    const request = await h.gate.next();
    h.advance(4000);
    h.disconnect();
    assert.deepEqual(await running, { release: false });
    assert.deepEqual(request.withdrawn, ['the agent disconnected while the statement was held']);
    assert.deepEqual(h.records.at(-1), {
      type: 'approval.outcome',
      statementIndex: 3,
      name: 'request-1',
      phase: 'Withdrawn',
      reason: 'the agent disconnected',
      waitedSeconds: 4,
    });
    assert.deepEqual(h.waits, [['Withdrawn', 4]]);
  });
});
