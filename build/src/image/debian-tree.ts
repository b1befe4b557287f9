/**
 * A Debian root file system from .deb files, without dpkg: the files of each package unpacked
 * (dpkg-deb -x), its control fields in /var/lib/dpkg/status.d/<name> (as distroless images keep
 * them: image scanners read them there), and /usr merged as Debian 12 installs it (/bin, /sbin,
 * /lib and /lib64 are links into /usr). Then, for the layer: documentation removed except the
 * copyright files, hard links made symbolic (a layer tar stores each hard link as a copy), and
 * the modes worth keeping collected (layer-tar.ts normalises all others).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BuildError } from '../errors.ts';
import { run } from '../run-command.ts';

/**
 * Unpacks every .deb (by package name) into `root`, in name order, with its control fields.
 * Returns the packages that have a preinst or postinst: what configures a package on install.
 */
export function unpackDebs(root: string, debs: ReadonlyMap<string, string>): string[] {
  const status = join(root, 'var/lib/dpkg/status.d');
  const control = join(root, 'DEBIAN');
  const scripted: string[] = [];
  for (const [name, deb] of [...debs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // One process for the files and the control members (in DEBIAN/): dpkg-deb is slow to start.
    run('dpkg-deb', ['--raw-extract', deb, root], 'DpkgDebFailed');
    const members = readdirSync(control);
    if (members.includes('preinst') || members.includes('postinst')) scripted.push(name);
    mkdirSync(status, { recursive: true });
    renameSync(join(control, 'control'), join(status, name));
    rmSync(control, { recursive: true });
  }
  return scripted;
}

const MERGED = ['bin', 'sbin', 'lib', 'lib64'];

/** Moves /bin, /sbin, /lib and /lib64 into /usr and leaves relative links in their place. */
export function mergeUsr(root: string): void {
  for (const dir of MERGED) {
    const from = join(root, dir);
    const to = join(root, 'usr', dir);
    const entry = lstatOrUndefined(from);
    if (entry?.isSymbolicLink()) {
      if (readlinkSync(from) !== `usr/${dir}`) throw new BuildError('UsrMergeConflict', `/${dir} is a link to ${readlinkSync(from)}`);
      continue;
    }
    mkdirSync(to, { recursive: true });
    if (entry) {
      moveInto(root, from, to);
      rmdirSync(from);
    }
    symlinkSync(`usr/${dir}`, from);
  }
}

function moveInto(root: string, from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = join(to, name);
    const existing = lstatOrUndefined(target);
    if (!existing) {
      renameSync(source, target);
    } else if (existing.isDirectory() && lstatSync(source).isDirectory()) {
      moveInto(root, source, target);
      rmdirSync(source);
    } else if (sameEntry(source, target)) {
      rmSync(source);
    } else {
      throw new BuildError(
        'UsrMergeConflict',
        `/${relative(root, source)} and /${relative(root, target)} are different files: two packages would own one path in merged /usr`,
      );
    }
  }
}

function sameEntry(a: string, b: string): boolean {
  const [left, right] = [lstatSync(a), lstatSync(b)];
  if (left.isSymbolicLink() && right.isSymbolicLink()) return readlinkSync(a) === readlinkSync(b);
  if (left.isFile() && right.isFile()) return readFileSync(a).equals(readFileSync(b));
  return false;
}

/** What no program reads: manuals, info pages, translations, lintian overrides, and documentation but the copyright files. */
const UNREAD = ['usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian'];

export function removeDocumentation(root: string): void {
  for (const path of UNREAD) rmSync(join(root, path), { recursive: true, force: true });
  const docs = join(root, 'usr/share/doc');
  for (const pkg of readdirSafe(docs)) {
    const dir = join(docs, pkg);
    // A package's doc folder may be a link to another package's (libgcc-s1 → gcc-12-base).
    if (!lstatSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir)) if (name !== 'copyright') rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Replaces every hard link but the first (by path) of each file with a relative symbolic link to it. */
export function symlinkHardLinks(root: string): void {
  const first = new Map<string, string>();
  for (const path of walk(root)) {
    const stat = lstatSync(path);
    if (!stat.isFile() || stat.nlink < 2) continue;
    const inode = `${stat.dev}:${stat.ino}`;
    const original = first.get(inode);
    if (!original) {
      first.set(inode, path);
      continue;
    }
    rmSync(path);
    symlinkSync(relative(dirname(path), original), path);
  }
}

/**
 * The modes layer-tar.ts must keep, by path: sticky directories (/tmp), private directories
 * (/root, /etc/ssl/private) and private files. Set-user-ID and set-group-ID bits are not kept:
 * nothing in the image gains privileges by running a program.
 */
export function keptModes(root: string): Record<string, number> {
  const modes: Record<string, number> = {};
  for (const path of walk(root)) {
    const stat = lstatSync(path);
    const mode = stat.mode & 0o1777;
    if (stat.isDirectory() && (mode & 0o1000 || (mode & 0o077) === 0)) modes[relative(root, path)] = mode;
    else if (stat.isFile() && (mode & 0o044) === 0) modes[relative(root, path)] = mode & 0o777;
  }
  return modes;
}

/** Every path under `dir` (not `dir`), depth first in name order, not following links. */
function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    yield path;
    if (lstatSync(path).isDirectory()) yield* walk(path);
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
