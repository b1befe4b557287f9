/**
 * Fetches the pinned inputs (inputs.ts) into the cache, once across parallel builds, and checks
 * each against its sha256 every time it is used. The Debian packages come with `apt-get download`
 * (after an `apt-get update` when the package lists are missing or old), Node.js with `npm pack`.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce } from '../build-once.ts';
import { cacheRoot } from '../cache-root.ts';
import { BuildError } from '../errors.ts';
import type { Log } from '../log.ts';
import { run, tryRun } from '../run-command.ts';
import { sha256File } from '../sha256-file.ts';
import { ARCHITECTURE, DEBIAN_PACKAGES, NODE_PACKAGE, PINS_FILE } from './inputs.ts';

/** A .deb pinned by version and by the sha256 of the file `apt-get download` fetches. */
export interface PinnedDeb {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
}

/** Where pins are kept, for the messages that say how to move them. */
export interface PinSource {
  /** The file with the pins, from the repository root. */
  readonly file: string;
  /** What to do when the mirror no longer has the pinned version of `pkg`. */
  readonly whenGone: (pkg: PinnedDeb) => string;
  /** What to do when a file has other bytes than pinned, once checked: `what` is "name version". */
  readonly whenChanged: (what: string) => string;
}

const INPUT_PINS: PinSource = {
  file: PINS_FILE,
  whenGone: (pkg) =>
    `Bump the ${pkg.name} pin in ${PINS_FILE} to the newest of those, with the sha256 of its .deb (apt-get download ${pkg.name}=VERSION; sha256sum ${pkg.name}_*.deb), and keep the other gcc/glibc packages on matching versions.`,
  whenChanged: (what) => `bump the sha256 of ${what} in ${PINS_FILE}`,
};

/** Where fetched inputs are cached. */
export const inputsDir = (): string => join(cacheRoot(), 'image-inputs');

export interface FetchedInputs {
  /** The checked .deb of each package in DEBIAN_PACKAGES, by name. */
  readonly debs: ReadonlyMap<string, string>;
  /** The checked `npm pack` tarball of NODE_PACKAGE. */
  readonly nodeTarball: string;
}

export async function fetchInputs(repoRoot: string, log: Log): Promise<FetchedInputs> {
  const dir = inputsDir();
  const debs = new Map<string, string>();
  for (const pkg of DEBIAN_PACKAGES) debs.set(pkg.name, await fetchDeb(pkg, dir, log));
  return { debs, nodeTarball: await fetchNode(repoRoot, dir, log) };
}

/** apt writes an epoch's colon as %3a in its file names. */
const fileVersion = (pkg: Pick<PinnedDeb, 'version'>): string => pkg.version.replaceAll(':', '%3a');

/** The name a fetched .deb is cached under. */
export const cachedDebName = (pkg: PinnedDeb): string => `${pkg.name}_${fileVersion(pkg)}_${ARCHITECTURE}.deb`;

/** The file `apt-get download` wrote for `pkg` among `files`: name_version_arch.deb, arch being `all` for some packages. */
export const aptDebFile = (files: readonly string[], pkg: Pick<PinnedDeb, 'name' | 'version'>): string | undefined =>
  files.find((name) => name.startsWith(`${pkg.name}_${fileVersion(pkg)}_`) && name.endsWith('.deb'));

/** The checked .deb of a pinned package, fetched into `dir` once (apt-get download). */
export async function fetchDeb(pkg: PinnedDeb, dir: string, log: Log, pins: PinSource = INPUT_PINS): Promise<string> {
  const file = cachedDebName(pkg);
  await buildOnce(dir, [file], `${pkg.name} ${pkg.version}`, log, async (out) => {
    log(`fetching ${pkg.name}=${pkg.version}`);
    let fetched = aptDownload(pkg, out);
    if (fetched.status !== 0 && process.getuid?.() === 0) {
      log(`apt-get download ${pkg.name}=${pkg.version} failed; updating the package lists and trying again`);
      run('apt-get', ['update'], 'AptUpdateFailed');
      fetched = aptDownload(pkg, out);
    }
    if (fetched.status !== 0) throw versionGone(pkg, fetched.stderr, pins);
    const [deb, ...more] = readdirSync(out).filter((name) => name.endsWith('.deb'));
    if (!deb || more.length > 0)
      throw new BuildError(
        'AptDownloadFailed',
        `apt-get download ${pkg.name}=${pkg.version} left ${more.length + (deb ? 1 : 0)} .deb files`,
      );
    renameSync(join(out, deb), join(out, file));
  });
  return checked(join(dir, file), pkg.sha256, `${pkg.name} ${pkg.version}`, pins);
}

/**
 * fetchDeb for many packages, by name: the ones not in `dir` yet come with one `apt-get download`
 * (one each would take a second apiece), then each is checked as fetchDeb checks it; when the
 * batch fails, fetchDeb fetches them one by one, so the error names the package.
 */
export async function fetchDebs(pkgs: readonly PinnedDeb[], dir: string, log: Log, pins: PinSource): Promise<Map<string, string>> {
  const missing = pkgs.filter((pkg) => !existsSync(join(dir, cachedDebName(pkg))));
  if (missing.length > 1) {
    log(`fetching ${missing.length} Debian packages`);
    mkdirSync(dir, { recursive: true });
    const out = mkdtempSync(join(dir, '.fetch-'));
    try {
      if (aptDownload(missing, out).status === 0) {
        const files = readdirSync(out);
        for (const pkg of missing) {
          const file = aptDebFile(files, pkg);
          if (file) renameSync(join(out, file), join(dir, cachedDebName(pkg)));
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const debs = new Map<string, string>();
  for (const pkg of pkgs) debs.set(pkg.name, await fetchDeb(pkg, dir, log, pins));
  return debs;
}

function aptDownload(pkgs: PinnedDeb | readonly PinnedDeb[], out: string) {
  const specs = (Array.isArray(pkgs) ? pkgs : [pkgs]).map((pkg: PinnedDeb) => `${pkg.name}:${ARCHITECTURE}=${pkg.version}`);
  // As root apt downloads as its `_apt` user, which cannot write a folder of ours; it would only warn.
  return tryRun('apt-get', ['-o', 'APT::Sandbox::User=root', 'download', ...specs], { cwd: out });
}

/** Debian mirrors keep only a suite's newest version: a security update makes the pinned one disappear. */
function versionGone(pkg: PinnedDeb, stderr: string, pins: PinSource): BuildError {
  const offered = tryRun('apt-cache', ['madison', pkg.name])
    .stdout.split('\n')
    .map((line) => line.split('|')[1]?.trim())
    .filter((version): version is string => Boolean(version));
  const hint =
    offered.length > 0
      ? `The Debian mirror moved on: it offers ${pkg.name} ${[...new Set(offered)].join(', ')}, no longer ${pkg.version}. ${pins.whenGone(pkg)}`
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
  return checked(join(dir, file), sha256, `${name} ${version}`, INPUT_PINS);
}

/** The path, when its sha256 is the pinned one; otherwise removes it (so the next run fetches again) and says which pin. */
function checked(path: string, sha256: string, what: string, pins: PinSource): string {
  const actual = sha256File(path);
  if (actual === sha256) return path;
  rmSync(path, { force: true });
  throw new BuildError(
    'InputChanged',
    `${path} has sha256 ${actual}, but ${pins.file} pins ${sha256} for ${what}: the mirror serves other bytes under the same version (or the download broke). Check it, then ${pins.whenChanged(what)}.`,
  );
}
