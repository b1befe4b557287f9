/**
 * Writes the plugin as one executable file that runs with Node 24 and nothing else installed:
 * `kubectl-approve/dist/kubectl-approve` (or the path given), CommonJS so that it runs wherever it
 * is copied (no package.json needed), with a `#!/usr/bin/env node` line. `make approve-plugin`.
 *
 *   node kubectl-approve/scripts/bundle.ts [OUTFILE]
 */
import { chmodSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_BUNDLE = join(PACKAGE_DIR, 'dist', 'kubectl-approve');

export async function bundlePlugin(outfile: string = DEFAULT_BUNDLE): Promise<{ outfile: string; bytes: number }> {
  const result = await build({
    entryPoints: [join(PACKAGE_DIR, 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    // The licenses of what is bundled (client-node, yaml, ...) travel with it.
    legalComments: 'eof',
    banner: {
      js: [
        '#!/usr/bin/env node',
        // Before any bundled code runs, so an older Node says what is wrong instead of failing somewhere inside.
        `if (Number(process.versions.node.split('.')[0]) < 24) { process.stderr.write('kubectl-approve needs Node.js 24 or later; ' + process.execPath + ' is ' + process.version + '\\n'); process.exit(1); }`,
      ].join('\n'),
    },
    logLevel: 'warning',
    // ws's optional native speed-ups; it works without them.
    external: ['bufferutil', 'utf-8-validate'],
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);
  chmodSync(outfile, 0o755);
  return { outfile, bytes: statSync(outfile).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outfile, bytes } = await bundlePlugin(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`wrote ${outfile} (${Math.round(bytes / 1024)} KiB)\n`);
}
