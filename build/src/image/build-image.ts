/**
 * Builds the airlock image archive (docs/adr/0016-image-without-a-daemon.md): four layers —
 * base (C/C++ runtime, users), node, deps, app — archived reproducibly and assembled with crane.
 * The same commit and inputs give the same image digest. Writes the archive, and beside it
 * <name>.json (what this returns, without the archive path) and <name>.digest (the digest alone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { craneBinary } from '../go-tools/crane.ts';
import type { Log } from '../log.ts';
import { stageApp } from './app-layers.ts';
import { RUN_SETTINGS } from './assemble.ts';
import { stageBase } from './base-layer.ts';
import { fetchInputs } from './fetch-inputs.ts';
import { archiveStaged, type ImageBuild, writeImage } from './image-archive.ts';
import { imageIdentity } from './image-identity.ts';
import { stageNode } from './node-layer.ts';
import type { StagedLayer } from './staged-layer.ts';

export { type ImageBuild, type ImageLayer, type ImageReport, reportPaths } from './image-archive.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

export interface BuildImageOptions {
  /** The archive to write, e.g. dist/airlock-image.tar. */
  readonly output: string;
  readonly repoRoot?: string;
  readonly log?: Log;
}

export async function buildImage(options: BuildImageOptions): Promise<ImageBuild> {
  const { output, repoRoot = REPO_ROOT, log = () => {} } = options;
  const started = Date.now();
  const identity = imageIdentity(repoRoot);
  const crane = await craneBinary(log);
  const inputs = await fetchInputs(repoRoot, log);
  const work = mkdtempSync(join(tmpdir(), 'airlock-image-'));
  try {
    log(`staging the layers of ${identity.reference} (revision ${identity.revision})`);
    const archive = (layer: StagedLayer) => archiveStaged(layer, work, log);
    // Node's layer takes the longest to compress: it is compressed while pnpm installs.
    const pending = [
      archive(stageBase(join(work, 'base-layer'), inputs.debs, join(work, 'debs'))),
      archive(stageNode(join(work, 'node-layer'), inputs.nodeTarball, join(work, 'node-package'))),
    ];
    const { deps, app } = stageApp(repoRoot, work, log);
    pending.push(archive(deps), archive(app));
    const image = await writeImage(
      { reference: identity.reference, labels: identity.labels, settings: RUN_SETTINGS, revision: identity.revision },
      await Promise.all(pending),
      { crane, work, output, log },
    );
    log(`built ${identity.reference} ${image.digest} in ${Math.round((Date.now() - started) / 1000)}s`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
