/**
 * How every image build ends, whatever its layers: each staged layer is archived reproducibly
 * (layer-tar.ts; compressed in a child process while the next one is staged), the archives are
 * assembled with crane into one image archive (assemble.ts), and the report is written beside
 * it: <name>.json (what the build returns, without the archive path) and <name>.digest.
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Log } from '../log.ts';
import { assemble, type RunSettings } from './assemble.ts';
import { archiveLayer, type LayerArchive } from './layer-tar.ts';
import type { StagedLayer } from './staged-layer.ts';

export interface ImageLayer {
  readonly name: string;
  readonly holds: string;
  readonly digest: string;
  /** Compressed bytes. */
  readonly size: number;
}

export interface ImageReport {
  /** repository:tag, e.g. airlock/airlock:0.1.0 */
  readonly reference: string;
  /** The manifest digest, sha256:… */
  readonly digest: string;
  readonly configDigest: string;
  /**
   * The commit of the work tree the image was built from, for images built from the repository's
   * code (the airlock image); absent for images built from pinned inputs alone (pause, agent,
   * CoreDNS).
   */
  readonly revision?: string;
  /** Config and layers, compressed. */
  readonly size: number;
  readonly archiveSize: number;
  readonly layers: readonly ImageLayer[];
}

export interface ImageBuild extends ImageReport {
  /** The archive: an OCI image layout with a Docker manifest.json, as one tar. */
  readonly archive: string;
}

/** What an image is called and how it runs. */
export interface ImageSpec {
  /** repository:tag */
  readonly reference: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly settings: RunSettings;
  readonly revision?: string;
}

/** The files written beside an archive: `dist/airlock-image.tar` → `dist/airlock-image.json`. */
export const reportPaths = (archive: string) => {
  const stem = archive.replace(/\.tar$/, '');
  return { json: `${stem}.json`, digest: `${stem}.digest` };
};

/**
 * Archives a staged layer into `work` and removes the staged tree at once (the tar is written
 * before this returns; only the compression is pending).
 */
export function archiveStaged(layer: StagedLayer, work: string, log: Log): Promise<LayerArchive> {
  const archived = archiveLayer(layer, join(work, `${layer.name}.tar.gz`));
  rmSync(layer.root, { recursive: true, force: true });
  return archived.then((done) => {
    log(`archived the ${layer.name} layer: ${done.digest} (${(done.size / 1e6).toFixed(1)} MB)`);
    return done;
  });
}

export interface WriteImageOptions {
  readonly crane: string;
  /** Scratch folder of this build. */
  readonly work: string;
  /** The archive to write; written as <output>.partial first, so it never exists half-written. */
  readonly output: string;
  readonly log: Log;
}

/** Assembles the layers (in order) into the archive at `output`, and writes the report beside it. */
export async function writeImage(spec: ImageSpec, layers: readonly LayerArchive[], options: WriteImageOptions): Promise<ImageBuild> {
  const { crane, work, output, log } = options;
  mkdirSync(dirname(output), { recursive: true });
  const partial = `${output}.partial`;
  const image = await assemble({
    crane,
    layers,
    reference: spec.reference,
    labels: spec.labels,
    settings: spec.settings,
    work,
    output: partial,
    log,
  });
  renameSync(partial, output);
  const report: ImageReport = {
    reference: spec.reference,
    digest: image.digest,
    configDigest: image.configDigest,
    ...(spec.revision ? { revision: spec.revision } : {}),
    size: image.size,
    archiveSize: statSync(output).size,
    layers: layers.map(({ name, holds, digest, size }) => ({ name, holds, digest, size })),
  };
  const paths = reportPaths(output);
  writeFileSync(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(paths.digest, `${image.digest}\n`);
  return { ...report, archive: output };
}
