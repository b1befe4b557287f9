/**
 * The image's name, version and labels. One image runs both programs (docs/adr/0016): the
 * operator by default (the image CMD), and the sidecar the operator injects with its own command.
 * The tag is the repository's version, which every package in the image must share: the operator
 * defaults its --sidecar-image to airlock/airlock:<its version>.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';
import { run } from '../run-command.ts';
import { APP_PACKAGES } from './app-layers.ts';

export const IMAGE_REPOSITORY = 'airlock/airlock';

export interface ImageIdentity {
  readonly version: string;
  /** repository:version, as `docker load` tags it. */
  readonly reference: string;
  /** The commit, with `-dirty` when the files the image is built from differ from it (or are not in it yet). */
  readonly revision: string;
  readonly labels: Readonly<Record<string, string>>;
}

interface PackageJson {
  name?: string;
  version?: string;
  description?: string;
  license?: string;
  repository?: string | { url?: string };
}

const readPackage = (path: string): PackageJson => JSON.parse(readFileSync(path, 'utf8')) as PackageJson;

export function imageIdentity(repoRoot: string): ImageIdentity {
  const { version, labels } = repositoryLabels(repoRoot, 'airlock');
  for (const folder of APP_PACKAGES) {
    const pkg = readPackage(join(repoRoot, folder, 'package.json'));
    if (pkg.version !== version) {
      throw new BuildError(
        'VersionMismatch',
        `${folder}/package.json has version ${pkg.version}, the repository ${version}: the image is tagged with one version, which its programs print (--version); make them equal`,
      );
    }
  }
  const commit = run('git', ['rev-parse', 'HEAD'], 'GitFailed', { cwd: repoRoot }).trim();
  const changed = run(
    'git',
    ['status', '--porcelain', '--', 'package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.node-version', 'build', ...APP_PACKAGES],
    'GitFailed',
    { cwd: repoRoot },
  );
  const revision = changed.trim() === '' ? commit : `${commit}-dirty`;
  return {
    version,
    reference: `${IMAGE_REPOSITORY}:${version}`,
    revision,
    labels: { ...labels, 'org.opencontainers.image.revision': revision },
  };
}

/**
 * The labels every image of the repository carries, from the root package.json: title, version
 * (also the tag), and description, licence and source when it has them. `description` replaces
 * the repository's.
 */
export function repositoryLabels(
  repoRoot: string,
  title: string,
  description?: string,
): { version: string; labels: Record<string, string> } {
  const root = readPackage(join(repoRoot, 'package.json'));
  const version = root.version;
  if (!version) throw new BuildError('NoVersion', 'package.json has no "version": the image tag is the repository version');
  const source = typeof root.repository === 'string' ? root.repository : root.repository?.url;
  const summary = description ?? root.description;
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': title,
    'org.opencontainers.image.version': version,
    ...(summary ? { 'org.opencontainers.image.description': summary } : {}),
    ...(root.license ? { 'org.opencontainers.image.licenses': root.license } : {}),
    ...(source ? { 'org.opencontainers.image.source': source } : {}),
  };
  return { version, labels };
}
