import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { appendOpenFlags } from './durable-append.ts';

const root = await mkdtemp(join(tmpdir(), 'airlock-durable-append-'));
after(() => rm(root, { recursive: true, force: true }));

/** The flags the kernel holds for an open descriptor (octal in /proc/self/fdinfo). */
async function kernelFlags(fd: number): Promise<number> {
  const flags = /^flags:\s+([0-7]+)$/m.exec(await readFile(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  assert.ok(flags, 'no flags line in fdinfo');
  return Number.parseInt(flags, 8);
}

test('batch: created and reopened files carry O_DSYNC in the kernel; never: they do not', async () => {
  for (const fsync of ['batch', 'never'] as const) {
    const path = join(root, `${fsync}.jsonl`);
    const created = await open(path, appendOpenFlags('create', fsync));
    assert.equal(((await kernelFlags(created.fd)) & constants.O_DSYNC) !== 0, fsync === 'batch');
    await created.write('line\n');
    await created.close();
    const reopened = await open(path, appendOpenFlags('existing', fsync));
    const flags = await kernelFlags(reopened.fd);
    assert.equal((flags & constants.O_DSYNC) !== 0, fsync === 'batch');
    // O_ACCMODE (3 on Linux) is not in Node's constants.
    assert.equal(flags & 3, constants.O_RDWR, 'reopened for reading the tail and writing');
    assert.equal((await reopened.read(Buffer.alloc(5), 0, 5, 0)).bytesRead, 5);
    await reopened.close();
  }
});

test('create is exclusive: a file that exists is refused with EEXIST, never appended to', async () => {
  const path = join(root, 'exists.jsonl');
  await (await open(path, appendOpenFlags('create', 'never'))).close();
  await assert.rejects(open(path, appendOpenFlags('create', 'batch')), (error: NodeJS.ErrnoException) => error.code === 'EEXIST');
});
