/** The pinned Go tools: what each says without Go or with a bad override, and helm, crane and coredns built from their pins. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { corednsBinary, corednsVersion } from './coredns.ts';
import { craneBinary, craneVersion } from './crane.ts';
import { helmBinary, helmVersion } from './helm.ts';

const scratch = mkdtempSync(join(tmpdir(), 'airlock-go-tools-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const log = (line: string) => process.stderr.write(`# ${line}\n`);

/** Calls `fn` of `file` (next to this test) in a fresh process with the given environment; returns what it printed. */
function resolveWith(file: string, fn: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const code = `import { ${fn} } from ${JSON.stringify(join(import.meta.dirname, file))};
    try { console.log(await ${fn}()); } catch (e) { console.error(e.code + ': ' + e.message); process.exit(3); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** PATH holds only node's own directory, so `go` cannot be found. */
const withoutGo = (extra: Record<string, string> = {}) => ({ PATH: dirname(process.execPath), HOME: scratch, ...extra });

test('without Go and without KUBEBUILDER_ASSETS the error says what to install', () => {
  const { status, stderr } = resolveWith(
    'control-plane.ts',
    'controlPlaneBinaries',
    withoutGo({ AIRLOCK_CACHE_DIR: join(scratch, 'empty-cache') }),
  );
  assert.equal(status, 3);
  assert.match(stderr, /^NoGoToolchain: .*Go is not installed and KUBEBUILDER_ASSETS is not set/m);
});

test('KUBEBUILDER_ASSETS without the binaries is named, with the missing one', () => {
  const assets = join(scratch, 'assets');
  mkdirSync(assets, { recursive: true });
  writeFileSync(join(assets, 'etcd'), '');
  const { status, stderr } = resolveWith('control-plane.ts', 'controlPlaneBinaries', withoutGo({ KUBEBUILDER_ASSETS: assets }));
  assert.equal(status, 3);
  assert.match(stderr, /^AssetsIncomplete: KUBEBUILDER_ASSETS=.* has no kube-apiserver/m);
});

for (const tool of [
  { name: 'helm', file: 'helm.ts', fn: 'helmBinary', variable: 'AIRLOCK_HELM', missing: 'HelmMissing' },
  { name: 'crane', file: 'crane.ts', fn: 'craneBinary', variable: 'AIRLOCK_CRANE', missing: 'CraneMissing' },
  { name: 'coredns', file: 'coredns.ts', fn: 'corednsBinary', variable: 'AIRLOCK_COREDNS', missing: 'CorednsMissing' },
]) {
  test(`${tool.name} without Go and without ${tool.variable}: the error says what to install or point at`, () => {
    const { status, stderr } = resolveWith(tool.file, tool.fn, withoutGo({ AIRLOCK_CACHE_DIR: join(scratch, `empty-${tool.name}-cache`) }));
    assert.equal(status, 3);
    assert.match(stderr, new RegExp(`^NoGoToolchain: cannot get ${tool.name}: Go is not installed and ${tool.variable} is not set`, 'm'));
  });

  test(`${tool.variable} that does not exist is named`, () => {
    const { status, stderr } = resolveWith(tool.file, tool.fn, withoutGo({ [tool.variable]: join(scratch, `no-${tool.name}`) }));
    assert.equal(status, 3);
    assert.match(stderr, new RegExp(`^${tool.missing}: ${tool.variable}=.*no-${tool.name} does not exist`, 'm'));
  });

  test(`${tool.variable} that exists is used as it is`, () => {
    const given = join(scratch, `my-${tool.name}`);
    writeFileSync(given, '');
    const { status, stdout } = resolveWith(tool.file, tool.fn, withoutGo({ [tool.variable]: given }));
    assert.equal(status, 0);
    assert.equal(stdout.trim(), given);
  });
}

test('helm is built from the pinned module (once, then cached) and reports that version', async () => {
  const helm = await helmBinary(log);
  const version = spawnSync(helm, ['version', '--short'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim().split('+')[0], helmVersion());
});

test('crane is built from the pinned module (once, then cached) and reports that version', async () => {
  const crane = await craneBinary(log);
  const version = spawnSync(crane, ['version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), craneVersion());
});

test('coredns is built from the pinned module (once, then cached), static, with the plugins the test node uses', {
  timeout: 20 * 60_000,
}, async () => {
  const coredns = await corednsBinary(log);
  const version = spawnSync(coredns, ['-version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.split('\n')[0], `CoreDNS-${corednsVersion().replace(/^v/, '')}`);
  // No program header of type PT_INTERP (3): it runs in an image with no C library.
  const program = readFileSync(coredns);
  const [phoff, phentsize, phnum] = [Number(program.readBigUInt64LE(0x20)), program.readUInt16LE(0x36), program.readUInt16LE(0x38)];
  const types = Array.from({ length: phnum }, (_, n) => program.readUInt32LE(phoff + n * phentsize));
  assert.ok(types.length > 0 && !types.includes(3), `program header types ${types.join(', ')}`);
  const plugins = spawnSync(coredns, ['-plugins'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => line.trim());
  for (const plugin of ['errors', 'health', 'ready', 'kubernetes', 'cache', 'loop', 'template'])
    assert.ok(plugins.includes(plugin), plugin);
});
