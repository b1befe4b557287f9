/**
 * Writes the generated files of the Helm chart (charts/airlock: CRDs and install objects, from
 * contracts/src/install/chart-files.ts). With --check, writes nothing and exits 1 listing the files
 * that are stale (`make lint` uses that).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chartFiles } from '@airlock/contracts/install';

const chart = join(import.meta.dirname, '..', 'charts', 'airlock');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [path, content] of chartFiles()) {
  const file = join(chart, path);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === content) continue;
  stale.push(`charts/airlock/${path}`);
  if (!check) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}
if (check && stale.length > 0) {
  process.stderr.write(`generated chart files are stale, run \`make generate\`:\n  ${stale.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(stale.length ? `generated ${stale.join(', ')}\n` : 'generated chart files are up to date\n');
