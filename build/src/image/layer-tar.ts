/**
 * Archives a staged tree so the same files give the same bytes on any machine with the same GNU
 * tar and gzip: names sorted, every time 0, owner and group 0 (by number), no atime or ctime, pax
 * headers named without the process ID, hard links stored as files, modes normalised (directories
 * 0755, files 0644, executables 0755, links as they are) and gzip without name or time.
 */

import { spawn } from 'node:child_process';
import { chmodSync, closeSync, lstatSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';
import { run } from '../run-command.ts';
import { sha256File } from '../sha256-file.ts';
import type { StagedLayer } from './staged-layer.ts';

const TAR_FLAGS = [
  '--sort=name',
  '--mtime=@0',
  '--numeric-owner',
  '--hard-dereference',
  '--format=posix',
  '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
];

export interface LayerArchive {
  readonly name: string;
  readonly holds: string;
  /** The gzipped tar. */
  readonly path: string;
  /** sha256 of the gzipped tar, as the manifest names it. */
  readonly digest: string;
  readonly size: number;
  /** sha256 of the tar, as the config's rootfs names it. */
  readonly diffId: string;
}

/**
 * Sets the normalised modes on everything under `root` (not on `root` itself), then the
 * exceptions. Without `executables`, every file is 0644 (an image layout holds no programs).
 */
export function normaliseModes(root: string, exceptions: Readonly<Record<string, number>> = {}, executables = true): void {
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        chmodSync(path, 0o755);
        walk(path);
      } else {
        chmodSync(path, executables && lstatSync(path).mode & 0o111 ? 0o755 : 0o644);
      }
    }
  };
  walk(root);
  for (const [path, mode] of Object.entries(exceptions)) chmodSync(join(root, path), mode);
}

/**
 * Writes an uncompressed tar of everything under `root` (member names relative to it), owned by
 * 0:0 except the empty directories in `owners`, which are appended with their own owner.
 */
export function writeTar(root: string, out: string, owners: Readonly<Record<string, number>> = {}): void {
  const entries = readdirSync(root).sort();
  if (entries.length === 0) throw new BuildError('EmptyLayer', `${root} is empty`);
  const excluded = Object.keys(owners).flatMap((path) => ['--anchored', '--no-wildcards', `--exclude=${path}`]);
  run(
    'tar',
    ['--create', `--file=${out}`, `--directory=${root}`, ...TAR_FLAGS, '--owner=0', '--group=0', ...excluded, '--', ...entries],
    'TarFailed',
  );
  for (const [path, id] of Object.entries(owners).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (readdirSync(join(root, path)).length > 0)
      throw new BuildError('OwnedDirectoryNotEmpty', `${path} must be empty to get its own owner`);
    run(
      'tar',
      ['--append', `--file=${out}`, `--directory=${root}`, ...TAR_FLAGS, `--owner=${id}`, `--group=${id}`, '--no-recursion', '--', path],
      'TarFailed',
    );
  }
}

/**
 * Normalises and tars one staged layer (at once: the staged tree may be removed when this
 * returns), then gzips it into `out` (.tar.gz) in a child process, so the caller can stage the
 * next layer meanwhile; the uncompressed tar is removed.
 */
export function archiveLayer(layer: StagedLayer, out: string): Promise<LayerArchive> {
  normaliseModes(layer.root, layer.modes);
  const tar = `${out}.tmp.tar`;
  writeTar(layer.root, tar, layer.owners);
  const diffId = `sha256:${sha256File(tar)}`;
  const fd = openSync(out, 'w');
  // -n leaves out the name and time of the input.
  const gzip = spawn('gzip', ['-n', '-6', '-c', tar], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  gzip.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    gzip.once('error', (error) => reject(new BuildError('GzipFailed', `could not run gzip: ${error.message}`, { cause: error })));
    gzip.once('close', (code) => {
      if (code !== 0) {
        reject(new BuildError('GzipFailed', `gzip ${tar} failed (exit ${code}): ${stderr}`));
        return;
      }
      rmSync(tar);
      resolve({ name: layer.name, holds: layer.holds, path: out, digest: `sha256:${sha256File(out)}`, size: statSync(out).size, diffId });
    });
  });
}
