/**
 * The image for tests: built once per content (the files it is built from, the build code and
 * pins, the commit) into the cache, so the test files that need it, even run in parallel, build
 * it once; the three newest builds are kept.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce } from '../build-once.ts';
import { cacheRoot } from '../cache-root.ts';
import type { Log } from '../log.ts';
import { run } from '../run-command.ts';
import { sha256File } from '../sha256-file.ts';
import { appSourceFiles } from './app-layers.ts';
import { buildImage, type ImageBuild, type ImageReport, REPO_ROOT, reportPaths } from './build-image.ts';

const ARCHIVE = 'airlock-image.tar';
const KEEP = 3;

export async function cachedImage(log: Log = () => {}, repoRoot = REPO_ROOT): Promise<ImageBuild> {
  const images = join(cacheRoot(), 'image');
  const dir = join(images, contentKey(repoRoot));
  const archive = join(dir, ARCHIVE);
  const { json, digest } = reportPaths(ARCHIVE);
  await buildOnce(dir, [ARCHIVE, json, digest], 'the airlock image', log, async (out) => {
    await buildImage({ output: join(out, ARCHIVE), repoRoot, log });
  });
  const report = JSON.parse(readFileSync(reportPaths(archive).json, 'utf8')) as ImageReport;
  pruneOlder(images, dir);
  return { ...report, archive };
}

/** A hash of everything the image depends on, cheap enough to compute on every call (a few MB of files). */
function contentKey(repoRoot: string): string {
  const hash = createHash('sha256');
  hash.update(run('git', ['rev-parse', 'HEAD'], 'GitFailed', { cwd: repoRoot }));
  const buildFiles = run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', 'build/src', 'build/go-tools/crane', '.node-version'],
    'GitFailed',
    {
      cwd: repoRoot,
    },
  )
    .split('\0')
    .filter(Boolean);
  for (const path of [...new Set([...appSourceFiles(repoRoot), ...buildFiles])].sort()) {
    let content: string;
    try {
      content = sha256File(join(repoRoot, path));
    } catch {
      content = 'missing';
    }
    hash.update(`${path}\0${content}\n`);
  }
  return hash.digest('hex').slice(0, 20);
}

function pruneOlder(images: string, current: string): void {
  const builds = readdirSync(images)
    .map((name) => join(images, name))
    .filter((path) => path !== current && !safeExists(join(path, '.lock')))
    .map((path) => ({ path, mtime: safeMtime(path) }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of builds.slice(KEEP - 1)) rmSync(path, { recursive: true, force: true });
}

const safeMtime = (path: string): number => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};

const safeExists = (path: string): boolean => safeMtime(path) > 0;
