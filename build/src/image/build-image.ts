/**
 * Builds the airlock image archive (docs/adr/0016-image-without-a-daemon.md): four layers —
 * base (C/C++ runtime, users), node, deps, app — archived reproducibly and assembled with crane.
 * The same commit and inputs give the same image digest. Writes the archive, and beside it
 * <name>.json (what this returns, without the archive path) and <name>.digest (the digest alone).
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { craneBinary } from '../go-tools/crane.ts';
import type { Log } from '../log.ts';
import { stageApp } from './app-layers.ts';
import { assemble } from './assemble.ts';
import { stageBase } from './base-layer.ts';
import { fetchInputs } from './fetch-inputs.ts';
import { imageIdentity } from './image-identity.ts';
import { archiveLayer, type LayerArchive } from './layer-tar.ts';
import { stageNode } from './node-layer.ts';
import type { StagedLayer } from './staged-layer.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

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
  readonly revision: string;
  /** Config and layers, compressed. */
  readonly size: number;
  readonly archiveSize: number;
  readonly layers: readonly ImageLayer[];
}

export interface ImageBuild extends ImageReport {
  /** The archive: an OCI image layout with a Docker manifest.json, as one tar. */
  readonly archive: string;
}

export interface BuildImageOptions {
  /** The archive to write, e.g. dist/airlock-image.tar. */
  readonly output: string;
  readonly repoRoot?: string;
  readonly log?: Log;
}

/** The files written beside an archive: `dist/airlock-image.tar` → `dist/airlock-image.json`. */
export const reportPaths = (archive: string) => {
  const stem = archive.replace(/\.tar$/, '');
  return { json: `${stem}.json`, digest: `${stem}.digest` };
};

export async function buildImage(options: BuildImageOptions): Promise<ImageBuild> {
  const { output, repoRoot = REPO_ROOT, log = () => {} } = options;
  const started = Date.now();
  const identity = imageIdentity(repoRoot);
  const crane = await craneBinary(log);
  const inputs = await fetchInputs(repoRoot, log);
  const work = mkdtempSync(join(tmpdir(), 'airlock-image-'));
  try {
    log(`staging the layers of ${identity.reference} (revision ${identity.revision})`);
    const archive = (layer: StagedLayer): Promise<LayerArchive> => {
      const archived = archiveLayer(layer, join(work, `${layer.name}.tar.gz`));
      rmSync(layer.root, { recursive: true, force: true });
      return archived.then((done) => {
        log(`archived the ${layer.name} layer: ${done.digest} (${(done.size / 1e6).toFixed(1)} MB)`);
        return done;
      });
    };
    // Node's layer takes the longest to compress: it is compressed while pnpm installs.
    const pending = [
      archive(stageBase(join(work, 'base-layer'), inputs.debs, join(work, 'debs'))),
      archive(stageNode(join(work, 'node-layer'), inputs.nodeTarball, join(work, 'node-package'))),
    ];
    const { deps, app } = stageApp(repoRoot, work, log);
    pending.push(archive(deps), archive(app));
    const archives = await Promise.all(pending);
    mkdirSync(dirname(output), { recursive: true });
    const partial = `${output}.partial`;
    const image = await assemble({
      crane,
      layers: archives,
      reference: identity.reference,
      labels: identity.labels,
      work,
      output: partial,
      log,
    });
    renameSync(partial, output);
    const report: ImageReport = {
      reference: identity.reference,
      digest: image.digest,
      configDigest: image.configDigest,
      revision: identity.revision,
      size: image.size,
      archiveSize: statSync(output).size,
      layers: archives.map(({ name, holds, digest, size }) => ({ name, holds, digest, size })),
    };
    const paths = reportPaths(output);
    writeFileSync(paths.json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(paths.digest, `${image.digest}\n`);
    log(`built ${identity.reference} ${image.digest} in ${Math.round((Date.now() - started) / 1000)}s`);
    return { ...report, archive: output };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
