/**
 * Preload module of the airlock image (NODE_OPTIONS=--import=/app/stripped-sources-hooks.mjs;
 * docs/adr/0028-image-ships-stripped-sources.md). The build stripped the types of every
 * first-party .ts file in the image and listed each one with the SHA-256 of its stripped bytes
 * in .stripped-sources beside this file. For those files this load hook hands Node the bytes as
 * an ES module, so Node never strips types and never loads its type stripper (amaro, 17.5 MB of
 * RSS per process). A .ts file that is not listed, or whose bytes are not the listed ones (a
 * developer's sources mounted over /app), goes to Node as usual, which strips it: it costs the
 * stripper, but never runs TypeScript as JavaScript. Plain JavaScript, because it must load
 * before anything could strip it; synchronous in-thread hooks (module.registerHooks, Node 24).
 *
 * It registers itself on import: a preload module has no caller to pass it anything.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIST = '.stripped-sources';

/** The listed files by absolute path: the SHA-256 (hex) of their stripped bytes. Empty without a list. */
function readList(root) {
  let text;
  try {
    text = readFileSync(join(root, LIST), 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return new Map();
    throw error;
  }
  const listed = new Map();
  for (const line of text.split('\n')) {
    const separator = line.indexOf('  ');
    if (separator > 0) listed.set(join(root, line.slice(separator + 2)), line.slice(0, separator));
  }
  return listed;
}

const listed = readList(dirname(fileURLToPath(import.meta.url)));

if (listed.size > 0) {
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:') && url.endsWith('.ts')) {
        const path = fileURLToPath(url);
        const expected = listed.get(path);
        if (expected !== undefined) {
          const source = readFileSync(path);
          if (createHash('sha256').update(source).digest('hex') === expected) {
            return { format: 'module', source, shortCircuit: true };
          }
        }
      }
      return nextLoad(url, context);
    },
  });
}
