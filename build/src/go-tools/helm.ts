/** helm, which the chart tests install with: AIRLOCK_HELM when set, otherwise built once from build/go-tools/helm. */
import { join } from 'node:path';
import { cacheRoot } from '../cache-root.ts';
import type { Log } from '../log.ts';
import { givenBinary } from './given-binary.ts';
import { buildGoTool, GO_TOOLS } from './go-build.ts';
import { requiredVersion } from './module-version.ts';

const HELM_MODULE = join(GO_TOOLS, 'helm');

/** The pinned helm release, for example v3.22.0. */
export const helmVersion = (): string => requiredVersion(HELM_MODULE, 'helm.sh/helm/v3');

/** helm: AIRLOCK_HELM when set (a helm you already have), otherwise built once from Go modules and cached. */
export async function helmBinary(log: Log = () => {}): Promise<string> {
  const given = givenBinary('AIRLOCK_HELM', 'helm', 'HelmMissing');
  if (given) return given;
  const version = helmVersion();
  const dir = join(cacheRoot(), `helm-${version}`);
  const stamp = 'helm.sh/helm/v3/internal/version';
  const ldflags = `-s -w -X ${stamp}.version=${version} -X ${stamp}.gitTreeState=clean`;
  await buildGoTool(
    {
      module: HELM_MODULE,
      names: ['helm'],
      dir,
      what: `helm ${version}`,
      args: (out) => ['build', '-v', '-trimpath', '-ldflags', ldflags, '-o', join(out, 'helm'), 'helm.sh/helm/v3/cmd/helm'],
      noGo: 'cannot get helm: Go is not installed and AIRLOCK_HELM is not set. Install Go, or set AIRLOCK_HELM to a helm binary you already have.',
    },
    log,
  );
  return join(dir, 'helm');
}
