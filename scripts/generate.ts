/**
 * `make generate`: writes every generated file from its one source — the CRD manifests and TS
 * types from crds/schema; the chart's CRDs, install objects and webhook configurations from
 * contracts/src/install; its values.yaml and README values table from its values.schema.json.
 * With --check, writes nothing and exits 1 listing the files that are stale (`make lint` and
 * `make build` use that).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chartFiles } from '@airlock/contracts/install';
import { generatedFiles } from '@airlock/crds/generated-files';

const root = join(import.meta.dirname, '..');
const chart = join(root, 'charts', 'airlock');
/** Each source's files, with paths relative to the folder they are written into. */
const SOURCES: readonly { readonly folder: string; readonly files: ReadonlyMap<string, string> }[] = [
  { folder: 'crds', files: generatedFiles() },
  {
    folder: 'charts/airlock',
    files: chartFiles({
      valuesSchema: JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')),
      readme: readFileSync(join(chart, 'README.md'), 'utf8'),
    }),
  },
];

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const { folder, files } of SOURCES) {
  for (const [path, content] of files) {
    const file = join(root, folder, path);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === content) continue;
    stale.push(`${folder}/${path}`);
    if (!check) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
}
if (check && stale.length > 0) {
  process.stderr.write(`generated files are stale, run \`make generate\`:\n  ${stale.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(stale.length ? `generated ${stale.join(', ')}\n` : 'generated files are up to date\n');
