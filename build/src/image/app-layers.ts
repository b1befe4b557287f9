/**
 * The application: the workspace packages the operator and the sidecar run from, as TypeScript
 * (Node runs it as it is, docs/adr/0001) with its types stripped at build time, so no process
 * in the image loads Node's type stripper (docs/adr/0028), with their production dependencies
 * installed by pnpm from the frozen lockfile. Two layers, so a change to the code alone reuses
 * the dependencies layer: the deps layer holds every node_modules folder, the app layer the rest
 * of /app, with the list of stripped files and the preload module that loads them.
 *
 * The repository's files are staged into a scratch folder first and installed there: `pnpm
 * deploy` would write absolute paths of the build machine into the links. The files are the ones
 * git knows or would add (tracked, plus untracked ones .gitignore does not exclude): a new file
 * not yet added is in the image, node_modules, dist and other ignored output are not.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BuildError } from '../errors.ts';
import type { Log } from '../log.ts';
import { run } from '../run-command.ts';
import type { StagedLayer } from './staged-layer.ts';
import { STRIPPED_SOURCES_HOOKS, STRIPPED_SOURCES_LIST, stripSources } from './stripped-sources.ts';

/** The folders of the workspace packages in the image: the operator, the sidecar and what they import. */
export const APP_PACKAGES = ['crds', 'contracts', 'runtime', 'operator', 'sidecar'] as const;
/** The programs; pnpm installs them and their workspace dependencies (`--filter name...`). */
const PROGRAMS = ['@airlock/operator', '@airlock/sidecar'];
const ROOT_FILES = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'];
/** Where the repository's packages are in the image. */
export const APP_DIR = 'app';

/** The repository files the image is built from (present in the work tree and not ignored), relative to the root, sorted. */
export function appSourceFiles(repoRoot: string): string[] {
  return run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...ROOT_FILES, ...APP_PACKAGES], 'GitFailed', {
    cwd: repoRoot,
  })
    .split('\0')
    .filter((path) => path !== '' && existsSync(join(repoRoot, path)))
    .sort();
}

/** Fails when a staged package depends on a workspace package the image would not carry. */
export function checkWorkspaceClosure(repoRoot: string): void {
  const manifests = APP_PACKAGES.map((folder) => ({
    folder,
    ...(JSON.parse(readFileSync(join(repoRoot, folder, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
    }),
  }));
  const carried = new Set(manifests.map((m) => m.name));
  for (const manifest of manifests) {
    for (const [name, spec] of Object.entries(manifest.dependencies ?? {})) {
      if (spec.startsWith('workspace:') && !carried.has(name)) {
        throw new BuildError(
          'PackageNotInImage',
          `${manifest.name} depends on ${name}, which the image does not carry: add its folder to APP_PACKAGES in build/src/image/app-layers.ts`,
        );
      }
    }
  }
}

/**
 * Stages /app: copies the sources, installs production dependencies, prunes, splits it into the
 * deps and app layers, and strips the types of the app layer's sources.
 */
export function stageApp(repoRoot: string, work: string, log: Log): { deps: StagedLayer; app: StagedLayer } {
  checkWorkspaceClosure(repoRoot);
  const appRoot = join(work, 'app-layer');
  const depsRoot = join(work, 'deps-layer');
  const app = join(appRoot, APP_DIR);
  const files = appSourceFiles(repoRoot);
  for (const path of files) {
    mkdirSync(join(app, dirname(path)), { recursive: true });
    copyFileSync(join(repoRoot, path), join(app, path));
  }
  log(`installing the production dependencies of ${PROGRAMS.join(' and ')} (pnpm, frozen lockfile)`);
  run(
    'pnpm',
    [
      'install',
      '--frozen-lockfile',
      '--prod',
      '--prefer-offline',
      // Copies, not hard links into the store: the layer must hold the bytes.
      '--config.package-import-method=copy',
      ...PROGRAMS.flatMap((name) => ['--filter', `${name}...`]),
    ],
    'PnpmInstallFailed',
    { cwd: app },
  );
  prune(app, app);
  // Every node_modules folder goes to the deps layer, at the same path.
  for (const folder of ['', ...APP_PACKAGES]) {
    const modules = join(app, folder, 'node_modules');
    if (!existsSync(modules)) continue;
    const to = join(depsRoot, APP_DIR, folder, 'node_modules');
    mkdirSync(dirname(to), { recursive: true });
    renameSync(modules, to);
  }
  const stripped = stripSources(app);
  log(`stripped the types of ${stripped.length} sources (/${APP_DIR}/${STRIPPED_SOURCES_LIST})`);
  return {
    deps: { name: 'deps', holds: `/${APP_DIR}/**/node_modules: the production dependencies (pnpm, frozen lockfile)`, root: depsRoot },
    app: {
      name: 'app',
      holds: `/${APP_DIR}/{${APP_PACKAGES.join(',')}}: the operator, the sidecar and the packages they import, type-stripped; /${APP_DIR}/${STRIPPED_SOURCES_HOOKS}`,
      root: appRoot,
    },
  };
}

/** pnpm's own state: it names the staging folder and the time of the install. */
const INSTALL_STATE = /^node_modules\/(\.modules\.yaml|\.pnpm-workspace-state.*\.json|\.pnpm\/lock\.yaml)$/;
/** What a running program never reads: tests, type declarations, source maps. */
const NOT_RUN = /(\.test\.ts|\.map|\.d\.[cm]?ts)$/;

/**
 * Removes what nothing runs — tests and their testing/ folders in our packages, executables'
 * links in .bin folders, type declarations, source maps, pnpm's install state — and checks that
 * every link stays inside /app and is relative, so the tree means the same at any path.
 */
function prune(dir: string, app: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const inApp = relative(app, path);
    const inDependencies = inApp.split('/').includes('node_modules');
    if (entry.isSymbolicLink()) {
      const target = readlinkSync(path);
      if (isAbsolute(target) || relative(app, resolve(dir, target)).startsWith('..')) {
        throw new BuildError('LinkLeavesApp', `${inApp} links to ${target}, outside /${APP_DIR}: the image would not work at another path`);
      }
    } else if (entry.isDirectory()) {
      if (entry.name === '.bin' || (entry.name === 'testing' && !inDependencies)) rmSync(path, { recursive: true });
      else prune(path, app);
    } else if (NOT_RUN.test(entry.name) || INSTALL_STATE.test(inApp)) {
      rmSync(path);
    }
  }
}
