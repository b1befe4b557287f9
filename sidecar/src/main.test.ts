/** The sidecar's command line: --help and --version exit 0; a missing mode or broker settings exit 2 with the reason. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import sidecarPackage from '../package.json' with { type: 'json' };

const MAIN = join(import.meta.dirname, 'main.ts');
/** With an environment of PATH only, so no AIRLOCK_* variable of the caller leaks in. */
const run = (...args: string[]) =>
  spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: dirname(process.execPath) } });

test('--version prints the package version and exits 0', () => {
  const result = run('--version');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `airlock-sidecar ${sidecarPackage.version}\n`);
});

test('--help prints both modes and exits 0', () => {
  const result = run('--help');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^usage: airlock-sidecar --config FILE \| --broker \| --version/);
  assert.match(result.stdout, /AIRLOCK_BROKER_URL/);
});

test('no mode exits 2 with the usage', () => {
  const result = run();
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^usage: airlock-sidecar/);
});

test('--broker without its settings exits 2 naming what is missing', () => {
  const result = run('--broker');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^invalid sidecar settings \(broker mode\):\n {2}- .*AIRLOCK_BROKER_URL/);
});
