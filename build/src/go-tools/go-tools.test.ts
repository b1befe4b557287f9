import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';

const scratch = mkdtempSync(join(tmpdir(), 'airlock-binaries-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Resolves the binaries in a fresh process with the given environment; returns what it printed. */
function resolveWith(env: Record<string, string>): { status: number | null; stderr: string } {
  const code = `import { controlPlaneBinaries } from ${JSON.stringify(join(import.meta.dirname, 'binaries.ts'))};
    try { await controlPlaneBinaries(); } catch (e) { console.error(e.code + ': ' + e.message); process.exit(3); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

test('without Go and without KUBEBUILDER_ASSETS the error says what to install', () => {
  const cache = join(scratch, 'empty-cache');
  // PATH holds only node's own directory, so `go` cannot be found.
  const { status, stderr } = resolveWith({ PATH: dirname(process.execPath), AIRLOCK_CACHE_DIR: cache, HOME: scratch });
  assert.equal(status, 3);
  assert.match(stderr, /^NoGoToolchain: .*Go is not installed and KUBEBUILDER_ASSETS is not set/m);
});

test('KUBEBUILDER_ASSETS without the binaries is named, with the missing one', () => {
  const assets = join(scratch, 'assets');
  mkdirSync(assets, { recursive: true });
  writeFileSync(join(assets, 'etcd'), '');
  const { status, stderr } = resolveWith({ PATH: dirname(process.execPath), KUBEBUILDER_ASSETS: assets, HOME: scratch });
  assert.equal(status, 3);
  assert.match(stderr, /^AssetsIncomplete: KUBEBUILDER_ASSETS=.* has no kube-apiserver/m);
});

/** Resolves helm in a fresh process with the given environment. */
function resolveHelmWith(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const code = `import { helmBinary } from ${JSON.stringify(join(import.meta.dirname, 'binaries.ts'))};
    try { console.log(await helmBinary()); } catch (e) { console.error(e.code + ': ' + e.message); process.exit(3); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('helm without Go and without AIRLOCK_HELM: the error says what to install or point at', () => {
  const cache = join(scratch, 'empty-helm-cache');
  const { status, stderr } = resolveHelmWith({ PATH: dirname(process.execPath), AIRLOCK_CACHE_DIR: cache, HOME: scratch });
  assert.equal(status, 3);
  assert.match(stderr, /^NoGoToolchain: cannot get helm: Go is not installed and AIRLOCK_HELM is not set/m);
});

test('AIRLOCK_HELM that does not exist is named', () => {
  const { status, stderr } = resolveHelmWith({ PATH: dirname(process.execPath), AIRLOCK_HELM: join(scratch, 'no-helm'), HOME: scratch });
  assert.equal(status, 3);
  assert.match(stderr, /^HelmMissing: AIRLOCK_HELM=.*no-helm does not exist/m);
});

test('helm is built from the pinned module (once, then cached) and reports that version', async () => {
  const { helmBinary, helmVersion } = await import('./binaries.ts');
  const helm = await helmBinary((line) => process.stderr.write(`# ${line}\n`));
  const version = spawnSync(helm, ['version', '--short'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim().split('+')[0], helmVersion());
});
