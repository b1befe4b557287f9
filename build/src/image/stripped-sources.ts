/**
 * The image ships its TypeScript already type-stripped (docs/adr/0028-image-ships-stripped-sources.md):
 * the first `.ts` file a process loads makes Node load its type stripper (amaro, swc compiled to
 * WebAssembly), 17.5 MB of RSS in every sidecar and operator. So the build strips every
 * first-party `.ts` file of /app with Node's own stripper in 'strip' mode — types become
 * whitespace, so every line and column (and every stack trace) stays the source's — and keeps
 * the file name, so every import specifier still works. It lists what it stripped, with each
 * file's SHA-256, in /app/.stripped-sources (`sha256sum -c` reads it), and puts the preload
 * module beside it that loads exactly those files as JavaScript (stripped-sources-hooks.mjs).
 * A file that is not on the list, or whose bytes changed, is left to Node, which strips it.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';

/** The list of stripped files, at the root of the tree (/app): `<sha256>  <path>` lines, as sha256sum writes them. */
export const STRIPPED_SOURCES_LIST = '.stripped-sources';
/** The preload module, at the root of the tree beside the list; NODE_OPTIONS imports it. */
export const STRIPPED_SOURCES_HOOKS = 'stripped-sources-hooks.mjs';
/** Where the build finds the preload module's source. */
export const STRIPPED_SOURCES_HOOKS_SOURCE = join(import.meta.dirname, STRIPPED_SOURCES_HOOKS);

export interface StrippedSource {
  /** Relative to the tree's root, with `/`. */
  readonly path: string;
  /** Of the stripped bytes, hex. */
  readonly sha256: string;
}

/**
 * The JavaScript of a TypeScript source: its types replaced by whitespace, nothing else changed.
 * Throws SourceNotStrippable (naming `file`) for syntax that needs code generated — enums,
 * namespaces, parameter properties, `import x = require()` — or that does not parse.
 */
export function stripTypes(source: string, file: string): string {
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown';
    throw new BuildError(
      'SourceNotStrippable',
      `${file} cannot be shipped type-stripped (${code}: ${(error as Error).message}): write erasable TypeScript only ` +
        '(no enums, namespaces or parameter properties; docs/adr/0001), which Node would require to run it anyway',
      { cause: error },
    );
  }
}

/**
 * Strips every `.ts` file under `root` in place (not node_modules, not type declarations), writes
 * the list of them and copies the preload module to `root`. Every stripped file must be an ES
 * module by its nearest package.json, because the preload module loads them as such. Returns the
 * list, sorted by path.
 */
export function stripSources(root: string): StrippedSource[] {
  const stripped: StrippedSource[] = [];
  const walk = (dir: string, relativeDir: string, packageType: string | undefined): void => {
    const manifest = join(dir, 'package.json');
    const type = existsSync(manifest)
      ? ((JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type ?? 'commonjs')
      : packageType;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(join(dir, entry.name), path, type);
        continue;
      }
      if (!entry.isFile()) continue;
      if (/\.[cm]ts$/.test(entry.name)) {
        throw new BuildError(
          'SourceExtensionUnsupported',
          `${path}: the image ships .ts files type-stripped; name it .ts, not .mts or .cts`,
        );
      }
      if (!entry.name.endsWith('.ts') || /\.d\.ts$/.test(entry.name)) continue;
      if (type !== 'module') {
        throw new BuildError(
          'SourceNotModule',
          `${path} is not an ES module (its package.json says type ${type ?? 'nothing'}): the image loads stripped sources as ES modules; set "type": "module"`,
        );
      }
      const file = join(dir, entry.name);
      const javascript = stripTypes(readFileSync(file, 'utf8'), path);
      writeFileSync(file, javascript);
      stripped.push({ path, sha256: createHash('sha256').update(javascript).digest('hex') });
    }
  };
  walk(root, '', undefined);
  stripped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  writeFileSync(join(root, STRIPPED_SOURCES_LIST), stripped.map(({ path, sha256 }) => `${sha256}  ${path}\n`).join(''));
  copyFileSync(STRIPPED_SOURCES_HOOKS_SOURCE, join(root, STRIPPED_SOURCES_HOOKS));
  return stripped;
}
