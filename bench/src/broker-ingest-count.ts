/**
 * What the broker's ingest directory holds: session files (<namespace>/<pod>/<session>.jsonl, one
 * per agent connection) and their lines (one record each), so the benchmark's reader sees the
 * records were really stored, not only acknowledged. Lock files (.lock) are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IngestCount {
  readonly files: number;
  readonly records: number;
  readonly bytes: number;
}

export function countIngested(directory: string): IngestCount {
  let files = 0;
  let records = 0;
  let bytes = 0;
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.jsonl')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name));
    files += 1;
    bytes += text.length;
    for (let at = text.indexOf(0x0a); at >= 0; at = text.indexOf(0x0a, at + 1)) records += 1;
  }
  return { files, records, bytes };
}
