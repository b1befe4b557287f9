/**
 * The image's preload module (stripped-sources-hooks.mjs) on a tree the build stripped: listed
 * files run without Node ever loading its type stripper; a file that is not listed, or whose
 * bytes are not the listed ones, still runs, stripped by Node. The signal is deterministic: Node
 * loads its stripper (amaro) as the built-in module internal/deps/amaro, which then shows in
 * process.moduleLoadList; no memory is measured here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STRIPPED_SOURCES_HOOKS, STRIPPED_SOURCES_LIST, stripSources } from './stripped-sources.ts';

const scratch = mkdtempSync(join(tmpdir(), 'airlock-stripped-sources-hooks-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Prints what it imported and whether Node's type stripper was loaded; throws at `fail` to show a stack. */
const ENTRY = `import { value, type Value } from './value.ts';

const stripper: boolean = process.moduleLoadList.some((name) => /amaro/.test(name));
if (process.argv[2] === 'fail') throw new Error('thrown on purpose' as string);
console.log(JSON.stringify({ value: value satisfies Value, stripper }));
`;
const VALUE = `export type Value = number;
export const value: Value = 41 + 1;
`;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <file> [args]` with NODE_OPTIONS as the image sets it (or none), and nothing else from this process's environment. */
function node(file: string, options: { hooks?: string; args?: string[] } = {}): Run {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  if (options.hooks) env.NODE_OPTIONS = `--import=${options.hooks}`;
  return spawnSync(process.execPath, [file, ...(options.args ?? [])], { encoding: 'utf8', env });
}

const output = (run: Run) => {
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { value: number; stripper: boolean };
};

describe('the preload module on a stripped tree', () => {
  let root: string;
  let hooks: string;
  before(() => {
    root = join(scratch, 'app');
    mkdirSync(join(root, 'pkg/src'), { recursive: true });
    writeFileSync(join(root, 'pkg/package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(root, 'pkg/src/entry.ts'), ENTRY);
    writeFileSync(join(root, 'pkg/src/value.ts'), VALUE);
    stripSources(root);
    hooks = join(root, STRIPPED_SOURCES_HOOKS);
  });

  test('runs the listed files without loading the type stripper; without the hooks Node loads it', () => {
    assert.deepEqual(output(node(join(root, 'pkg/src/entry.ts'), { hooks })), { value: 42, stripper: false });
    // The signal works: the same files without the hooks make Node load its stripper.
    assert.deepEqual(output(node(join(root, 'pkg/src/entry.ts'))), { value: 42, stripper: true });
  });

  test("a stack trace names the source's file, line and column, as when Node strips the source itself", () => {
    const [line, column] = [4, ENTRY.split('\n')[3]!.indexOf('new Error(') + 1];
    const at = new RegExp(`Error: thrown on purpose\\n\\s+at file://\\S+/pkg/src/entry\\.ts:${line}:${column}\\n`);
    const hooked = node(join(root, 'pkg/src/entry.ts'), { hooks, args: ['fail'] });
    assert.equal(hooked.status, 1);
    assert.match(hooked.stderr, at);
    assert.match(node(join(root, 'pkg/src/entry.ts'), { args: ['fail'] }).stderr, at);
  });

  test('a file that is not listed runs too: Node strips it (and loads its stripper)', () => {
    mkdirSync(join(root, 'pkg/unlisted'), { recursive: true });
    writeFileSync(join(root, 'pkg/unlisted/entry.ts'), ENTRY);
    writeFileSync(join(root, 'pkg/unlisted/value.ts'), VALUE);
    assert.deepEqual(output(node(join(root, 'pkg/unlisted/entry.ts'), { hooks })), { value: 42, stripper: true });
  });

  test('a listed file whose bytes changed (sources mounted over the image) runs as TypeScript, stripped by Node', () => {
    const changed = join(scratch, 'changed');
    mkdirSync(join(changed, 'pkg/src'), { recursive: true });
    writeFileSync(join(changed, 'pkg/package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(changed, 'pkg/src/entry.ts'), ENTRY);
    writeFileSync(join(changed, 'pkg/src/value.ts'), VALUE);
    stripSources(changed);
    // The typed source back in place of the stripped one: run as JavaScript it would be a SyntaxError.
    writeFileSync(join(changed, 'pkg/src/value.ts'), VALUE);
    assert.deepEqual(output(node(join(changed, 'pkg/src/entry.ts'), { hooks: join(changed, STRIPPED_SOURCES_HOOKS) })), {
      value: 42,
      stripper: true,
    });
  });

  test('without a list the preload module changes nothing', () => {
    const bare = join(scratch, 'bare');
    mkdirSync(join(bare, 'src'), { recursive: true });
    writeFileSync(join(bare, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(bare, 'src/entry.ts'), ENTRY);
    writeFileSync(join(bare, 'src/value.ts'), VALUE);
    stripSources(bare);
    rmSync(join(bare, STRIPPED_SOURCES_LIST));
    assert.deepEqual(output(node(join(bare, 'src/entry.ts'), { hooks: join(bare, STRIPPED_SOURCES_HOOKS) })), {
      value: 42,
      stripper: true,
    });
  });
});
