/** Layer archives are reproducible: same files, same bytes, whatever the times, modes and owner on disk. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { archiveLayer } from './layer-tar.ts';

const scratch = mkdtempSync(join(tmpdir(), 'airlock-layer-tar-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A small tree, staged with the given file times and modes as a checkout or an install might leave them. */
function stage(name: string, time: Date, mode: number): string {
  const root = join(scratch, name);
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  mkdirSync(join(root, 'home/nonroot'), { recursive: true });
  mkdirSync(join(root, 'tmp'));
  writeFileSync(join(root, 'usr/local/bin/tool'), '#!/bin/true\n');
  chmodSync(join(root, 'usr/local/bin/tool'), mode | 0o100);
  writeFileSync(join(root, 'usr/local/readme'), 'text\n');
  chmodSync(join(root, 'usr/local/readme'), mode);
  symlinkSync('bin/tool', join(root, 'usr/local/link'));
  for (const path of ['usr/local/bin/tool', 'usr/local/readme', 'usr/local/bin', 'usr/local', 'usr', 'tmp'])
    utimesSync(join(root, path), time, time);
  return root;
}

const layer = (root: string) => ({ name: 'test', holds: 'a test tree', root, modes: { tmp: 0o1777 }, owners: { 'home/nonroot': 65532 } });

test('the same files archive to the same bytes whatever their times and modes on disk', async () => {
  const first = await archiveLayer(layer(stage('a', new Date('2020-01-01'), 0o600)), join(scratch, 'a.tar.gz'));
  const second = await archiveLayer(layer(stage('b', new Date('2024-06-30'), 0o664)), join(scratch, 'b.tar.gz'));
  assert.equal(first.digest, second.digest);
  assert.equal(first.diffId, second.diffId);
  assert.notEqual(first.digest, first.diffId);
  assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
});

test('members: sorted, time 0, owner 0 except the owned directory, normalised modes, links kept', async () => {
  const archived = await archiveLayer(layer(stage('c', new Date(), 0o640)), join(scratch, 'c.tar.gz'));
  const listing = spawnSync('tar', ['-tzvf', archived.path, '--numeric-owner', '--utc'], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  const members = listing.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [mode, owner, , date, time, ...name] = line.split(/\s+/);
      return `${mode} ${owner} ${date} ${time} ${name.join(' ')}`;
    });
  assert.deepEqual(members, [
    'drwxr-xr-x 0/0 1970-01-01 00:00 home/',
    'drwxrwxrwt 0/0 1970-01-01 00:00 tmp/',
    'drwxr-xr-x 0/0 1970-01-01 00:00 usr/',
    'drwxr-xr-x 0/0 1970-01-01 00:00 usr/local/',
    'drwxr-xr-x 0/0 1970-01-01 00:00 usr/local/bin/',
    '-rwxr-xr-x 0/0 1970-01-01 00:00 usr/local/bin/tool',
    'lrwxrwxrwx 0/0 1970-01-01 00:00 usr/local/link -> bin/tool',
    '-rw-r--r-- 0/0 1970-01-01 00:00 usr/local/readme',
    'drwxr-xr-x 65532/65532 1970-01-01 00:00 home/nonroot/',
  ]);
});
