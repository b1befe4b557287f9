import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigVolume, ConfigVolumeError } from './config-volume.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-config-volume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a file is written whole, world-readable, and replaced by rename (a new inode): no temporary file stays', () => {
  const volume = new ConfigVolume(dir);
  const previous = process.umask(0o077);
  try {
    assert.equal(volume.write('known_hosts', 'one\n'), 'written');
  } finally {
    process.umask(previous);
  }
  const first = statSync(join(dir, 'known_hosts'));
  assert.equal(first.mode & 0o777, 0o644);
  assert.equal(volume.write('known_hosts', 'two\n'), 'written');
  assert.equal(readFileSync(join(dir, 'known_hosts'), 'utf8'), 'two\n');
  assert.notEqual(statSync(join(dir, 'known_hosts')).ino, first.ino);
  assert.deepEqual(readdirSync(dir), ['known_hosts']);
});

test('the same content again leaves the file alone', () => {
  const volume = new ConfigVolume(dir);
  volume.write('ssh_config', 'Host a\n');
  const before = statSync(join(dir, 'ssh_config')).ino;
  assert.equal(volume.write('ssh_config', 'Host a\n'), 'unchanged');
  assert.equal(statSync(join(dir, 'ssh_config')).ino, before);
});

test('a file that cannot be written is a ConfigVolumeError naming the path', () => {
  const blocked = join(dir, 'blocked');
  mkdirSync(join(blocked, 'ssh_config'), { recursive: true });
  const error = (() => {
    try {
      new ConfigVolume(blocked).write('ssh_config', 'x');
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  assert.ok(error instanceof ConfigVolumeError);
  assert.equal(error.code, 'ConfigVolumeWrite');
  assert.match(error.message, new RegExp(`cannot write ${join(blocked, 'ssh_config')} on the config volume`));
  assert.deepEqual(readdirSync(blocked), ['ssh_config'], 'the temporary file stayed');
});
