/**
 * The CoreDNS image: the cluster DNS of the test node (testkit/src/node/cluster-dns.ts), which
 * runs it as a pod, as kubeadm and kind clusters do. One layer holding /coredns, the pinned
 * release built from Go modules without cgo (go-tools/coredns.ts); it runs as 65532:65532 with
 * /coredns as its entrypoint. The same binary and build code give the same digest.
 */
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';
import { corednsBinary, corednsVersion } from '../go-tools/coredns.ts';
import { craneBinary } from '../go-tools/crane.ts';
import type { Log } from '../log.ts';
import { sha256File } from '../sha256-file.ts';
import type { RunSettings } from './assemble.ts';
import { REPO_ROOT } from './build-image.ts';
import { archiveStaged, type ImageBuild, writeImage } from './image-archive.ts';
import { buildCodeFiles, cachedArchive, contentKey } from './image-cache.ts';
import { repositoryLabels } from './image-identity.ts';
import { NONROOT_ID } from './staged-layer.ts';

export const COREDNS_REPOSITORY = 'airlock/coredns';

export const COREDNS_SETTINGS: RunSettings = {
  platform: 'linux/amd64',
  user: `${NONROOT_ID}:${NONROOT_ID}`,
  entrypoint: '/coredns',
};

export interface BuildCorednsImageOptions {
  /** The archive to write, e.g. dist/coredns-image.tar. */
  readonly output: string;
  readonly repoRoot?: string;
  readonly log?: Log;
}

export async function buildCorednsImage(options: BuildCorednsImageOptions): Promise<ImageBuild> {
  const { output, repoRoot = REPO_ROOT, log = () => {} } = options;
  const started = Date.now();
  const release = corednsVersion();
  const version = release.replace(/^v/, '');
  const { labels } = repositoryLabels(
    repoRoot,
    'airlock-coredns',
    'The cluster DNS of the airlock test node (CoreDNS): answers names of the cluster only',
  );
  // Tagged with the CoreDNS release it holds, as upstream tags its image.
  const reference = `${COREDNS_REPOSITORY}:${version}`;
  const coredns = await corednsBinary(log);
  requireStaticAmd64(coredns);
  const crane = await craneBinary(log);
  const work = mkdtempSync(join(tmpdir(), 'airlock-coredns-image-'));
  try {
    const root = join(work, 'coredns-layer');
    mkdirSync(root);
    copyFileSync(coredns, join(root, 'coredns'));
    const layer = archiveStaged(
      { name: 'coredns', holds: `/coredns: CoreDNS ${release}, ${statSync(coredns).size} bytes, static`, root },
      work,
      log,
    );
    const image = await writeImage(
      { reference, labels: { ...labels, 'org.opencontainers.image.version': version }, settings: COREDNS_SETTINGS },
      [await layer],
      { crane, work, output, log },
    );
    log(`built ${reference} ${image.digest} in ${Math.round((Date.now() - started) / 1000)}s`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The CoreDNS image for tests, built once per binary and build code. */
export async function cachedCorednsImage(log: Log = () => {}, repoRoot = REPO_ROOT): Promise<ImageBuild> {
  const coredns = await corednsBinary(log);
  return cachedArchive({
    folder: 'coredns-image',
    key: contentKey(repoRoot, [sha256File(coredns)], ['package.json', ...buildCodeFiles(repoRoot)]),
    archive: 'coredns-image.tar',
    what: 'the CoreDNS image',
    log,
    build: (output) => buildCorednsImage({ output, repoRoot, log }),
  });
}

const PT_INTERP = 3;

/**
 * The image has nothing but /coredns: a program that needs a dynamic loader (an AIRLOCK_COREDNS
 * built with cgo) would fail in the pod with a bare "no such file or directory". Checked here,
 * from the ELF header: x86-64 (the image's platform) and no interpreter segment.
 */
function requireStaticAmd64(path: string): void {
  const header = Buffer.alloc(64);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 64, 0);
    const elf64x86 = header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2 && header[5] === 1 && header.readUInt16LE(0x12) === 0x3e;
    if (!elf64x86) throw new BuildError('CorednsNotStatic', `${path} is not an x86-64 Linux program: the CoreDNS image is linux/amd64`);
    const offset = Number(header.readBigUInt64LE(0x20));
    const size = header.readUInt16LE(0x36);
    const count = header.readUInt16LE(0x38);
    const table = Buffer.alloc(size * count);
    readSync(fd, table, 0, table.length, offset);
    for (let i = 0; i < count; i++) {
      if (table.readUInt32LE(i * size) === PT_INTERP) {
        throw new BuildError(
          'CorednsNotStatic',
          `${path} is dynamically linked: the CoreDNS image has no C library. Build it with CGO_ENABLED=0, or unset AIRLOCK_COREDNS to build it here`,
        );
      }
    }
  } finally {
    closeSync(fd);
  }
}
