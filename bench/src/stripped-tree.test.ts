/**
 * The benchmark's stripped tree: the measured processes (the PostgreSQL sidecar and the floor
 * relay) start from it as run.ts starts them and never load Node's type stripper, as in the
 * image (docs/adr/0028); started from the repository's sources they do, which shows the check
 * can fail. The signal is deterministic: Node loads its stripper as the built-in module
 * internal/deps/amaro, which shows in process.moduleLoadList. A probe module placed in the copy,
 * preloaded after the hooks, writes that list when the process exits; no memory is measured.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FloorRelayConfig } from './floor-relay.ts';
import { type EchoServer, startEchoServer } from './floor-relay-testing.ts';
import type { SidecarProcessConfig } from './sidecar-process.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';
import { prepareStrippedTree, type StrippedTree, StrippedTreeError, workspaceClosure } from './stripped-tree.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Preloaded by the processes under test: at exit, writes the names of the modules Node loaded to modules-<pid>.json beside itself. */
const PROBE = `import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  writeFileSync(new URL(\`./modules-\${process.pid}.json\`, import.meta.url), JSON.stringify(process.moduleLoadList));
});
`;

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Starts `script` as run.ts starts a measured process, stops it, and returns the modules it loaded. */
async function modulesLoaded(script: string, config: unknown, nodeArgs: readonly string[], probe: string): Promise<string[]> {
  const started = await SidecarProcess.start(script, basename(script), config, [...nodeArgs, `--import=${probe}`]);
  await started.stop();
  const written = join(dirname(probe), `modules-${started.pid}.json`);
  assert.ok(existsSync(written), `${script} exited without writing ${written}`);
  return JSON.parse(readFileSync(written, 'utf8')) as string[];
}

const stripperOf = (modules: readonly string[]): string[] => modules.filter((name) => name.includes('amaro'));

describe('the stripped tree of the benchmark', () => {
  let tree: StrippedTree;
  let probe: string;
  let echo: EchoServer;
  const sidecarConfig: SidecarProcessConfig = {
    variant: 'full',
    // Nothing connects through it here: the sidecar reaches its upstream only for an agent's connection.
    upstream: { host: '127.0.0.1', port: 1, database: 'bench' },
    credentials: { username: 'bench', password: 'bench' },
  };
  before(async () => {
    tree = prepareStrippedTree(REPO);
    probe = join(tree.root, 'module-load-probe.mjs');
    writeFileSync(probe, PROBE);
    echo = await startEchoServer();
  });
  after(() => {
    tree?.remove();
    echo?.server.close();
  });

  test('copies the workspace packages the sidecar needs, without their node_modules, stripped and listed', () => {
    assert.ok(realpathSync(tree.root) === tree.root && relative(realpathSync(tmpdir()), tree.root).startsWith('airlock-bench-stripped-'));
    const folders = [...workspaceClosure(REPO).values()];
    for (const folder of ['crds', 'contracts', 'runtime', 'sidecar'])
      assert.ok(folders.includes(folder), `${folder} in ${folders.join(', ')}`);
    const entry = tree.entry('bench/src/sidecar-process.ts');
    assert.equal(entry, join(tree.root, 'bench/src/sidecar-process.ts'));
    const [source, stripped] = [readFileSync(join(REPO, 'bench/src/sidecar-process.ts'), 'utf8'), readFileSync(entry, 'utf8')];
    assert.notEqual(stripped, source);
    assert.doesNotMatch(stripped, /import type/);
    assert.equal(stripped.split('\n').length, source.split('\n').length);
    const listed = readFileSync(join(tree.root, '.stripped-sources'), 'utf8');
    assert.ok(listed.includes(`${sha256(entry)}  bench/src/sidecar-process.ts\n`));
    assert.ok(listed.includes('  sidecar/src/index.ts\n'));
    assert.ok(!listed.includes('.test.ts'), 'tests are not copied');
    assert.ok(existsSync(tree.hooks));
    // Workspace packages resolve to the copies, third-party ones to the repository's installed files.
    assert.equal(realpathSync(join(tree.root, 'node_modules/@airlock/sidecar')), join(tree.root, 'sidecar'));
    assert.equal(realpathSync(join(tree.root, 'sidecar/node_modules/@airlock/contracts')), join(tree.root, 'contracts'));
    assert.equal(
      realpathSync(join(tree.root, 'sidecar/node_modules/pg-protocol')),
      realpathSync(join(REPO, 'sidecar/node_modules/pg-protocol')),
    );
  });

  test('entry() refuses a path the copy does not hold', () => {
    assert.throws(() => tree.entry('operator/src/main.ts'), StrippedTreeError);
    assert.throws(() => tree.entry('../outside.ts'), StrippedTreeError);
    assert.throws(() => tree.entry(join(REPO, 'bench/src/run.ts')), StrippedTreeError);
  });

  test("the sidecar and the floor relay start from the copy with the hooks and never load Node's type stripper", async () => {
    const sidecar = await modulesLoaded(tree.entry('bench/src/sidecar-process.ts'), sidecarConfig, [`--import=${tree.hooks}`], probe);
    assert.deepEqual(stripperOf(sidecar), []);
    // The probe saw a sidecar that started (it printed its port, which it does once it listens), not an empty process.
    assert.ok(sidecar.includes('NativeModule net'), 'the sidecar loaded node:net');
    const floor: FloorRelayConfig = { upstream: { host: '127.0.0.1', port: echo.port }, syncEachChunk: true };
    assert.deepEqual(stripperOf(await modulesLoaded(tree.entry('bench/src/floor-relay.ts'), floor, [`--import=${tree.hooks}`], probe)), []);
  });

  test('from the sources (--from-source), the same process loads the stripper: the check can fail', async () => {
    const floor: FloorRelayConfig = { upstream: { host: '127.0.0.1', port: echo.port } };
    const modules = await modulesLoaded(join(REPO, 'bench/src/floor-relay.ts'), floor, [], probe);
    assert.deepEqual(stripperOf(modules), ['NativeModule internal/deps/amaro/dist/index']);
  });

  test('remove() deletes the copy and leaves the repository as it was', () => {
    const other = prepareStrippedTree(REPO);
    const watched = ['bench/src/sidecar-process.ts', 'sidecar/src/index.ts', 'sidecar/node_modules/pg-protocol/package.json'];
    const before = watched.map((path) => sha256(join(REPO, path)));
    const pnpmStore = readdirSync(join(REPO, 'node_modules/.pnpm')).length;
    other.remove();
    assert.equal(existsSync(other.root), false);
    assert.equal(readdirSync(tmpdir()).includes(basename(other.root)), false);
    assert.deepEqual(
      watched.map((path) => sha256(join(REPO, path))),
      before,
    );
    assert.equal(readdirSync(join(REPO, 'node_modules/.pnpm')).length, pnpmStore);
  });
});
