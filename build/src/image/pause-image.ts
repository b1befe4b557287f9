/**
 * The pause image: the CRI sandbox image of the test node (containerd's `sandbox_image`), one
 * layer holding /pause, a static program built here from pause/pause.c with the machine's gcc
 * (`gcc -static -Os`, stripped). It runs as 65535:65535 with /pause as its entrypoint, as the
 * Kubernetes pause image does. The same source, compiler and static C library give the same
 * digest; the layer's report names the gcc and glibc it was built with.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildError } from '../errors.ts';
import { craneBinary } from '../go-tools/crane.ts';
import type { Log } from '../log.ts';
import { run, tryRun } from '../run-command.ts';
import { sha256File } from '../sha256-file.ts';
import type { RunSettings } from './assemble.ts';
import { REPO_ROOT } from './build-image.ts';
import { archiveStaged, type ImageBuild, writeImage } from './image-archive.ts';
import { buildCodeFiles, cachedArchive, contentKey } from './image-cache.ts';
import { repositoryLabels } from './image-identity.ts';

export const PAUSE_REPOSITORY = 'airlock/pause';
/** The user the Kubernetes pause image runs as. */
export const PAUSE_ID = 65535;
const SOURCE = 'build/src/image/pause/pause.c';

export const PAUSE_SETTINGS: RunSettings = {
  platform: 'linux/amd64',
  user: `${PAUSE_ID}:${PAUSE_ID}`,
  entrypoint: '/pause',
};

export interface BuildPauseImageOptions {
  /** The archive to write, e.g. dist/pause-image.tar. */
  readonly output: string;
  readonly repoRoot?: string;
  readonly log?: Log;
}

export async function buildPauseImage(options: BuildPauseImageOptions): Promise<ImageBuild> {
  const { output, repoRoot = REPO_ROOT, log = () => {} } = options;
  const started = Date.now();
  const { version, labels } = repositoryLabels(
    repoRoot,
    'airlock-pause',
    'The sandbox container of pods on the airlock test node: holds the pod namespaces and reaps orphans; exits 0 on SIGTERM',
  );
  const reference = `${PAUSE_REPOSITORY}:${version}`;
  const toolchain = compiler();
  const crane = await craneBinary(log);
  const work = mkdtempSync(join(tmpdir(), 'airlock-pause-image-'));
  try {
    const root = join(work, 'pause-layer');
    mkdirSync(root);
    const source = join(repoRoot, SOURCE);
    log(`compiling ${SOURCE} (${toolchain.gcc}, static)`);
    run(
      'gcc',
      [
        '-static',
        '-Os',
        '-s',
        '-Wall',
        '-Wextra',
        '-Werror',
        // No path of this machine in the program.
        `-ffile-prefix-map=${dirname(source)}=.`,
        `-DPAUSE_VERSION="${version}"`,
        '-o',
        join(root, 'pause'),
        source,
      ],
      'PauseCompileFailed',
    );
    const layer = archiveStaged(
      {
        name: 'pause',
        holds: `/pause: ${statSync(join(root, 'pause')).size} bytes, static (${toolchain.gcc}; glibc ${toolchain.glibc})`,
        root,
      },
      work,
      log,
    );
    const image = await writeImage({ reference, labels, settings: PAUSE_SETTINGS }, [await layer], { crane, work, output, log });
    log(`built ${reference} ${image.digest} in ${Math.round((Date.now() - started) / 1000)}s`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The pause image for tests, built once per source, compiler, C library and build code. */
export function cachedPauseImage(log: Log = () => {}, repoRoot = REPO_ROOT): Promise<ImageBuild> {
  const toolchain = compiler();
  return cachedArchive({
    folder: 'pause-image',
    key: contentKey(repoRoot, [toolchain.gcc, toolchain.libcSha256], ['package.json', SOURCE, ...buildCodeFiles(repoRoot)]),
    archive: 'pause-image.tar',
    what: 'the pause image',
    log,
    build: (output) => buildPauseImage({ output, repoRoot, log }),
  });
}

interface Toolchain {
  /** The first line of `gcc --version`. */
  readonly gcc: string;
  readonly glibc: string;
  /** Of the static C library the program is linked with. */
  readonly libcSha256: string;
}

function compiler(): Toolchain {
  const missing = new BuildError(
    'NoStaticCompiler',
    'the pause image is compiled with gcc and the static C library (libc.a): install them with `make system-packages` (Debian packages gcc and libc6-dev)',
  );
  const version = tryRun('gcc', ['--version']);
  if (version.status !== 0) throw missing;
  const libc = tryRun('gcc', ['-print-file-name=libc.a']).stdout.trim();
  let libcSha256: string;
  try {
    libcSha256 = sha256File(libc);
  } catch {
    throw missing;
  }
  const glibc = tryRun('ldd', ['--version']).stdout.split('\n')[0]?.replace(/^.*\s/, '') ?? 'unknown';
  return { gcc: version.stdout.split('\n')[0] ?? 'gcc', glibc, libcSha256 };
}
