import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RecordedEvent } from '@airlock/contracts/recording';
import { FileRecordingStore, SessionRecorder } from '@airlock/sidecar';
import { requestView } from '../format/request-view.ts';
import { approvalRequest, NOW } from '../testing/requests.ts';
import { readSessionContext } from './recording-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubectl-approve-recordings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const request = approvalRequest({ name: 'ci-migrations-held', text: 'DROP TABLE public.order_archive_2019' });
const session = request.spec.operation.sessionID;

/** The session as the sidecar records it: four statements, then the held DROP TABLE (index 4, the request's sequence). */
function events(): RecordedEvent[] {
  const principal = {
    identity: 'ci-migrations',
    namespace: 'agents',
    serviceAccount: 'system:serviceaccount:agents:ci-migrations',
    pod: { name: 'migrate-orders-28814-x7tqp', uid: '6f1c2a4e-93b1-4c8e-9d55-0b7f3a1e2c44' },
    groups: [],
  };
  const statement = (i: number, text: string, action: 'allow' | 'deny' | 'requireApproval', tag?: string): RecordedEvent[] => [
    { type: 'statement', statementIndex: i, text, flavour: 'simple' },
    {
      type: 'decision',
      statementIndex: i,
      action,
      effective: action,
      mode: 'enforce',
      policy: 'agents/prod-databases',
      rule: `r${i}`,
      reason: 'x',
    },
    ...(tag ? [{ type: 'result' as const, statementIndex: i, commandTag: tag }] : []),
  ];
  return [
    {
      type: 'session.open',
      sessionId: session,
      protocol: 'postgres',
      target: { name: 'orders-db', namespace: 'agents' },
      principal,
      clientAddress: '127.0.0.1:5000',
    },
    ...statement(0, 'BEGIN', 'allow', 'BEGIN'),
    ...statement(1, 'SELECT count(*) FROM public.order_archive_2019', 'allow', 'SELECT 1'),
    ...statement(2, 'TRUNCATE orders', 'deny'),
    { type: 'error', statementIndex: 2, code: 'Denied', message: 'denied by rule no-truncate', sqlstate: '42501' },
    ...statement(3, 'SELECT 1', 'allow', 'SELECT 1'),
    ...statement(4, 'DROP TABLE public.order_archive_2019', 'requireApproval'),
    { type: 'approval.requested', statementIndex: 4, name: 'ci-migrations-held', namespace: 'agents', digest: 'd4'.repeat(32) },
  ];
}

async function record(directory: string): Promise<string> {
  const store = new FileRecordingStore({ directory, fsync: 'never' });
  let second = 0;
  const clock = () => new Date(Date.parse('2026-11-21T13:19:00.000Z') + 1000 * second++);
  const recorder = new SessionRecorder({ sessionId: session, sink: store.open(session), clock });
  for (const event of events()) recorder.record(event);
  await recorder.close();
  return join(directory, `${session}.jsonl`);
}

test("the statements before the held one, from the operator's layout, chain verified", async () => {
  await record(join(dir, 'ingest', 'agents', 'migrate-orders-28814-x7tqp'));
  const result = await readSessionContext(join(dir, 'ingest'), request, 3);
  assert.ok(result.found);
  const { context } = result;
  assert.deepEqual(context.chain, { ok: true, records: 16 });
  assert.equal(context.omitted, 1);
  assert.deepEqual(
    context.before.map((s) => [s.index, s.text, s.decision?.action, s.outcome]),
    [
      [1, 'SELECT count(*) FROM public.order_archive_2019', 'allow', 'SELECT 1'],
      [2, 'TRUNCATE orders', 'deny', 'error 42501: denied by rule no-truncate'],
      [3, 'SELECT 1', 'allow', 'SELECT 1'],
    ],
  );
  assert.equal(context.held?.text, request.spec.operation.text);
  assert.equal(context.principal?.serviceAccount, request.spec.requester.serviceAccount);
});

