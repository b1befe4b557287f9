/**
 * `kubectl exec` through the real sidecar (static mode) to an API server that speaks the exec
 * WebSocket protocol as the kubelet does (testing/fake-exec-api-server.ts: no kubelet can run here),
 * with the real kubectl as the agent: what kubectl prints and its exit code are what the command
 * did, unchanged by the taps, and the session's recording holds the stream as SSH records a
 * channel — a `terminal`, stdin and stdout (or stderr) as `output`, and a `result` with the exit
 * status and `httpStatus` 101 — from which the asciicast replay shows what the agent saw.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RecordedEvent, type StoredRecord, toAsciicast, verifiedPrefix } from '@airlock/contracts/recording';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { ControlPlane, eventually } from '@airlock/testkit';
import { type KubernetesSidecarFixture, startKubernetesSidecar } from '../testing/kubernetes-sidecar-fixture.ts';
import { type FakeExecApiServer, POD_NAME, POD_NAMESPACE, startFakeExecApiServer } from './testing/fake-exec-api-server.ts';

const TOKEN = 'fake-exec-api-token';

/** Reads and exec in any namespace; everything else is refused. */
const EXEC_POLICY: ApprovalPolicySpec = {
  rules: [
    { name: 'reads', match: { kubernetes: { verbs: ['get', 'list', 'watch'] } }, action: 'allow' },
    { name: 'exec', match: { kubernetes: { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] } }, action: 'allow' },
  ],
  defaultAction: 'deny',
};

let kubectlBinary: string;
let upstream: FakeExecApiServer;
let fixture: KubernetesSidecarFixture;
let cacheDir: string;

before(async () => {
  // The testkit builds (or finds in its cache) the pinned kubectl along with the control plane.
  const plane = await ControlPlane.start({ controllers: false });
  kubectlBinary = plane.binaries.kubectl;
  await plane.stop();
  upstream = await startFakeExecApiServer({ token: TOKEN });
  fixture = await startKubernetesSidecar({
    credentials: { server: upstream.server, caBundle: upstream.caPem, token: TOKEN },
    policy: EXEC_POLICY,
  });
  cacheDir = mkdtempSync(join(tmpdir(), 'airlock-kubectl-cache-'));
});

after(async () => {
  await fixture?.close();
  await upstream?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

interface KubectlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real kubectl as the agent, with the sidecar's kubeconfig and `stdin` piped in. */
function kubectl(args: readonly string[], stdin = ''): Promise<KubectlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlBinary, ['--cache-dir', cacheDir, '-n', POD_NAMESPACE, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: cacheDir, KUBECONFIG: fixture.kubeconfigPath },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function sessions(): (readonly StoredRecord<RecordedEvent>[])[] {
  return readdirSync(fixture.recordingsDir)
    .filter((file) => file.endsWith('.jsonl'))
    .map((file) => {
      const { verdict, records } = verifiedPrefix(readFileSync(join(fixture.recordingsDir, file), 'utf8'));
      assert.ok(verdict.ok, `${file}: ${verdict.ok ? '' : verdict.message}`);
      return records;
    });
}

/** The session whose statement is the exec whose command line contains `command`, once its connection closed. */
async function execSession(command: string): Promise<readonly StoredRecord<RecordedEvent>[]> {
  return eventually(`the recorded session of the exec of ${command}`, () =>
    sessions().find(
      (records) =>
        records.some(
          (r) => r.event.type === 'statement' && r.event.text.startsWith(`exec pods/${POD_NAME}`) && r.event.text.includes(command),
        ) && records.some((r) => r.event.type === 'session.close'),
    ),
  );
}

const decoded = (events: readonly RecordedEvent[], stream: string) =>
  events.flatMap((e) => (e.type === 'output' && e.stream === stream ? [Buffer.from(e.data, 'base64').toString()] : [])).join('');

describe('kubectl exec through the sidecar is recorded as a terminal session', { timeout: 120_000 }, () => {
  test('kubectl exec -i POD -- cat with "hello" on stdin: kubectl prints hello and exits 0; stdin, stdout and exit 0 are recorded', async () => {
    const run = await kubectl(['exec', '-i', POD_NAME, '--', 'cat'], 'hello');
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'hello');
    assert.equal(run.code, 0);
    const [seen] = upstream.execs;
    assert.equal(seen?.chosen, 'v5.channel.k8s.io', `kubectl offered ${seen?.protocols}`);
    assert.equal(seen?.stdin, 'hello');
    assert.equal(seen?.authorization, `Bearer ${TOKEN}`);

    const records = await execSession('-- cat');
    const events = records.map((r) => r.event);
    const statement = events.find((e) => e.type === 'statement' && e.text.startsWith('exec '));
    assert.ok(statement?.type === 'statement');
    const index = statement.statementIndex;
    const ofExec = events.filter((e) => 'statementIndex' in e && e.statementIndex === index);
    assert.deepEqual(
      ofExec.map((e) => e.type).filter((t) => t !== 'output'),
      ['statement', 'classification', 'decision', 'terminal', 'result'],
    );
    assert.deepEqual(
      ofExec.find((e) => e.type === 'terminal'),
      { type: 'terminal', statementIndex: index },
      'no tty asked for, so no pty',
    );
    assert.equal(decoded(ofExec, 'stdin'), 'hello');
    assert.equal(decoded(ofExec, 'stdout'), 'hello');
    const result = ofExec.find((e) => e.type === 'result');
    assert.ok(result?.type === 'result');
    assert.equal(result.commandTag, 'exit 0');
    assert.equal(result.exitStatus, 0);
    assert.equal(result.httpStatus, 101);
    assert.deepEqual(result.bytes, { stdin: 5, stdout: 5, stderr: 0 });
    assert.equal(result.unrecordedBytes, 0);
    assert.ok((result.requestBytes ?? 0) > 5 && (result.responseBytes ?? 0) > 5, 'the tunnel bytes, frames included');

    // What a reviewer replays: the command's output, as the agent's terminal showed it.
    const cast = toAsciicast(records, { statementIndex: index });
    assert.deepEqual(cast.commands, [index]);
    assert.deepEqual(
      cast.events.map(([, code, data]) => [code, data]),
      [['o', 'hello']],
    );
  });

  test('a command that fails: kubectl prints its stderr and exits 3; stderr and exit 3 are recorded', async () => {
    const run = await kubectl(['exec', POD_NAME, '--', 'fail']);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^failing\n/);
    assert.equal(run.code, 3, run.stderr);
    const events = (await execSession('-- fail')).map((r) => r.event);
    assert.equal(decoded(events, 'stderr'), 'failing\n');
    const result = events.find((e) => e.type === 'result' && e.httpStatus === 101);
    assert.ok(result?.type === 'result');
    assert.equal(result.commandTag, 'exit 3');
    assert.equal(result.exitStatus, 3);
    assert.deepEqual(result.bytes, { stdin: 0, stdout: 0, stderr: 8 });
  });
});
