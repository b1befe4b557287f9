/** Reads the example manifests shipped in crds/examples, for tests and the local run. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const EXAMPLES_DIR = join(import.meta.dirname, '..', 'examples');

export interface ExampleDocument {
  file: string;
  doc: Record<string, unknown>;
}

export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(EXAMPLES_DIR, f));
}

export function exampleDocuments(): ExampleDocument[] {
  return exampleFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
      return { file, doc: d.toJS() as Record<string, unknown> };
    }),
  );
}
