/**
 * `make image`: builds the airlock image archive without a container daemon and prints its
 * digest, size and layers. `node build/src/image/main.ts [--output FILE]` (default
 * dist/airlock-image.tar). Exit codes: 0 built, 2 bad flags, 1 the build failed (the message says why).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError } from '../errors.ts';
import { buildImage, REPO_ROOT, reportPaths } from './build-image.ts';

const USAGE = `usage: node build/src/image/main.ts [--output FILE]
  --output FILE   the image archive to write (default dist/airlock-image.tar); FILE.json and
                  FILE.digest are written beside it
`;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<number> {
  let values: { output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const output = values.output ? resolve(values.output) : join(REPO_ROOT, 'dist', 'airlock-image.tar');
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[image ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
  const image = await buildImage({ output, log });
  const { json, digest } = reportPaths(output);
  process.stdout.write(
    [
      `${image.reference}@${image.digest}`,
      `  archive  ${image.archive} (${mb(image.archiveSize)}; ${json}, ${digest})`,
      `  size     ${mb(image.size)} compressed`,
      `  revision ${image.revision}`,
      '  layers',
      ...image.layers.map(
        (layer) => `    ${layer.name.padEnd(5)} ${layer.digest.slice(0, 19)}  ${mb(layer.size).padStart(8)}  ${layer.holds}`,
      ),
      `  built in ${Math.round((Date.now() - started) / 1000)}s`,
      '',
    ].join('\n'),
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(
      error instanceof BuildError ? `make image: ${error.code}: ${error.message}\n` : `make image failed: ${error.stack}\n`,
    );
    process.exitCode = 1;
  },
);
