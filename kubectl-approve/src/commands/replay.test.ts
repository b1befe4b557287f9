/**
 * `kubectl approve replay --session ID`, run in-process as main.ts runs it, over recordings the
 * sidecar's own recorder wrote (hash chain included) in both layouts the plugin reads.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { type RecordedEvent, renderAsciicast, toAsciicast, verifiedPrefix } from '@airlock/contracts/recording';
import { SESSION_ID, SSH_SESSION_ID, sampleEvents, sampleSshEvents } from '@airlock/contracts/testing/sample-events';
import { FileRecordingStore, SessionRecorder } from '@airlock/sidecar';
import { run } from '../cli/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubectl-approve-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function record(directory: string, events: readonly RecordedEvent[], session: string): Promise<string> {
  const store = new FileRecordingStore({ directory, fsync: 'never' });
  let ms = 0;
  const clock = () => new Date(Date.parse('2026-11-21T13:19:00.000Z') + ms++);
  const recorder = new SessionRecorder({ sessionId: session, sink: store.open(session), clock });
  for (const event of events) recorder.record(event);
  await recorder.close();
  return join(directory, `${session}.jsonl`);
}

/** The plugin as main.ts runs it, with its output collected. */
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

test('--session from the sidecar’s layout: the session’s cast on stdout', async () => {
  const path = await record(join(dir, 'local'), sampleSshEvents(), SSH_SESSION_ID);
  const result = await plugin(['replay', '--session', SSH_SESSION_ID, '--recordings', join(dir, 'local')]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout, renderAsciicast(toAsciicast(verifiedPrefix(readFileSync(path, 'utf8')).records)));
  const [header, ...events] = result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
  assert.deepEqual(header, {
    version: 2,
    width: 80,
    height: 24,
    timestamp: Math.floor(Date.parse('2026-11-21T13:19:00.004Z') / 1000),
    title: "orders-bastion printf 'out\\n'; echo err >&2; exit 2",
  });
  assert.deepEqual(events, [
    [0.003, 'o', 'out\r\n'],
    [0.004, 'o', 'err\r\n'],
  ]);
});

test('--session finds the operator’s layout (<dir>/<namespace>/<pod>/<session>.jsonl); --output writes a file, never over one', async () => {
  await record(join(dir, 'ingest', 'agents', 'release-7kq2x'), sampleSshEvents(), SSH_SESSION_ID);
  const cast = join(dir, 'session.cast');
  const written = await plugin(['replay', '--session', SSH_SESSION_ID, '--recordings', join(dir, 'ingest'), '--output', cast]);
  assert.equal(written.code, 0, written.stderr);
  assert.equal(written.stdout, '');
  assert.match(written.stderr, /wrote .*session\.cast: 2 events of 1 command\(s\); play it with asciinema play/);
  assert.match(readFileSync(cast, 'utf8'), /^\{"version":2,/);
  const again = await plugin(['replay', '--session', SSH_SESSION_ID, '--recordings', join(dir, 'ingest'), '-o', cast]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^error \(Usage\): .*session\.cast exists: remove it or choose another --output file\n$/);
});

test('a broken hash chain: only what came before the break is replayed, and stderr says so', async () => {
  const path = await record(join(dir, 'tampered'), sampleSshEvents(), SSH_SESSION_ID);
  const lines = readFileSync(path, 'utf8').split('\n');
  // Someone rewrites what the command printed on stderr (seq 6).
  lines[6] = lines[6]!.replace(Buffer.from('err\n').toString('base64'), Buffer.from('fine\n').toString('base64'));
  writeFileSync(path, lines.join('\n'));
  const result = await plugin(['replay', '--session', SSH_SESSION_ID, '--recordings', join(dir, 'tampered')]);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /hash chain BROKEN \(.*seq 6.*\); only what was recorded before the break is replayed/);
  assert.deepEqual(result.stdout.trimEnd().split('\n').slice(1), ['[0.003,"o","out\\r\\n"]']);
});

test('no recording, or not an SSH session: NotFound, saying where it looked or what to use instead', async () => {
  mkdirSync(join(dir, 'empty', 'agents', 'some-pod'), { recursive: true });
  const missing = await plugin(['replay', '--session', 'sess-missing', '--recordings', join(dir, 'empty')]);
  assert.equal(missing.code, 3);
  assert.match(
    missing.stderr,
    /^error \(NotFound\): no recording of session sess-missing in .*empty \(looked for .*sess-missing\.jsonl, .*agents\/some-pod\/sess-missing\.jsonl\)/,
  );
  await record(join(dir, 'postgres'), sampleEvents(), SESSION_ID);
  const postgres = await plugin(['replay', '--session', SESSION_ID, '--recordings', join(dir, 'postgres')]);
  assert.equal(postgres.code, 3);
  assert.match(postgres.stderr, /is a postgres session: it has no terminal output to replay; kubectl approve show/);
});

test('a session in which nothing ran is an empty cast, with a note', async () => {
  const denied = sampleSshEvents().filter((event) => !['terminal', 'output', 'result'].includes(event.type));
  await record(join(dir, 'denied'), denied, SSH_SESSION_ID);
  const result = await plugin(['replay', '--session', SSH_SESSION_ID, '--recordings', join(dir, 'denied')]);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /ran no command \(denied and held commands show nothing\): the cast is empty/);
  assert.equal(result.stdout.trimEnd().split('\n').length, 1);
});

test('replay --help', async () => {
  const result = await plugin(['replay', '--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Replay what an SSH session or a Kubernetes exec showed/);
});
