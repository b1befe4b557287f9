/**
 * A Kubernetes session whose `kubectl exec` the sidecar recorded as a terminal session (held,
 * approved, then run with a tty), written by the sidecar's own recorder: `kubectl approve replay`
 * renders the exec as asciicast, and the session context of a later held request shows the exec
 * with its exit status.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import type { RecordedEvent } from '@airlock/contracts/recording';
import { FileRecordingStore, SessionRecorder } from '@airlock/sidecar';
import { run } from '../cli/run.ts';
import { approvalRequest } from '../testing/requests.ts';
import { readSessionContext } from './recording-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubectl-approve-k8s-exec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SESSION = '01JDZ8Q4R6N3K2M7V5T9W1X0YA';
const EXEC = 'exec pods/worker-0 -n agents -- sh';
const base64 = (text: string) => Buffer.from(text).toString('base64');

function execSession(): RecordedEvent[] {
  return [
    {
      type: 'session.open',
      sessionId: SESSION,
      protocol: 'kubernetes',
      target: { name: 'cluster-api', namespace: 'agents' },
      principal: {
        identity: 'ci-migrations',
        namespace: 'agents',
        serviceAccount: 'system:serviceaccount:agents:ci-migrations',
        pod: { name: 'migrate-orders-28814-x7tqp', uid: '6f1c2a4e-93b1-4c8e-9d55-0b7f3a1e2c44' },
        groups: [],
      },
      clientAddress: '127.0.0.1:51000',
    },
    { type: 'statement', statementIndex: 0, text: 'get pods/worker-0 -n agents\nGET /api/v1/namespaces/agents/pods/worker-0' },
    { type: 'decision', statementIndex: 0, action: 'allow', effective: 'allow', mode: 'enforce', rule: 'reads', reason: 'x' },
    { type: 'result', statementIndex: 0, commandTag: 'HTTP 200', httpStatus: 200, requestBytes: 0, responseBytes: 900 },
    { type: 'statement', statementIndex: 1, text: EXEC },
    {
      type: 'classification',
      statementIndex: 1,
      kinds: ['write'],
      commands: ['create'],
      objects: ['pods/exec/worker-0 -n agents'],
      functions: [],
      writesWithoutWhere: false,
      cached: false,
    },
    {
      type: 'decision',
      statementIndex: 1,
      action: 'requireApproval',
      effective: 'requireApproval',
      mode: 'enforce',
      policy: 'agents/cluster-api-access',
      rule: 'exec-needs-approval',
      reason: 'x',
    },
    { type: 'approval.requested', statementIndex: 1, name: 'ci-exec-worker', namespace: 'agents', digest: 'ab'.repeat(32) },
    { type: 'approval.outcome', statementIndex: 1, name: 'ci-exec-worker', phase: 'Approved', reviewers: ['alice'], waitedSeconds: 30 },
    // As exec/exec-recording.ts records a stream: a pty sized by kubectl's first resize, output, keystrokes, a resize, the exit.
    { type: 'terminal', statementIndex: 1, pty: { term: '', cols: 100, rows: 30 } },
    { type: 'output', statementIndex: 1, stream: 'stdout', offsetMs: 10, data: base64('$ ') },
    { type: 'output', statementIndex: 1, stream: 'stdin', offsetMs: 1000, data: base64('ls\r') },
    { type: 'output', statementIndex: 1, stream: 'stdout', offsetMs: 1010, data: base64('ls\r\nfile\r\n$ ') },
    { type: 'terminal.resize', statementIndex: 1, offsetMs: 1500, cols: 120, rows: 40 },
    {
      type: 'result',
      statementIndex: 1,
      commandTag: 'exit 0',
      exitStatus: 0,
      httpStatus: 101,
      requestBytes: 40,
      responseBytes: 60,
      bytes: { stdin: 3, stdout: 16, stderr: 0 },
      unrecordedBytes: 0,
    },
    { type: 'statement', statementIndex: 2, text: 'delete pods/worker-0 -n agents\nDELETE /api/v1/namespaces/agents/pods/worker-0' },
    { type: 'approval.requested', statementIndex: 2, name: 'ci-delete-worker', namespace: 'agents', digest: 'cd'.repeat(32) },
  ];
}

async function record(directory: string): Promise<void> {
  const store = new FileRecordingStore({ directory, fsync: 'never' });
  let ms = 0;
  const clock = () => new Date(Date.parse('2026-11-21T13:19:00.000Z') + ms++);
  const recorder = new SessionRecorder({ sessionId: SESSION, sink: store.open(SESSION), clock });
  for (const event of execSession()) recorder.record(event);
  await recorder.close();
}

async function plugin(argv: readonly string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await run(argv, {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: {},
    now: () => new Date('2026-11-21T14:00:00Z'),
    signal: new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}

test('kubectl approve replay of a Kubernetes session: the exec as asciicast, keystrokes and resizes included', async () => {
  await record(join(dir, 'local'));
  const result = await plugin(['replay', '--session', SESSION, '--recordings', join(dir, 'local')]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const [header, ...events] = result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
  // The terminal record is the 10th (ms 9); offsets count from it.
  assert.deepEqual(header, {
    version: 2,
    width: 100,
    height: 30,
    timestamp: Math.floor(Date.parse('2026-11-21T13:19:00.009Z') / 1000),
    title: `cluster-api ${EXEC}`,
  });
  assert.deepEqual(events, [
    [0.01, 'o', '$ '],
    [1, 'i', 'ls\r'],
    [1.01, 'o', 'ls\r\nfile\r\n$ '],
    [1.5, 'r', '120x40'],
  ]);
});

test('the session context of a later held request shows the exec, approved, with its exit status', async () => {
  await record(join(dir, 'context'));
  const held = approvalRequest({ name: 'ci-delete-worker', text: 'delete pods/worker-0 -n agents', type: 'kubernetes' });
  const result = await readSessionContext(join(dir, 'context'), held, 10);
  assert.ok(result.found);
  assert.deepEqual(
    result.context.before.map((s) => [s.index, s.text.split('\n')[0], s.decision?.action, s.approval?.phase, s.outcome]),
    [
      [0, 'get pods/worker-0 -n agents', 'allow', undefined, 'HTTP 200'],
      [1, EXEC, 'requireApproval', 'Approved', 'exit 0'],
    ],
  );
});
