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
