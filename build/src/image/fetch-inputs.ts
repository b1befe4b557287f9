/**
 * Fetches the pinned inputs (inputs.ts) into the cache, once across parallel builds, and checks
 * each against its sha256 every time it is used. The Debian packages come with `apt-get download`
 * (after an `apt-get update` when the package lists are missing or old), Node.js with `npm pack`.
 */
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce } from '../build-once.ts';
import { cacheRoot } from '../cache-root.ts';
import { BuildError } from '../errors.ts';
import type { Log } from '../log.ts';
import { run, tryRun } from '../run-command.ts';
import { sha256File } from '../sha256-file.ts';
import { ARCHITECTURE, DEBIAN_PACKAGES, type DebianPackage, NODE_PACKAGE, PINS_FILE } from './inputs.ts';

export interface FetchedInputs {
  /** The checked .deb of each package in DEBIAN_PACKAGES, by name. */
  readonly debs: ReadonlyMap<string, string>;
  /** The checked `npm pack` tarball of NODE_PACKAGE. */
  readonly nodeTarball: string;
}

export async function fetchInputs(repoRoot: string, log: Log): Promise<FetchedInputs> {
  const dir = join(cacheRoot(), 'image-inputs');
  const debs = new Map<string, string>();
  for (const pkg of DEBIAN_PACKAGES) debs.set(pkg.name, await fetchDeb(pkg, dir, log));
  return { debs, nodeTarball: await fetchNode(repoRoot, dir, log) };
}

async function fetchDeb(pkg: DebianPackage, dir: string, log: Log): Promise<string> {
  const file = `${pkg.name}_${pkg.version}_${ARCHITECTURE}.deb`;
  await buildOnce(dir, [file], `${pkg.name} ${pkg.version}`, log, async (out) => {
    log(`fetching ${pkg.name}=${pkg.version}`);
    let fetched = aptDownload(pkg, out);
    if (fetched.status !== 0 && process.getuid?.() === 0) {
      log(`apt-get download ${pkg.name}=${pkg.version} failed; updating the package lists and trying again`);
      run('apt-get', ['update'], 'AptUpdateFailed');
      fetched = aptDownload(pkg, out);
    }
    if (fetched.status !== 0) throw versionGone(pkg, fetched.stderr);
    const [deb, ...more] = readdirSync(out).filter((name) => name.endsWith('.deb'));
    if (!deb || more.length > 0)
      throw new BuildError(
        'AptDownloadFailed',
        `apt-get download ${pkg.name}=${pkg.version} left ${more.length + (deb ? 1 : 0)} .deb files`,
      );
    renameSync(join(out, deb), join(out, file));
  });
  return checked(join(dir, file), pkg.sha256, `${pkg.name} ${pkg.version}`);
}

function aptDownload(pkg: DebianPackage, out: string) {
  // As root apt downloads as its `_apt` user, which cannot write a folder of ours; it would only warn.
  return tryRun('apt-get', ['-o', 'APT::Sandbox::User=root', 'download', `${pkg.name}:${ARCHITECTURE}=${pkg.version}`], { cwd: out });
}

/** Debian mirrors keep only a suite's newest version: a security update makes the pinned one disappear. */
function versionGone(pkg: DebianPackage, stderr: string): BuildError {
  const offered = tryRun('apt-cache', ['madison', pkg.name])
    .stdout.split('\n')
    .map((line) => line.split('|')[1]?.trim())
    .filter((version): version is string => Boolean(version));
  const hint =
    offered.length > 0
      ? `The Debian mirror moved on: it offers ${pkg.name} ${[...new Set(offered)].join(', ')}, no longer ${pkg.version}. Bump the ${pkg.name} pin in ${PINS_FILE} to the newest of those, with the sha256 of its .deb (apt-get download ${pkg.name}=VERSION; sha256sum ${pkg.name}_*.deb), and keep the other gcc/glibc packages on matching versions.`
      : `apt knows no ${pkg.name}: this needs a Debian 12 (bookworm) machine with its package lists (apt-get update as root).`;
  return new BuildError('PinnedPackageGone', `cannot fetch ${pkg.name}=${pkg.version}. ${hint}\n${stderr.trim()}`);
}

async function fetchNode(repoRoot: string, dir: string, log: Log): Promise<string> {
  const wanted = readFileSync(join(repoRoot, '.node-version'), 'utf8').trim();
  const { name, version, sha256 } = NODE_PACKAGE;
  if (version !== wanted) {
    throw new BuildError(
      'NodePinStale',
      `.node-version says ${wanted} but ${PINS_FILE} pins ${name} ${version}: set NODE_PACKAGE.version to ${wanted} and its sha256 to that of \`npm pack ${name}@${wanted}\`.`,
    );
  }
  const file = `${name}-${version}.tgz`;
  await buildOnce(dir, [file], `${name} ${version}`, log, async (out) => {
    log(`fetching ${name}@${version} (npm pack)`);
    run('npm', ['pack', '--silent', `${name}@${version}`], 'NpmPackFailed', { cwd: out });
  });
  return checked(join(dir, file), sha256, `${name} ${version}`);
}

/** The path, when its sha256 is the pinned one; otherwise removes it (so the next run fetches again) and says which pin. */
function checked(path: string, sha256: string, what: string): string {
  const actual = sha256File(path);
  if (actual === sha256) return path;
  rmSync(path, { force: true });
  throw new BuildError(
    'InputChanged',
    `${path} has sha256 ${actual}, but ${PINS_FILE} pins ${sha256} for ${what}: the mirror serves other bytes under the same version (or the download broke). Check it, then bump the sha256 of ${what} in ${PINS_FILE}.`,
  );
}
