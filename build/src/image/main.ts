/**
 * `make image` and `make images`: builds image archives without a container daemon and prints
 * each one's digest, size and layers. `node build/src/image/main.ts [--image NAME] [--output FILE]`:
 * the airlock image by default (dist/airlock-image.tar); the pause, agent or CoreDNS image of the
 * test node; or all four into dist/. Exit codes: 0 built, 2 bad flags, 1 a build failed (the message says why).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError } from '../errors.ts';
import type { Log } from '../log.ts';
import { buildAgentImage } from './agent-image.ts';
import { buildImage, type ImageBuild, REPO_ROOT, reportPaths } from './build-image.ts';
import { buildCorednsImage } from './coredns-image.ts';
import { buildPauseImage } from './pause-image.ts';

const BUILDS: Readonly<Record<string, (options: { output: string; log: Log }) => Promise<ImageBuild>>> = {
  airlock: buildImage,
  pause: buildPauseImage,
  agent: buildAgentImage,
  coredns: buildCorednsImage,
};

const USAGE = `usage: node build/src/image/main.ts [--image NAME] [--output FILE]
  --image NAME    airlock (default: the operator and sidecar), pause (the test node's sandbox
                  image), agent (tools for agent pods), coredns (the test node's cluster DNS),
                  or all: the four into dist/
  --output FILE   the image archive to write (default dist/NAME-image.tar; not with --image all);
                  FILE.json and FILE.digest are written beside it
`;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<number> {
  let values: { image?: string; output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        image: { type: 'string', default: 'airlock' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const names = values.image === 'all' ? Object.keys(BUILDS) : [values.image ?? 'airlock'];
  const unknown = names.find((name) => !(name in BUILDS));
  if (unknown || (values.output && names.length > 1)) {
    process.stderr.write(`${unknown ? `no image called ${unknown}` : '--output names one archive: not with --image all'}\n\n${USAGE}`);
    return 2;
  }
  for (const name of names) {
    const output = values.output ? resolve(values.output) : join(REPO_ROOT, 'dist', `${name}-image.tar`);
    const started = Date.now();
    const log = (line: string) => process.stderr.write(`[${name} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
    const image = await BUILDS[name]!({ output, log });
    const { json, digest } = reportPaths(output);
    process.stdout.write(
      [
        `${image.reference}@${image.digest}`,
        `  archive  ${image.archive} (${mb(image.archiveSize)}; ${json}, ${digest})`,
        `  size     ${mb(image.size)} compressed`,
        ...(image.revision ? [`  revision ${image.revision}`] : []),
        '  layers',
        ...image.layers.map(
          (layer) => `    ${layer.name.padEnd(7)} ${layer.digest.slice(0, 19)}  ${mb(layer.size).padStart(8)}  ${layer.holds}`,
        ),
        `  built in ${Math.round((Date.now() - started) / 1000)}s`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(
      error instanceof BuildError ? `image build: ${error.code}: ${error.message}\n` : `image build failed: ${error.stack}\n`,
    );
    process.exitCode = 1;
  },
);
