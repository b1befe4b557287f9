/**
 * SSH sessions recorded as replayable terminal output, end to end: the real OpenSSH `ssh` as the
 * agent, the sidecar, a real sshd; the session's JSONL read back, its hash chain verified, exported
 * to asciicast v2, and the export read by the real asciinema (`asciinema cat`, `asciinema play`),
 * whose output must be what the agent's terminal showed. Also: a pty's terminal and window changes
 * (ssh2 client), what the command read on stdin, the session's recording bound, and recording
 * Block when the store fills up in the middle of a command's output (a small tmpfs).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type Asciicast,
  type RecordedEvent,
  renderAsciicast,
  type StoredRecord,
  toAsciicast,
  verifiedPrefix,
} from '@airlock/contracts/recording';
import { eventually, SshServer, TmpfsMount } from '@airlock/testkit';
import { runSsh, type SshProxyFixture, startSshProxy } from './testing/ssh-proxy-fixture.ts';
import { connectAgent } from './testing/ssh2-agent.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';
const asciinema = spawnSync('asciinema', ['--version']).status === 0 && spawnSync('script', ['--version']).status === 0;
const skipAsciinema = skip || (asciinema ? false : 'needs asciinema and script (scripts/install-system-packages.sh installs them)');

/** The bound for this sidecar's sessions: small, so that one command passes it. */
const MAX_RECORDED_BYTES = 64 * 1024;

let server: SshServer;
let proxy: SshProxyFixture;
let castDir: string;

before(async () => {
  if (skip) return;
  server = await SshServer.start();
  proxy = await startSshProxy(server, { limits: { maxRecordedBytes: MAX_RECORDED_BYTES } });
  castDir = mkdtempSync(join(tmpdir(), 'airlock-casts-'));
});

after(async () => {
  await proxy?.close();
  await server?.stop();
  if (castDir) rmSync(castDir, { recursive: true, force: true });
});

/** A command no other test runs, so that its session is found by its text. */
const unique = (command: string) => `${command} # ${randomBytes(4).toString('hex')}`;

/** The closed session whose statement is `text`, read as the plugin reads it: only what the hash chain vouches for. */
async function sessionOf(text: string): Promise<readonly StoredRecord<RecordedEvent>[]> {
  return eventually(
    `the closed session of ${text}`,
    () => {
      for (const file of readdirSync(proxy.recordingsDir).filter((name) => name.endsWith('.jsonl'))) {
        const content = readFileSync(join(proxy.recordingsDir, file), 'utf8');
        if (!content.includes(JSON.stringify(text).slice(1, -1)) || !content.includes('"session.close"')) continue;
        const { verdict, records } = verifiedPrefix(content);
        assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.message);
        if (records.some((record) => record.event.type === 'statement' && record.event.text === text)) return records;
      }
      return undefined;
    },
    { timeoutMs: 5000 },
  );
}

const outputOf = (records: readonly StoredRecord<RecordedEvent>[], stream: string) =>
  Buffer.concat(
    records.flatMap(({ event }) => (event.type === 'output' && event.stream === stream ? [Buffer.from(event.data, 'base64')] : [])),
  );

/** The asciicast v2 shape, checked line by line: a header object, then [non-decreasing seconds, o|i|r|m, text]. */
function assertAsciicastV2(text: string): void {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a newline');
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(header.version, 2);
  assert.ok(Number.isInteger(header.width) && (header.width as number) > 0, 'width');
  assert.ok(Number.isInteger(header.height) && (header.height as number) > 0, 'height');
  assert.ok(header.timestamp === undefined || Number.isInteger(header.timestamp), 'timestamp');
  let last = 0;
  for (const line of lines.slice(1)) {
    const event = JSON.parse(line) as unknown[];
    assert.equal(event.length, 3, line);
    const [time, code, data] = event;
    assert.ok(typeof time === 'number' && time >= last, `time ${String(time)} after ${last}`);
    assert.ok(['o', 'i', 'r', 'm'].includes(code as string), line);
    assert.equal(typeof data, 'string', line);
    last = time as number;
  }
}

