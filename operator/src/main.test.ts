/** The operator's command line: bad flags exit 2 with a message and the usage, --help exits 0. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const MAIN = join(import.meta.dirname, 'main.ts');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });

test('--help prints the flags and exits 0', () => {
  const result = run('--help');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /--broker-url URL/);
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
