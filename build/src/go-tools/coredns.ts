/**
 * CoreDNS, the cluster DNS of the test node (testkit/src/node/cluster-dns.ts), which runs it as a
 * pod of its own image (image/coredns-image.ts): AIRLOCK_COREDNS when set, otherwise built once
 * from build/go-tools/coredns and cached. Built without cgo: the image has no C library.
 */
import { join } from 'node:path';
import { cacheRoot } from '../cache-root.ts';
import type { Log } from '../log.ts';
import { givenBinary } from './given-binary.ts';
import { buildGoTool, GO_TOOLS } from './go-build.ts';
import { requiredVersion } from './module-version.ts';

const COREDNS_MODULE = join(GO_TOOLS, 'coredns');

/** The pinned CoreDNS release, for example v1.14.7. */
export const corednsVersion = (): string => requiredVersion(COREDNS_MODULE, 'github.com/coredns/coredns');

/** coredns: AIRLOCK_COREDNS when set (a static coredns you already have), otherwise built once from Go modules and cached. */
export async function corednsBinary(log: Log = () => {}): Promise<string> {
  const given = givenBinary('AIRLOCK_COREDNS', 'coredns', 'CorednsMissing');
  if (given) return given;
  const version = corednsVersion();
  const dir = join(cacheRoot(), `coredns-${version}`);
  // No version stamp needed: `coredns -version` prints the release the module carries.
  await buildGoTool(
    {
      module: COREDNS_MODULE,
      names: ['coredns'],
      dir,
      what: `CoreDNS ${version}`,
      args: (out) => ['build', '-v', '-trimpath', '-ldflags', '-s -w', '-o', join(out, 'coredns'), 'github.com/coredns/coredns'],
      env: { CGO_ENABLED: '0' },
      noGo: 'cannot get coredns: Go is not installed and AIRLOCK_COREDNS is not set. Install Go, or set AIRLOCK_COREDNS to a statically linked coredns binary you already have.',
    },
    log,
  );
  return join(dir, 'coredns');
}
