import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** The sha256 of a file, hex, read in chunks (image layers are larger than one wants in memory twice). */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
