/**
 * The build's type stripping: its JavaScript runs under plain node with every line and column of
 * the source, syntax that needs code generated fails the build naming the file, and a tree is
 * stripped in place and listed (not node_modules, not type declarations; ES modules only).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BuildError } from '../errors.ts';
import {
  STRIPPED_SOURCES_HOOKS,
  STRIPPED_SOURCES_HOOKS_SOURCE,
  STRIPPED_SOURCES_LIST,
  stripSources,
  stripTypes,
} from './stripped-sources.ts';

const scratch = mkdtempSync(join(tmpdir(), 'airlock-stripped-sources-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Every kind of erasable syntax the repository writes, and a token whose place is checked. */
const TYPED = `import type { Readable } from 'node:stream';

interface Pair<T> {
  readonly left: T;
  readonly right: T;
}
type Kind = 'read' | 'write';

const KINDS = ['read', 'write'] as const satisfies readonly Kind[];

function swap<T extends number>(pair: Pair<T>, _unused?: Readable): Pair<T> {
  return { left: pair.right, right: pair.left };
}

const swapped = swap<number>({ left: 1, right: 2 }) satisfies Pair<number>;
const size = (KINDS as readonly string[]).length as number;
console.log(JSON.stringify({ swapped, size, marker: 'here' }));
`;

/** Line and column (both from 1) of the first occurrence of `token`. */
function position(text: string, token: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(token)).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

const isBuildError = (code: string, file: string) => (error: unknown) =>
  error instanceof BuildError && error.code === code && error.message.includes(file);

describe('stripTypes', () => {
  test('gives JavaScript that plain node runs as .mjs, with the same lines and columns', () => {
    const javascript = stripTypes(TYPED, 'typed.ts');
    const file = join(scratch, 'typed.mjs');
    writeFileSync(file, javascript);
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { swapped: { left: 2, right: 1 }, size: 2, marker: 'here' });
    assert.equal(javascript.split('\n').length, TYPED.split('\n').length);
    // A token after type syntax on its own line: `swap<number>(` becomes `swap        (`.
    const token = '{ left: 1, right: 2 }';
    assert.deepEqual(position(TYPED, token), { line: 15, column: 30 });
    assert.deepEqual(position(javascript, token), position(TYPED, token));
    for (const typeSyntax of ['interface', 'import type', 'satisfies', ' as const', '<T>', ': Pair']) {
      assert.ok(!javascript.includes(typeSyntax), `${typeSyntax} is left in the output`);
    }
  });

  for (const [syntax, source] of [
    ['an enum', 'export enum Mode { Enforce, Audit }\n'],
    ['a namespace', 'export namespace Kinds { export const read = 1; }\n'],
    ['a parameter property', 'export class Box { constructor(private readonly size: number) {} }\n'],
  ] as const) {
    test(`refuses ${syntax} with SourceNotStrippable, naming the file`, () => {
      assert.throws(() => stripTypes(source, 'sidecar/src/mode.ts'), isBuildError('SourceNotStrippable', 'sidecar/src/mode.ts'));
    });
  }

  test('refuses a source that does not parse', () => {
    assert.throws(() => stripTypes('const a: = 1;\n', 'broken.ts'), isBuildError('SourceNotStrippable', 'broken.ts'));
  });
});

describe('stripSources', () => {
  /** A tree like /app: a package with sources, a type declaration, and dependencies. */
  function tree(name: string, type = 'module'): string {
    const root = join(scratch, name);
    mkdirSync(join(root, 'pkg/src/inner'), { recursive: true });
    mkdirSync(join(root, 'pkg/node_modules/dep'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(root, 'pkg/package.json'), JSON.stringify({ type }));
    writeFileSync(join(root, 'pkg/src/main.ts'), TYPED);
    writeFileSync(join(root, 'pkg/src/inner/value.ts'), 'export const value: number = 1;\n');
    writeFileSync(join(root, 'pkg/src/shapes.d.ts'), 'export interface Shape { a: number }\n');
    writeFileSync(join(root, 'pkg/node_modules/dep/index.ts'), 'export const dep: number = 1;\n');
    writeFileSync(join(root, 'pkg/readme.md'), 'const a: number\n');
    return root;
  }

  test('strips every .ts file in place, lists each with the SHA-256 of its bytes, and copies the preload module', () => {
    const root = tree('app');
    const stripped = stripSources(root);
    assert.deepEqual(
      stripped.map((source) => source.path),
      ['pkg/src/inner/value.ts', 'pkg/src/main.ts'],
    );
    assert.equal(readFileSync(join(root, 'pkg/src/inner/value.ts'), 'utf8'), 'export const value         = 1;\n');
    assert.equal(readFileSync(join(root, 'pkg/src/main.ts'), 'utf8'), stripTypes(TYPED, 'main.ts'));
    const sha256 = (path: string) =>
      createHash('sha256')
        .update(readFileSync(join(root, path)))
        .digest('hex');
    assert.equal(
      readFileSync(join(root, STRIPPED_SOURCES_LIST), 'utf8'),
      `${sha256('pkg/src/inner/value.ts')}  pkg/src/inner/value.ts\n${sha256('pkg/src/main.ts')}  pkg/src/main.ts\n`,
    );
    // Untouched: dependencies, type declarations, other files.
    assert.equal(readFileSync(join(root, 'pkg/node_modules/dep/index.ts'), 'utf8'), 'export const dep: number = 1;\n');
    assert.equal(readFileSync(join(root, 'pkg/src/shapes.d.ts'), 'utf8'), 'export interface Shape { a: number }\n');
    assert.equal(readFileSync(join(root, 'pkg/readme.md'), 'utf8'), 'const a: number\n');
    assert.equal(readFileSync(join(root, STRIPPED_SOURCES_HOOKS), 'utf8'), readFileSync(STRIPPED_SOURCES_HOOKS_SOURCE, 'utf8'));
    // sha256sum, which a person checking an image would use, reads the list.
    const check = spawnSync('sha256sum', ['--check', '--strict', STRIPPED_SOURCES_LIST], { cwd: root, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  test('fails on a file it cannot strip, naming its path in the tree', () => {
    const root = tree('enum');
    writeFileSync(join(root, 'pkg/src/inner/mode.ts'), 'export enum Mode { A }\n');
    assert.throws(() => stripSources(root), isBuildError('SourceNotStrippable', 'pkg/src/inner/mode.ts'));
    assert.ok(!existsSync(join(root, STRIPPED_SOURCES_LIST)));
  });

  test('fails on a source whose package is not an ES module: the preload module loads them as such', () => {
    assert.throws(() => stripSources(tree('commonjs', 'commonjs')), isBuildError('SourceNotModule', 'pkg/src/inner/value.ts'));
  });

  test('fails on .mts and .cts files, which the preload module does not load', () => {
    const root = tree('mts');
    writeFileSync(join(root, 'pkg/src/other.mts'), 'export const a: number = 1;\n');
    assert.throws(() => stripSources(root), isBuildError('SourceExtensionUnsupported', 'pkg/src/other.mts'));
  });
});