/** Writes the cast and runs asciinema on a pseudo-terminal (it opens /dev/tty) that passes bytes as they are (stty -opost). */
async function asciinemaOutput(cast: Asciicast, command: 'cat' | 'play'): Promise<string> {
  const file = join(castDir, `${randomBytes(4).toString('hex')}.cast`);
  const text = renderAsciicast(cast);
  writeFileSync(file, text);
  assertAsciicastV2(text);
  const run = command === 'cat' ? `asciinema cat ${file}` : `asciinema play -s 50 ${file}`;
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', `stty -opost; ${run}`, '/dev/null'], { timeout: 20_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${run} failed: ${error.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('an exec without a terminal, replayed', { skip: skipAsciinema }, () => {
  test('asciinema cat and play of the export show exactly what the agent printed; the result carries the exit status', async () => {
    const command = unique("printf 'out\\n'; echo err >&2; exit 2");
    const run = await runSsh(proxy, command);
    assert.equal(run.code, 2, run.stderr);
    assert.deepEqual([run.stdout.toString(), run.stderr], ['out\n', 'err\n']);

    const records = await sessionOf(command);
    const events = records.map((record) => record.event);
    const types = events.map((event) => event.type);
    assert.deepEqual(types.slice(types.indexOf('statement'), types.indexOf('terminal') + 1), [
      'statement',
      'classification',
      'decision',
      'terminal',
    ]);
    assert.deepEqual(
      events.find((event) => event.type === 'terminal'),
      { type: 'terminal', statementIndex: 0 },
    );
    assert.equal(outputOf(records, 'stdout').toString(), 'out\n');
    assert.equal(outputOf(records, 'stderr').toString(), 'err\n');
    const result = events.find((event) => event.type === 'result');
    assert.deepEqual(result, {
      type: 'result',
      statementIndex: 0,
      commandTag: 'exit 2',
      exitStatus: 2,
      bytes: { stdin: 0, stdout: 4, stderr: 4 },
      unrecordedBytes: 0,
    });
    assert.ok(types.indexOf('result') < types.indexOf('session.close'));

    const cast = toAsciicast(records);
    assert.equal(cast.header.title, `orders-bastion ${command}`);
    // The agent's own terminal would have shown each LF as CR LF.
    const shown = `${run.stdout.toString()}${run.stderr}`.replaceAll('\n', '\r\n');
    assert.equal(await asciinemaOutput(cast, 'cat'), shown);
    assert.equal(await asciinemaOutput(cast, 'play'), shown);
  });
});

describe('an exec on a terminal, replayed', { skip: skipAsciinema }, () => {
  test('ssh -tt: the terminal type and size are recorded and the replay is the bytes the agent got', async () => {
    const command = unique("printf 'caf\\303\\251\\tdone\\n'; printf 'to stderr\\n' >&2");
    const run = await runSsh(proxy, command, { args: ['-tt'], env: { TERM: 'xterm-256color' } });
    assert.equal(run.code, 0, run.stderr);
    const records = await sessionOf(command);
    const terminal = records.find((record) => record.event.type === 'terminal')?.event;
    assert.equal(terminal?.type === 'terminal' && terminal.pty?.term, 'xterm-256color');
    const cast = toAsciicast(records);
    assert.deepEqual(cast.header.env, { TERM: 'xterm-256color' });
    // On a pty the host's terminal merged stderr into stdout and turned LF into CR LF.
    assert.equal(run.stdout.toString(), 'café\tdone\r\nto stderr\r\n');
    assert.equal(await asciinemaOutput(cast, 'cat'), run.stdout.toString());
  });
});

