import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CHAIN_START, chainRecord, RecordingError, verifyJsonl } from '@airlock/contracts/recording';
import { SESSION_ID, sampleEvents, steppingClock } from '@airlock/contracts/testing/sample-events';
import { FileRecordingStore, FileSink } from './file-sink.ts';
import { SessionRecorder } from './session-recorder.ts';

const run = promisify(execFile);
const VERIFY_MAIN = join(import.meta.dirname, 'verify-main.ts');

/** Runs the verifier CLI; resolves with its exit code and output instead of rejecting on exit 1. */
async function verifyCli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [VERIFY_MAIN, ...args]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('FileRecordingStore', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'airlock-recording-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The open-file flags (octal, as the kernel shows them) of this process's descriptor for `path`. */
  async function openFlags(path: string): Promise<number> {
    for (const fd of await readdir('/proc/self/fd')) {
      const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
      if (target !== path) continue;
      const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
      const flags = /^flags:\s+([0-7]+)$/m.exec(info)?.[1];
      assert.ok(flags, `no flags in fdinfo of ${path}`);
      return Number.parseInt(flags, 8);
    }
    throw new Error(`${path} is not open in this process`);
  }

  test('fsync batch: the file is written with O_DSYNC, so each batch is durable when append() resolves; never: without', async () => {
    // One write per batch is both the write and the fdatasync; a regression to a plain write
    // would still pass every other test here, since no test can pull the power.
    for (const fsync of ['batch', 'never'] as const) {
      const directory = join(root, `dsync-${fsync}`);
      const sink = new FileRecordingStore({ directory, fsync }).open('s-dsync');
      await sink.append([chainRecord(CHAIN_START, 's-dsync', new Date(0), sampleEvents('s-dsync')[0]!)]);
      const flags = await openFlags(join(directory, 's-dsync.jsonl'));
      assert.equal((flags & constants.O_DSYNC) !== 0, fsync === 'batch', `flags ${flags.toString(8)} with fsync ${fsync}`);
      await sink.close();
    }
  });

  async function recordSession(directory: string, sessionId = SESSION_ID): Promise<string> {
    const store = new FileRecordingStore({ directory });
    const recorder = new SessionRecorder({ sessionId, sink: store.open(sessionId), clock: steppingClock(), maxBatchRecords: 5 });
    for (const event of sampleEvents(sessionId)) recorder.record(event);
    await recorder.close();
    return join(directory, `${sessionId}.jsonl`);
  }

  test('round trip: one JSONL file per session, in a directory it creates, that verifies', async () => {
    const directory = join(root, 'round-trip', 'nested');
    const file = await recordSession(directory);
    const text = await readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 12);
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(
      lines.map((line) => JSON.parse(line).event),
      sampleEvents(),
    );
    const result = verifyJsonl(text, { session: SESSION_ID, requireClose: true });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.count, 12);
  });

  test('the verifier CLI passes a good file and fails a tampered one', async () => {
    const directory = join(root, 'cli');
    const good = await recordSession(directory, 'sess-good');
    const ok = await verifyCli(good);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /sess-good\.jsonl: OK, 12 records \(seq 0\.\.11\), ends with session\.close/);

    const lines = (await readFile(good, 'utf8')).split('\n');
    const tampered = join(directory, 'sess-tampered.jsonl');
    const modified = [...lines];
    modified[6] = modified[6]!.replace('DELETE FROM orders WHERE id = 42', 'DELETE FROM orders');
    await writeFile(tampered, modified.join('\n').replaceAll('sess-good', 'sess-tampered'));
    const bad = await verifyCli(good, tampered);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /sess-good\.jsonl: OK/);
    assert.match(bad.stdout, /sess-tampered\.jsonl: modified at seq 0 \(line 1\)/, 'renaming the session rewrites every hash input');

    const cut = join(directory, 'sess-good-copy.jsonl');
    await writeFile(cut, `${lines.slice(0, 5).join('\n')}\n`);
    const wrongName = await verifyCli(cut);
    assert.equal(wrongName.code, 1);
    assert.match(wrongName.stdout, /wrong-session/);

    const truncated = join(directory, 'truncated', 'sess-good.jsonl');
    await recordSession(join(directory, 'truncated'), 'sess-good');
    await writeFile(truncated, `${lines.slice(0, 5).join('\n')}\n`);
    const open = await verifyCli(truncated);
    assert.equal(open.code, 0);
    assert.match(open.stdout, /no session\.close at the end/);
    const required = await verifyCli('--require-close', truncated);
    assert.equal(required.code, 1);
    assert.match(required.stdout, /truncated-tail at seq 5/);

    assert.equal((await verifyCli()).code, 2);
  });

  test('session ids must be plain file names', () => {
    const store = new FileRecordingStore({ directory: root });
    for (const id of ['', '.', '..', '../escape', 'a/b', 'a\\b', 'x'.repeat(129)]) {
      assert.throws(
        () => store.open(id),
        (error: unknown) => error instanceof RecordingError && error.code === 'InvalidSessionId',
        id,
      );
    }
  });

  test('a session file has one writer', async () => {
    const directory = join(root, 'exclusive');
    const file = await recordSession(directory, 'sess-once');
    const before = await readFile(file, 'utf8');
    const again = new FileSink({ directory, sessionId: 'sess-once' });
    const record = chainRecord(CHAIN_START, 'sess-once', new Date(0), sampleEvents('sess-once')[0]!);
    await assert.rejects(again.append([record]), (error: unknown) => error instanceof RecordingError && error.code === 'SessionFileExists');
    await again.close();
    assert.equal(await readFile(file, 'utf8'), before);
  });

  test('store errors reach the recorder; under Block it holds traffic until the store recovers', async () => {
    // A regular file where the directory should be: mkdir fails with ENOTDIR until it is removed.
    const blocker = join(root, 'blocked');
    await writeFile(blocker, 'not a directory');
    const directory = join(blocker, 'sessions');
    const errors: unknown[] = [];
    const recorder = new SessionRecorder({
      sessionId: SESSION_ID,
      sink: new FileRecordingStore({ directory }).open(SESSION_ID),
      clock: steppingClock(),
      onStoreFailure: 'Block',
      maxBatchDelayMs: 1,
      initialRetryDelayMs: 5,
      maxRetryDelayMs: 10,
      observer: { storeError: (error) => errors.push(error) },
    });
    const events = sampleEvents();
    recorder.record(events[0]!);
    recorder.record(events[1]!);
    await sleep(30);
    assert.equal(recorder.blocked, true);
    assert.equal(recorder.writable, false);
    assert.ok(errors.length >= 2, 'retried');
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOTDIR');

    await rm(blocker);
    await recorder.whenWritable();
    assert.equal(recorder.blocked, false);
    for (const event of events.slice(2)) recorder.record(event);
    await recorder.close();
    const result = verifyJsonl(await readFile(join(directory, `${SESSION_ID}.jsonl`), 'utf8'), { requireClose: true });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.count, 12);
  });
});
