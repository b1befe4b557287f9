/** The Node.js layer: the pinned binary at /usr/local/bin/node, and its licence. */
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../run-command.ts';
import { NODE_PACKAGE } from './inputs.ts';
import type { StagedLayer } from './staged-layer.ts';

export function stageNode(root: string, tarball: string, work: string): StagedLayer {
  mkdirSync(work, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', work, 'package/bin/node', 'package/LICENSE'], 'NodeTarballBroken');
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/local/share/doc/node'), { recursive: true });
  renameSync(join(work, 'package/bin/node'), join(root, 'usr/local/bin/node'));
  renameSync(join(work, 'package/LICENSE'), join(root, 'usr/local/share/doc/node/LICENSE'));
  return { name: 'node', holds: `Node.js ${NODE_PACKAGE.version} (${NODE_PACKAGE.name}): /usr/local/bin/node`, root };
}
