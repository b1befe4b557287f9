/**
 * The agent image: what an agent pod on the test node runs — psql, ssh and scp, curl, openssl,
 * bash with coreutils, grep, sed, awk, tar, and kubectl — as the user `agent` (1000). Two layers:
 *
 *  - debian: the Debian 12 packages pinned in agent-packages.lock.json (agent-packages.ts says
 *    why each root is there and why the omitted packages are not), unpacked without dpkg into
 *    merged /usr (debian-tree.ts) and configured as their maintainer scripts would have
 *    (maintainer-scripts.ts); no manuals, no documentation but the copyright files, no package
 *    manager, no set-ID programs;
 *  - kubectl: /usr/local/bin/kubectl, the repository's own Kubernetes build (controlPlaneBinaries).
 *
 * Nothing is downloaded but the pinned .deb files (checked by sha256); the same lock, kubectl and
 * build code give the same digest.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneBinaries } from '../go-tools/control-plane.ts';
import { craneBinary } from '../go-tools/crane.ts';
import type { Log } from '../log.ts';
import { sha256File } from '../sha256-file.ts';
import { AGENT_LOCK_FILE, AGENT_PINS, type AgentLock, readAgentLock } from './agent-packages.ts';
import type { RunSettings } from './assemble.ts';
import { REPO_ROOT } from './build-image.ts';
import { keptModes, mergeUsr, removeDocumentation, symlinkHardLinks, unpackDebs } from './debian-tree.ts';
import { fetchDebs, inputsDir } from './fetch-inputs.ts';
import { archiveStaged, type ImageBuild, writeImage } from './image-archive.ts';
import { buildCodeFiles, cachedArchive, contentKey } from './image-cache.ts';
import { repositoryLabels } from './image-identity.ts';
import { configure, type ImageUser } from './maintainer-scripts.ts';
import type { StagedLayer } from './staged-layer.ts';

export const AGENT_REPOSITORY = 'airlock/agent';
export const AGENT_USER: ImageUser = { name: 'agent', id: 1000, home: '/home/agent', shell: '/bin/bash' };

export const AGENT_SETTINGS: RunSettings = {
  platform: 'linux/amd64',
  user: `${AGENT_USER.id}:${AGENT_USER.id}`,
  workdir: AGENT_USER.home,
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOME=${AGENT_USER.home}`, 'LANG=C.UTF-8'],
  cmd: '/bin/bash',
};

export interface BuildAgentImageOptions {
  /** The archive to write, e.g. dist/agent-image.tar. */
  readonly output: string;
  readonly repoRoot?: string;
  readonly log?: Log;
}

export async function buildAgentImage(options: BuildAgentImageOptions): Promise<ImageBuild> {
  const { output, repoRoot = REPO_ROOT, log = () => {} } = options;
  const started = Date.now();
  const lock = readAgentLock(repoRoot);
  const { version, labels } = repositoryLabels(
    repoRoot,
    'airlock-agent',
    'Tools for agent pods in airlock tests: psql; ssh and scp; curl; openssl; bash and coreutils; kubectl',
  );
  const reference = `${AGENT_REPOSITORY}:${version}`;
  const { kubectl, kubernetesVersion } = await controlPlaneBinaries(log);
  const crane = await craneBinary(log);
  const debs = await fetchDebs(lock.packages, inputsDir(), log, AGENT_PINS);
  const work = mkdtempSync(join(tmpdir(), 'airlock-agent-image-'));
  try {
    // kubectl's layer takes the longest to compress: it is compressed while the packages are unpacked.
    const kubectlRoot = join(work, 'kubectl-layer');
    mkdirSync(join(kubectlRoot, 'usr/local/bin'), { recursive: true });
    copyFileSync(kubectl, join(kubectlRoot, 'usr/local/bin/kubectl'));
    const kubectlLayer = archiveStaged(
      { name: 'kubectl', holds: `/usr/local/bin/kubectl ${kubernetesVersion}, the repository's Kubernetes build`, root: kubectlRoot },
      work,
      log,
    );
    log(`unpacking ${lock.packages.length} Debian packages for ${reference}`);
    const debian = archiveStaged(stageDebian(join(work, 'debian-layer'), debs, lock), work, log);
    const image = await writeImage({ reference, labels, settings: AGENT_SETTINGS }, await Promise.all([debian, kubectlLayer]), {
      crane,
      work,
      output,
      log,
    });
    log(`built ${reference} ${image.digest} in ${Math.round((Date.now() - started) / 1000)}s`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function stageDebian(root: string, debs: ReadonlyMap<string, string>, lock: AgentLock): StagedLayer {
  const scripted = unpackDebs(root, debs);
  mergeUsr(root);
  configure(root, new Set(debs.keys()), scripted, AGENT_USER);
  removeDocumentation(root);
  symlinkHardLinks(root);
  const home = AGENT_USER.home.replace(/^\//, '');
  return {
    name: 'debian',
    holds: `${lock.packages.length} Debian 12 packages (${AGENT_LOCK_FILE}), configured without dpkg; users root and ${AGENT_USER.name} (${AGENT_USER.id})`,
    root,
    modes: keptModes(root),
    owners: { [home]: AGENT_USER.id },
  };
}

/** The agent image for tests, built once per lock, kubectl and build code. */
export async function cachedAgentImage(log: Log = () => {}, repoRoot = REPO_ROOT): Promise<ImageBuild> {
  const { kubectl } = await controlPlaneBinaries(log);
  return cachedArchive({
    folder: 'agent-image',
    key: contentKey(repoRoot, [sha256File(kubectl)], ['package.json', ...buildCodeFiles(repoRoot)]),
    archive: 'agent-image.tar',
    what: 'the agent image',
    log,
    build: (output) => buildAgentImage({ output, repoRoot, log }),
  });
}