describe('what a command reads, window changes, and the bound', { skip }, () => {
  test('window changes on a pty are recorded and become resize events', async () => {
    const client = await connectAgent(proxy.port);
    const command = unique("printf 'ready\\n'; sleep 1; printf 'resized\\n'");
    try {
      const closed = await new Promise<Promise<void>>((resolve, reject) =>
        client.exec(command, { pty: { term: 'vt100', cols: 80, rows: 24 } }, (error, channel) => {
          if (error) {
            reject(error);
            return;
          }
          // Once the command runs (its first output), the agent's terminal grows.
          channel.once('data', () => channel.setWindow(40, 132, 0, 0));
          resolve(new Promise<void>((done) => channel.on('close', () => done()).resume()));
        }),
      );
      await closed;
    } finally {
      client.end();
    }
    const records = await sessionOf(command);
    const resize = records.find((record) => record.event.type === 'terminal.resize')?.event;
    assert.deepEqual(resize?.type === 'terminal.resize' && [resize.cols, resize.rows], [132, 40]);
    assert.ok(toAsciicast(records).events.some(([, code, data]) => code === 'r' && data === '132x40'));
  });

  test('stdin of an exec is recorded as what the command read (a script piped to it is what ran)', async () => {
    const command = unique('cat');
    const input = Buffer.from('echo this is the script\n');
    const run = await runSsh(proxy, command, { stdin: input });
    assert.equal(run.code, 0, run.stderr);
    const records = await sessionOf(command);
    assert.ok(outputOf(records, 'stdin').equals(input));
    assert.ok(outputOf(records, 'stdout').equals(input));
    // Not shown in a replay: no terminal displayed it.
    assert.equal(await asciinemaOutputOrSkip(toAsciicast(records)), input.toString().replaceAll('\n', '\r\n'));
  });

  test('past the session’s bound output is counted, not recorded; output.truncated says where; the agent still gets every byte', async () => {
    const size = 3 * MAX_RECORDED_BYTES;
    const command = unique(`head -c ${size} /dev/zero`);
    const run = await runSsh(proxy, command);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.length, size);
    const records = await sessionOf(command);
    const events = records.map((record) => record.event);
    assert.equal(outputOf(records, 'stdout').length, MAX_RECORDED_BYTES);
    assert.deepEqual(
      events.filter((event) => event.type === 'output.truncated').map((event) => event.type === 'output.truncated' && event.limitBytes),
      [MAX_RECORDED_BYTES],
    );
    const result = events.find((event) => event.type === 'result');
    assert.deepEqual(result?.type === 'result' && [result.bytes?.stdout, result.unrecordedBytes], [size, size - MAX_RECORDED_BYTES]);
    // Coalesced: a 192 KiB transfer is a handful of events, not one per SSH packet or read.
    const outputs = events.filter((event) => event.type === 'output').length;
    assert.ok(outputs <= 8, `${outputs} output events for ${MAX_RECORDED_BYTES} recorded bytes`);
  });
});

describe('recording Block while output flows', { skip: skip || (TmpfsMount.available() ? false : 'needs root to mount a tmpfs') }, () => {
  test('a store that fills up stops the output within blockTimeout: the agent reads why and gets no exit status', async () => {
    const mount = TmpfsMount.mount({ sizeBytes: 1024 * 1024, prefix: 'airlock-ssh-store-tmpfs-' });
    let full: SshProxyFixture | undefined;
    try {
      full = await startSshProxy(server, {
        recordingsDir: join(mount.path, 'recordings'),
        recording: { onStoreFailure: 'Block', blockTimeout: '1s', flushTimeout: '1s' },
      });
      // 16 MiB of output cannot be recorded on a 1 MiB store.
      const size = 16 * 1024 * 1024;
      const started = performance.now();
      const run = await runSsh(full, `head -c ${size} /dev/zero`);
      const took = performance.now() - started;
      assert.equal(run.code, 255, run.stderr);
      assert.match(
        run.stderr,
        /^airlock: the session's records cannot be stored, so the output was cut off here and the exit status is withheld: .*ENOSPC/,
      );
      assert.ok(run.stdout.length < size, `${run.stdout.length} bytes reached the agent`);
      // At most the window (4 MiB, channel-capture.ts), one checkpoint's worth (1 MiB) and what the
      // store took before it was full (1 MiB of base64) passed.
      assert.ok(run.stdout.length <= 6 * 1024 * 1024, `${run.stdout.length} bytes reached the agent`);
      assert.ok(took < 10_000, `stopped after ${Math.round(took)} ms`);
    } finally {
      await full?.close();
      mount.unmount();
    }
  });
});

/** asciinema cat when it is installed; otherwise the text the export holds. */
async function asciinemaOutputOrSkip(cast: Asciicast): Promise<string> {
  if (asciinema) return asciinemaOutput(cast, 'cat');
  return cast.events.flatMap(([, code, data]) => (code === 'o' ? [data] : [])).join('');
}
