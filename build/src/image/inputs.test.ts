/** The pins agree with the repository: Node is the .node-version one, and the image carries every library it links against. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { DEBIAN_PACKAGES, NODE_PACKAGE } from './inputs.ts';

const NODE_VERSION = readFileSync(join(import.meta.dirname, '..', '..', '..', '.node-version'), 'utf8').trim();

test('the pinned Node.js package is the version in .node-version', () => {
  assert.equal(NODE_PACKAGE.version, NODE_VERSION);
});

test('every pin names a version, a sha256 and what it takes', () => {
  for (const pkg of [...DEBIAN_PACKAGES, NODE_PACKAGE]) assert.match(pkg.sha256, /^[0-9a-f]{64}$/, pkg.name);
  for (const pkg of DEBIAN_PACKAGES) {
    assert.ok(pkg.take.length > 0, pkg.name);
    assert.ok(
      pkg.take.every((path) => !path.startsWith('/')),
      pkg.name,
    );
  }
});

test('the image takes every shared library the pinned node binary needs (ldd)', {
  skip: process.version === `v${NODE_PACKAGE.version}` ? false : `this is Node ${process.version}, not the pinned ${NODE_PACKAGE.version}`,
}, () => {
  const ldd = spawnSync('ldd', [process.execPath], { encoding: 'utf8' });
  assert.equal(ldd.status, 0, ldd.stderr);
  const needed = ldd.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '' && !name.startsWith('linux-vdso'))
    .map((name) => basename(name));
  const taken = new Set(DEBIAN_PACKAGES.flatMap((pkg) => pkg.take.map((path) => basename(path))));
  assert.ok(needed.length >= 5, ldd.stdout);
  assert.deepEqual(
    needed.filter((name) => !taken.has(name)),
    [],
  );
});
