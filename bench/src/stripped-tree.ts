/**
 * A copy of the repository's sources, type-stripped as the image ships them
 * (docs/adr/0028-image-ships-stripped-sources.md), for the benchmark's measured processes. The
 * first `.ts` file a process loads makes Node load its type stripper (amaro, 17.5 MB of RSS and
 * start-up CPU); the image never does, because its sources are stripped at build time and a
 * preload module hands them to Node as JavaScript. A sidecar the benchmark starts from the
 * repository's sources would carry that cost, and its idle RSS would not be the pod's. So the
 * benchmark starts its sidecars and floors from this copy, with the same preload module.
 *
 * The copy holds the root package (its package.json and bench/) and the workspace packages it
 * depends on, transitively (their package.json and sources, without tests), stripped by the
 * build's own `stripSources`. Third-party packages are not copied: each node_modules folder of
 * the copy links every entry to the original one, so they resolve to the same files. Only the
 * links to workspace packages point into the copy: pnpm's are relative (`../../contracts`) and
 * Node resolves real paths, so a linked original node_modules folder would lead from the copy
 * back to the unstripped sources, and to the stripper.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { STRIPPED_SOURCES_HOOKS, stripSources } from '@airlock/build/stripped-sources';

export class StrippedTreeError extends Error {
  readonly code = 'BENCH_STRIPPED_TREE';
}

export interface StrippedTree {
  /** The copy's root: a real path (no symlink on the way), so Node's module URLs match the list of stripped files. */
  readonly root: string;
  /** The preload module that loads the stripped files as JavaScript: give it to node as `--import=<hooks>`. */
  readonly hooks: string;
  /** Where a repository file (`bench/src/sidecar-process.ts`) is in the copy; throws when the copy does not hold it. */
  entry(pathInRepo: string): string;
  /** Deletes the copy. Its links are removed, never followed: the originals are untouched. */
  remove(): void;
}

/** The folders of the root package's own sources that the benchmark processes run. */
const ROOT_PACKAGE_FOLDERS = ['bench'];
const TEMP_PREFIX = 'airlock-bench-stripped-';
interface Manifest {
  readonly name?: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const readManifest = (folder: string): Manifest => JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest;

const workspaceDependencies = (dependencies: Record<string, string> | undefined): string[] =>
  Object.entries(dependencies ?? {})
    .filter(([, spec]) => spec.startsWith('workspace:'))
    .map(([name]) => name);

/**
 * The workspace packages the root package depends on, and theirs, transitively: name → folder.
 * The root package's development dependencies count (the benchmarks are its development code);
 * of the others, only their production dependencies, which is what their code imports. Each
 * package's folder is where pnpm linked it in the dependent's node_modules: pnpm resolved the
 * workspace already, so nothing here reads pnpm-workspace.yaml.
 */
export function workspaceClosure(repoRoot: string): Map<string, string> {
  const root = readManifest(repoRoot);
  const pending = [...workspaceDependencies(root.dependencies), ...workspaceDependencies(root.devDependencies)].map((name) => ({
    name,
    from: repoRoot,
  }));
  const closure = new Map<string, string>();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (closure.has(next.name)) continue;
    const link = join(next.from, 'node_modules', next.name);
    if (!existsSync(link))
      throw new StrippedTreeError(`${next.name} is a workspace dependency that pnpm has not linked at ${link}: run pnpm install`);
    const folder = realpathSync(link);
    closure.set(next.name, relative(realpathSync(repoRoot), folder));
    pending.push(...workspaceDependencies(readManifest(folder).dependencies).map((name) => ({ name, from: folder })));
  }
  return closure;
}

/** What a running benchmark process never reads: the packages' installed dependencies (linked instead) and tests. */
const copied = (path: string): boolean => !path.split(sep).includes('node_modules') && !path.endsWith('.test.ts');

/**
 * Makes `to` (a node_modules folder of the copy) hold one link per entry of `from` (the original
 * one): to the package's folder in the copy for a copied workspace package, else to the original
 * entry, so every third-party package resolves to the very files it resolves to in the repository.
 */
function linkModules(from: string, to: string, tree: string, copies: ReadonlyMap<string, string>, scope = ''): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const original = join(from, entry.name);
    if (scope === '' && entry.name.startsWith('@') && entry.isDirectory()) {
      linkModules(original, join(to, entry.name), tree, copies, entry.name);
      continue;
    }
    const copy = copies.get(scope === '' ? entry.name : `${scope}/${entry.name}`);
    const link = join(to, entry.name);
    symlinkSync(copy === undefined ? original : relative(to, join(tree, copy)), link);
  }
}

/**
 * Copies the root package and the workspace packages it depends on to a new directory under the
 * system temp dir, links their node_modules and strips every copied `.ts` file as the image build
 * does. The caller removes the copy (`remove()`), also when its run fails.
 */
export function prepareStrippedTree(repoRoot: string): StrippedTree {
  const repo = realpathSync(repoRoot);
  const copies = workspaceClosure(repo);
  const root = realpathSync(mkdtempSync(join(tmpdir(), TEMP_PREFIX)));
  const remove = (): void => rmSync(root, { recursive: true, force: true });
  try {
    cpSync(join(repo, 'package.json'), join(root, 'package.json'));
    if (existsSync(join(repo, 'node_modules'))) linkModules(join(repo, 'node_modules'), join(root, 'node_modules'), root, copies);
    for (const folder of [...ROOT_PACKAGE_FOLDERS, ...copies.values()]) {
      cpSync(join(repo, folder), join(root, folder), { recursive: true, filter: (source) => copied(relative(repo, source)) });
      const modules = join(repo, folder, 'node_modules');
      if (existsSync(modules)) linkModules(modules, join(root, folder, 'node_modules'), root, copies);
    }
    stripSources(root);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    root,
    hooks: join(root, STRIPPED_SOURCES_HOOKS),
    entry(pathInRepo: string): string {
      const path = resolve(root, pathInRepo);
      const inside = relative(root, path);
      if (isAbsolute(pathInRepo) || inside.startsWith('..') || !existsSync(path) || !lstatSync(path).isFile()) {
        throw new StrippedTreeError(
          `${pathInRepo} is not a file of the stripped tree (${root}): name a file of ${[...ROOT_PACKAGE_FOLDERS, ...copies.values()].join(', ')} by its path in the repository`,
        );
      }
      return path;
    },
    remove,
  };
}

/** The node flags that make a process load the tree's stripped files as the image's processes do. */
export const strippedTreeNodeFlags = (tree: StrippedTree): string[] => [`--import=${tree.hooks}`];
