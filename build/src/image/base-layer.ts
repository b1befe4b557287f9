/**
 * The base layer: only what the Node.js binary needs to start and resolve names — the C and C++
 * runtime from the pinned Debian packages at their Debian paths, the users root and nonroot, name
 * service files, /tmp and a home for nonroot. No shell, no package manager. The dpkg status of the
 * packages and os-release are there so image scanners see which glibc and libstdc++ it carries.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BuildError } from '../errors.ts';
import { run } from '../run-command.ts';
import { DEBIAN_PACKAGES, PINS_FILE } from './inputs.ts';
import { NONROOT_ID, type StagedLayer } from './staged-layer.ts';

const ETC: Readonly<Record<string, string>> = {
  'etc/passwd': `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT_ID}:${NONROOT_ID}:nonroot:/home/nonroot:/sbin/nologin\n`,
  'etc/group': `root:x:0:\nnonroot:x:${NONROOT_ID}:\n`,
  'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
  // Node resolves "localhost" through the name service; without this line it would ask DNS.
  'etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  'etc/os-release':
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm) libraries, no shell (airlock)"\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n',
};

/** Stages the base layer into `root` from the fetched .deb files; `work` is scratch space. */
export function stageBase(root: string, debs: ReadonlyMap<string, string>, work: string): StagedLayer {
  for (const pkg of DEBIAN_PACKAGES) {
    const deb = debs.get(pkg.name);
    if (!deb) throw new BuildError('InputMissing', `no .deb for ${pkg.name}`);
    const unpacked = join(work, pkg.name);
    mkdirSync(unpacked, { recursive: true });
    run('dpkg-deb', ['-x', deb, unpacked], 'DpkgDebFailed');
    for (const path of pkg.take) {
      const from = join(unpacked, path);
      if (!lstatExists(from)) {
        throw new BuildError('PinnedPackageChanged', `${pkg.name} ${pkg.version} has no ${path}; update its \`take\` list in ${PINS_FILE}`);
      }
      copyEntry(from, join(root, path));
    }
    // The package's control fields, as distroless images keep them: scanners read status.d.
    write(root, `var/lib/dpkg/status.d/${pkg.name}`, run('dpkg-deb', ['-f', deb], 'DpkgDebFailed'));
  }
  for (const [path, text] of Object.entries(ETC)) write(root, path, text);
  for (const dir of ['tmp', 'root', 'home/nonroot']) mkdirSync(join(root, dir), { recursive: true });
  return {
    name: 'base',
    holds: `glibc, libgcc and libstdc++ from Debian 12 (${DEBIAN_PACKAGES.map((p) => `${p.name} ${p.version}`).join(', ')}); users root and nonroot; /etc name service files; /tmp`,
    root,
    modes: { tmp: 0o1777, root: 0o700 },
    owners: { 'home/nonroot': NONROOT_ID },
  };
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Copies a file, or recreates a symlink as it is (the Debian paths keep their links). */
function copyEntry(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else copyFileSync(from, to);
}

function write(root: string, path: string, text: string): void {
  const to = join(root, path);
  mkdirSync(dirname(to), { recursive: true });
  if (existsSync(to)) throw new BuildError('LayerConflict', `${path} is written twice into the base layer`);
  writeFileSync(to, text);
}
