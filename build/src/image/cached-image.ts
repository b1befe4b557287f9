/**
 * The image for tests: built once per content (the files it is built from, the build code and
 * pins, the commit) into the cache, so the test files that need it, even run in parallel, build
 * it once; the three newest builds are kept.
 */
import type { Log } from '../log.ts';
import { run } from '../run-command.ts';
import { appSourceFiles } from './app-layers.ts';
import { buildImage, type ImageBuild, REPO_ROOT } from './build-image.ts';
import { buildCodeFiles, cachedArchive, contentKey } from './image-cache.ts';

export function cachedImage(log: Log = () => {}, repoRoot = REPO_ROOT): Promise<ImageBuild> {
  return cachedArchive({
    folder: 'image',
    // Everything the image depends on: the commit (its revision label), the files it is built from, the build code and pins.
    key: contentKey(
      repoRoot,
      [run('git', ['rev-parse', 'HEAD'], 'GitFailed', { cwd: repoRoot })],
      [...appSourceFiles(repoRoot), ...buildCodeFiles(repoRoot)],
    ),
    archive: 'airlock-image.tar',
    what: 'the airlock image',
    log,
    build: (output) => buildImage({ output, repoRoot, log }),
  });
}