test('a local sidecar store (<dir>/<session>.jsonl) works too; a missing session says where it looked', async () => {
  await record(join(dir, 'local'));
  assert.ok((await readSessionContext(join(dir, 'local'), request, 10)).found);
  const missing = await readSessionContext(join(dir, 'nothing-here'), request, 10);
  assert.equal(missing.found, false);
  assert.match(missing.found ? '' : missing.reason, /no recording of session 01JDZ8Q4R6N3K2M7V5T9W1X0YA in .*nothing-here/);
});

test('records after a break in the chain are not shown', async () => {
  const path = await record(join(dir, 'tampered'));
  const lines = readFileSync(path, 'utf8').split('\n');
  // Someone rewrites the TRUNCATE (seq 7) into something harmless-looking.
  lines[7] = lines[7]!.replace('TRUNCATE orders', 'SELECT now()');
  writeFileSync(path, lines.join('\n'));
  const result = await readSessionContext(join(dir, 'tampered'), request, 10);
  assert.ok(result.found);
  assert.equal(result.context.chain.ok, false);
  assert.match(result.context.chain.ok ? '' : result.context.chain.message, /seq 7/);
  assert.deepEqual(
    result.context.before.map((s) => s.text),
    ['BEGIN', 'SELECT count(*) FROM public.order_archive_2019'],
  );
});

test('an SSH session: the commands before the held one with their exit status, in the words of SSH', async () => {
  const held = approvalRequest({ name: 'release-bot-restart', text: 'systemctl restart orders', type: 'ssh' });
  const open = events()[0]!;
  const command = (i: number, text: string, result: RecordedEvent | undefined): RecordedEvent[] => [
    { type: 'statement', statementIndex: i, text },
    { type: 'decision', statementIndex: i, action: 'allow', effective: 'allow', mode: 'enforce', rule: 'harmless', reason: 'x' },
    { type: 'terminal', statementIndex: i },
    { type: 'output', statementIndex: i, stream: 'stdout', offsetMs: 1, data: Buffer.from('x\n').toString('base64') },
    ...(result ? [result] : []),
  ];
  const sshEvents: RecordedEvent[] = [
    {
      ...(open as Extract<RecordedEvent, { type: 'session.open' }>),
      protocol: 'ssh',
      target: { name: 'orders-bastion', namespace: 'agents' },
    },
    ...command(0, 'id -un', { type: 'result', statementIndex: 0, commandTag: 'exit 0', exitStatus: 0 }),
    ...command(1, 'systemctl status orders', { type: 'result', statementIndex: 1, commandTag: 'exit 3', exitStatus: 3 }),
    ...command(2, 'kill -TERM $$', { type: 'result', statementIndex: 2, commandTag: 'signal TERM', signal: 'TERM' }),
    // A recording from before the SSH fields: the tag alone.
    ...command(3, 'true', { type: 'result', statementIndex: 3, commandTag: 'exit 0' }),
    { type: 'statement', statementIndex: 4, text: 'systemctl restart orders' },
    { type: 'approval.requested', statementIndex: 4, name: 'release-bot-restart', namespace: 'agents', digest: 'ab'.repeat(32) },
  ];
  const store = new FileRecordingStore({ directory: join(dir, 'ssh'), fsync: 'never' });
  const recorder = new SessionRecorder({
    sessionId: session,
    sink: store.open(session),
    clock: () => new Date('2026-11-21T13:19:00.000Z'),
  });
  for (const event of sshEvents) recorder.record(event);
  await recorder.close();
  const context = await readSessionContext(join(dir, 'ssh'), held, 10);
  assert.ok(context.found);
  assert.deepEqual(
    context.context.before.map((s) => [s.index, s.text, s.outcome]),
    [
      [0, 'id -un', 'exit 0'],
      [1, 'systemctl status orders', 'exit 3'],
      [2, 'kill -TERM $$', 'signal TERM'],
      [3, 'true', 'exit 0'],
    ],
  );
  const view = requestView(held, { now: NOW, context });
  assert.match(view, /Command for ssh Target orders-db:/);
  assert.match(view, /Session 01JDZ8Q4R6N3K2M7V5T9W1X0YA before this command \(.*hash chain verified, 23 records\):/);
  assert.match(view, /#1 +2026-11-21T13:19:00Z +allow \(harmless\) +systemctl status orders +exit 3/);
  assert.doesNotMatch(view, /statement/);
});
