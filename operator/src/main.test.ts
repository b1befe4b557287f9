/** The operator's command line: bad flags exit 2 with a message and the usage, --help and --version exit 0; SIGTERM stops it even as PID 1. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import operatorPackage from '../package.json' with { type: 'json' };

const MAIN = join(import.meta.dirname, 'main.ts');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });

test('--help prints the flags and exits 0', () => {
  const result = run('--help');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /--broker-url URL/);
});

test('--version prints the package version and exits 0', () => {
  const result = run('--version');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `airlock-operator ${operatorPackage.version}\n`);
});

test('the default sidecar image is the operator image of the same version (make image builds one image for both)', () => {
  assert.match(
    run('--help').stdout,
    new RegExp(`--sidecar-image IMAGE .*default airlock/airlock:${operatorPackage.version.replaceAll('.', '\\.')},`),
  );
});

test('a bad port or duration exits 2 naming the flag', () => {
  const port = run('--webhook-port', 'nine');
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--webhook-port: "nine" is not a port number/);
  const retention = run('--retention', 'forever', '--kubeconfig', '/dev/null');
  assert.equal(retention.status, 2);
  assert.match(retention.stderr, /--retention: "forever" is not a duration/);
});

test('an unknown flag exits 2', () => {
  const result = run('--frobnicate');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /frobnicate/);
});

test('sidecar resources: a bad quantity or a request above the limit exits 2 naming the flag', () => {
  const limit = run('--sidecar-memory-limit', 'lots');
  assert.equal(limit.status, 2);
  assert.match(limit.stderr, /--sidecar-memory-limit: "lots" is not a memory quantity/);
  const above = run('--sidecar-memory-limit', '128Mi', '--sidecar-memory-request', '256Mi');
  assert.equal(above.status, 2);
  assert.match(above.stderr, /--sidecar-memory-request 256Mi is above --sidecar-memory-limit 128Mi/);
});

const canUnsharePid = process.getuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

test('SIGTERM during start-up (API server unreachable) stops it when it runs as PID 1, as in a container', {
  skip: canUnsharePid ? false : 'needs root and unshare --pid to run the operator as PID 1',
}, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-operator-pid1-'));
  try {
    const kubeconfig = join(scratch, 'kubeconfig');
    // Port 1 on loopback: nothing answers, so start-up keeps retrying the list calls.
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
    );
    const args = [MAIN, '--kubeconfig', kubeconfig, '--host', '127.0.0.1', '--webhook-port', '0', '--broker-port', '0'];
    const child = spawn(
      'unshare',
      ['--pid', '--fork', '--kill-child', process.execPath, ...args, '--health-port', '0', '--recordings', join(scratch, 'rec')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const retrying = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('retrying')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await retrying;
    // The operator is unshare's child, PID 1 in its own PID namespace; signal it by its PID out here.
    const pid = Number(
      spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')[0],
    );
    assert.ok(pid > 0, 'the operator process was not found');
    process.kill(pid, 'SIGTERM');
    // A bound for a hang (the signal ignored), not for speed: unshare --kill-child then ends it.
    const hang = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(hang);
    assert.equal(code, 0, output.slice(-2000));
    assert.match(output, /stopping before start-up finished/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
