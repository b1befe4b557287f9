/** Sample recorded sessions (PostgreSQL, SSH) for the recording-format tests here and the sidecar's and plugin's recording tests. */
import type { RecordedEvent } from '../recording/events.ts';

export const SESSION_ID = 'sess-0b9e2c7a';

/** A short PostgreSQL session: open, one allowed SELECT, one held DELETE that was approved, close. */
export function sampleEvents(sessionId = SESSION_ID): RecordedEvent[] {
  return [
    {
      type: 'session.open',
      sessionId,
      protocol: 'postgres',
      target: { name: 'orders-db', namespace: 'agents' },
      principal: {
        identity: 'report-bot',
        namespace: 'agents',
        serviceAccount: 'system:serviceaccount:agents:report-bot',
        pod: { name: 'report-bot-7d9f', uid: '5f1c1c9e-0000-4000-8000-000000000001' },
        groups: ['agents', 'reporting'],
      },
      clientAddress: '127.0.0.1:51234',
      startupParameters: { user: 'agent', database: 'orders', application_name: 'psql' },
    },
    {
      type: 'statement',
      statementIndex: 0,
      text: 'SELECT id, email FROM orders WHERE id = $1',
      flavour: 'extended',
      parameters: [{ value: '42', format: 'text' }],
    },
    {
      type: 'classification',
      statementIndex: 0,
      kinds: ['read'],
      commands: ['SELECT'],
      objects: ['orders'],
      functions: [],
      writesWithoutWhere: false,
      cached: false,
    },
    {
      type: 'decision',
      statementIndex: 0,
      action: 'allow',
      effective: 'allow',
      mode: 'enforce',
      policy: 'agents/prod-db',
      rule: 'reads',
      reason: 'rule reads allows read',
    },
    { type: 'masking', statementIndex: 0, maskedByRule: { email: 1 }, nulledBinary: 0 },
    { type: 'result', statementIndex: 0, commandTag: 'SELECT 1', rows: 1 },
    { type: 'statement', statementIndex: 1, text: 'DELETE FROM orders WHERE id = 42', flavour: 'simple' },
    {
      type: 'decision',
      statementIndex: 1,
      action: 'requireApproval',
      effective: 'requireApproval',
      mode: 'enforce',
      reason: 'deletes need a human',
    },
    { type: 'approval.requested', statementIndex: 1, name: 'report-bot-delete-x7k2', namespace: 'agents', digest: 'ab'.repeat(32) },
    {
      type: 'approval.outcome',
      statementIndex: 1,
      name: 'report-bot-delete-x7k2',
      phase: 'Approved',
      reviewers: ['alice'],
      waitedSeconds: 12.5,
    },
    { type: 'result', statementIndex: 1, commandTag: 'DELETE 1', rows: 1 },
    { type: 'session.close', reason: 'client-terminated', bytesIn: 512, bytesOut: 2048, statements: 2 },
  ];
}

export const SSH_SESSION_ID = 'sess-5d1f7e20';

/** One SSH exec that ran without a terminal, wrote to stdout and stderr and exited 2; bytes as base64, as recorded. */
export function sampleSshEvents(sessionId = SSH_SESSION_ID): RecordedEvent[] {
  const command = "printf 'out\\n'; echo err >&2; exit 2";
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  return [
    {
      type: 'session.open',
      sessionId,
      protocol: 'ssh',
      target: { name: 'orders-bastion', namespace: 'agents' },
      principal: {
        identity: 'release-bot',
        namespace: 'agents',
        serviceAccount: 'system:serviceaccount:agents:release-bot',
        pod: { name: 'release-7kq2x', uid: '5f0c7a2e-2222-4c8e-9d1e-000000000002' },
        groups: ['ci'],
      },
      clientAddress: '127.0.0.1:40022',
      startupParameters: { user: 'agent' },
    },
    { type: 'statement', statementIndex: 0, text: command },
    {
      type: 'classification',
      statementIndex: 0,
      kinds: ['exec'],
      commands: ['printf', 'echo', 'exit'],
      objects: [],
      functions: [],
      writesWithoutWhere: false,
      cached: false,
    },
    {
      type: 'decision',
      statementIndex: 0,
      action: 'allow',
      effective: 'allow',
      mode: 'enforce',
      policy: 'agents/ssh-policy',
      rule: 'harmless',
      reason: 'rule harmless allows it',
    },
    { type: 'terminal', statementIndex: 0 },
    { type: 'output', statementIndex: 0, stream: 'stdout', offsetMs: 3, data: base64('out\n') },
    { type: 'output', statementIndex: 0, stream: 'stderr', offsetMs: 4, data: base64('err\n') },
    {
      type: 'result',
      statementIndex: 0,
      commandTag: 'exit 2',
      exitStatus: 2,
      bytes: { stdin: 0, stdout: 4, stderr: 4 },
      unrecordedBytes: 0,
    },
    { type: 'session.close', reason: 'client-disconnected', bytesIn: 0, bytesOut: 8, statements: 1 },
  ];
}

/** A clock that ticks one millisecond per call from a fixed start. */
export function steppingClock(start = Date.parse('2025-06-01T12:00:00.000Z')): () => Date {
  let now = start;
  return () => new Date(now++);
}
