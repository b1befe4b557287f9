/**
 * crane, which assembles and checks the container image (docs/adr/0016-image-without-a-daemon.md):
 * AIRLOCK_CRANE when set, otherwise built once from build/go-tools/crane and cached.
 */
import { join } from 'node:path';
import { cacheRoot } from '../cache-root.ts';
import type { Log } from '../log.ts';
import { givenBinary } from './given-binary.ts';
import { buildGoTool, GO_TOOLS } from './go-build.ts';
import { requiredVersion } from './module-version.ts';

const CRANE_MODULE = join(GO_TOOLS, 'crane');

/** The pinned go-containerregistry release crane comes from, for example v0.22.1. */
export const craneVersion = (): string => requiredVersion(CRANE_MODULE, 'github.com/google/go-containerregistry');

/** crane: AIRLOCK_CRANE when set (a crane you already have), otherwise built once from Go modules and cached. */
export async function craneBinary(log: Log = () => {}): Promise<string> {
  const given = givenBinary('AIRLOCK_CRANE', 'crane', 'CraneMissing');
  if (given) return given;
  const version = craneVersion();
  const dir = join(cacheRoot(), `crane-${version}`);
  // No version stamp needed: `crane version` reads the module version from the build info.
  await buildGoTool(
    {
      module: CRANE_MODULE,
      names: ['crane'],
      dir,
      what: `crane ${version}`,
      args: (out) => [
        'build',
        '-v',
        '-trimpath',
        '-ldflags',
        '-s -w',
        '-o',
        join(out, 'crane'),
        'github.com/google/go-containerregistry/cmd/crane',
      ],
      noGo: 'cannot get crane: Go is not installed and AIRLOCK_CRANE is not set. Install Go, or set AIRLOCK_CRANE to a crane binary you already have.',
    },
    log,
  );
  return join(dir, 'crane');
}
