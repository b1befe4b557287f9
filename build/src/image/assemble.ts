/**
 * Assembles the image with crane, without a container daemon: the layers are pushed to a
 * loopback registry (crane append, Docker schema 2 media types, which survive every copy tool
 * unchanged), given their run settings (crane mutate), and pulled as an OCI image layout. The
 * layout gets a Docker manifest.json beside it, so one archive loads with `docker load`,
 * `ctr images import`, `skopeo copy oci-archive:` and `crane push`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';
import type { Log } from '../log.ts';
import { run } from '../run-command.ts';
import { startRegistry } from './crane-registry.ts';
import { type LayerArchive, normaliseModes, writeTar } from './layer-tar.ts';
import { NONROOT_ID } from './staged-layer.ts';
import { STRIPPED_SOURCES_HOOKS } from './stripped-sources.ts';

/** How a container of an image runs when nothing overrides it (the image config). */
export interface RunSettings {
  readonly platform: string;
  /** uid:gid */
  readonly user: string;
  readonly workdir?: string;
  readonly env?: readonly string[];
  /** Comma-separated, as crane takes it. */
  readonly entrypoint?: string;
  readonly cmd?: string;
}

/**
 * How a container of the airlock image runs when nothing overrides it: the operator, as nonroot.
 * NODE_OPTIONS preloads the hooks that run the type-stripped sources without Node's stripper
 * (docs/adr/0028), so the operator, the chart's uninstall hook and the injected sidecar get them
 * without a change to their commands.
 */
export const RUN_SETTINGS = {
  platform: 'linux/amd64',
  user: `${NONROOT_ID}:${NONROOT_ID}`,
  workdir: '/app',
  env: ['PATH=/usr/local/bin', 'NODE_ENV=production', `NODE_OPTIONS=--import=/app/${STRIPPED_SOURCES_HOOKS}`],
  entrypoint: '/usr/local/bin/node',
  cmd: '/app/operator/src/main.ts',
} as const satisfies RunSettings;

export interface AssembleOptions {
  readonly crane: string;
  readonly layers: readonly LayerArchive[];
  /** repository:tag */
  readonly reference: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Default: RUN_SETTINGS, the airlock image's. */
  readonly settings?: RunSettings;
  /** Scratch folder: crane's HOME and the layout. */
  readonly work: string;
  /** Where the archive goes. */
  readonly output: string;
  readonly log: Log;
}

export interface AssembledImage {
  /** The manifest digest: what a registry, a pod spec or `crane digest` names the image by. */
  readonly digest: string;
  readonly configDigest: string;
  /** Config and layers, compressed: what a pull transfers. */
  readonly size: number;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export async function assemble(options: AssembleOptions): Promise<AssembledImage> {
  const { crane, layers, reference, labels, settings = RUN_SETTINGS, work, output, log } = options;
  // No user configuration or credentials: the registry is ours and needs none.
  const env = { ...process.env, HOME: join(work, 'crane-home'), DOCKER_CONFIG: join(work, 'crane-home', '.docker') };
  const craneRun = (args: string[]) => run(crane, args, 'CraneFailed', { env });
  for (const value of Object.values(labels)) {
    if (value.includes(',')) throw new BuildError('LabelHasComma', `label value "${value}" has a comma, which crane's --label splits on`);
  }
  const registry = await startRegistry(crane, env);
  const layout = join(work, 'layout');
  try {
    const staged = `${registry.address}/airlock:layers`;
    const image = `${registry.address}/airlock:image`;
    log(`assembling with crane in a loopback registry (${registry.address})`);
    craneRun(['append', '--new_tag', staged, ...layers.flatMap((layer) => ['--new_layer', layer.path])]);
    craneRun([
      'mutate',
      staged,
      '--tag',
      image,
      '--set-platform',
      settings.platform,
      '--user',
      settings.user,
      ...(settings.workdir ? ['--workdir', settings.workdir] : []),
      ...(settings.env ?? []).flatMap((variable) => ['--env', variable]),
      ...(settings.entrypoint ? ['--entrypoint', settings.entrypoint] : []),
      ...(settings.cmd ? ['--cmd', settings.cmd] : []),
      ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ]);
    craneRun(['pull', '--format=oci', image, layout]);
  } finally {
    await registry.stop();
  }

  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    schemaVersion: number;
    mediaType?: string;
    manifests: Descriptor[];
  };
  const [descriptor, ...others] = index.manifests;
  if (!descriptor || others.length > 0)
    throw new BuildError('LayoutUnexpected', `crane pull wrote ${index.manifests.length} manifests, expected one`);
  const blob = (digest: string) => join(layout, 'blobs', ...digest.split(':'));
  const manifest = JSON.parse(readFileSync(blob(descriptor.digest), 'utf8')) as { config: Descriptor; layers: Descriptor[] };
  const pushed = manifest.layers.map((layer) => layer.digest);
  if (pushed.join() !== layers.map((layer) => layer.digest).join()) {
    throw new BuildError('LayersChanged', `the image's layers (${pushed.join(', ')}) are not the archived ones: crane recompressed them`);
  }
  const [repository, tag] = splitReference(reference);
  // Names as `docker save` writes them: containerd imports by the full name, the OCI ref name is the tag.
  descriptor.annotations = { 'io.containerd.image.name': `docker.io/${repository}:${tag}`, 'org.opencontainers.image.ref.name': tag };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  const path = (digest: string) => `blobs/${digest.replace(':', '/')}`;
  writeFileSync(
    join(layout, 'manifest.json'),
    JSON.stringify([
      { Config: path(manifest.config.digest), RepoTags: [reference], Layers: manifest.layers.map((layer) => path(layer.digest)) },
    ]),
  );
  normaliseModes(layout, {}, false);
  writeTar(layout, output);
  return {
    digest: descriptor.digest,
    configDigest: manifest.config.digest,
    size: manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
  };
}

function splitReference(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  if (colon <= 0 || reference.slice(colon).includes('/')) throw new BuildError('BadReference', `${reference} is not repository:tag`);
  return [reference.slice(0, colon), reference.slice(colon + 1)];
}
