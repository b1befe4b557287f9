/**
 * Image archives for tests, built once per content key into the cache: the test files that need
 * an image, even run in parallel, build it once (buildOnce's lock), and the three newest builds
 * of each kind are kept.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce } from '../build-once.ts';
import { cacheRoot } from '../cache-root.ts';
import type { Log } from '../log.ts';
import { run } from '../run-command.ts';
import { sha256File } from '../sha256-file.ts';
import { type ImageBuild, type ImageReport, reportPaths } from './image-archive.ts';

const KEEP = 3;

export interface CachedArchiveOptions {
  /** The cache folder of this kind of image, e.g. `image`; one subfolder per key. */
  readonly folder: string;
  /** A hash of everything the image is built from. */
  readonly key: string;
  /** The archive's file name, e.g. airlock-image.tar. */
  readonly archive: string;
  /** For log lines: "the airlock image". */
  readonly what: string;
  readonly log: Log;
  /** Builds the archive at `output` and its report beside it (image-archive.ts writeImage). */
  readonly build: (output: string) => Promise<unknown>;
}

export async function cachedArchive(options: CachedArchiveOptions): Promise<ImageBuild> {
  const images = join(cacheRoot(), options.folder);
  const dir = join(images, options.key);
  const archive = join(dir, options.archive);
  const { json, digest } = reportPaths(options.archive);
  await buildOnce(dir, [options.archive, json, digest], options.what, options.log, async (out) => {
    await options.build(join(out, options.archive));
  });
  const report = JSON.parse(readFileSync(reportPaths(archive).json, 'utf8')) as ImageReport;
  pruneOlder(images, dir);
  return { ...report, archive };
}

/**
 * A content key: the hash of `parts` and of the contents of `files` (paths in the repository,
 * sorted and deduplicated; a missing file counts as missing). Cheap enough for every call.
 */
export function contentKey(repoRoot: string, parts: readonly string[], files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  for (const path of [...new Set(files)].sort()) {
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

/** The files the image builds are made by: the build code, crane's pin and the Node version, as git lists them (tracked, or untracked and not ignored). */
export function buildCodeFiles(repoRoot: string): string[] {
  return run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', 'build/src', 'build/go-tools/crane', '.node-version'],
    'GitFailed',
    { cwd: repoRoot },
  )
    .split('\0')
    .filter(Boolean);
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
