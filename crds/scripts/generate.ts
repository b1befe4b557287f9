/**
 * Writes the CRD manifests and TS types from crds/schema. With --check, writes nothing and exits 1
 * listing the files that are stale (CI and `make lint` use that).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles } from '../src/generated-files.ts';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [path, content] of generatedFiles()) {
  const file = join(root, path);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === content) continue;
  stale.push(`crds/${path}`);
  if (!check) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}
if (check && stale.length > 0) {
  process.stderr.write(`generated files are stale, run \`make generate\`:\n  ${stale.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(stale.length ? `generated ${stale.join(', ')}\n` : 'generated files are up to date\n');
