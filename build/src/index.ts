export { buildOnce } from './build-once.ts';
export { cacheRoot } from './cache-root.ts';
export { BuildError } from './errors.ts';
export {
  type ControlPlaneBinaries,
  controlPlaneBinaries,
  etcdVersion,
  kubernetesVersion,
  type NodeBinaries,
  nodeBinaries,
} from './go-tools/control-plane.ts';
export { corednsBinary, corednsVersion } from './go-tools/coredns.ts';
export { craneBinary, craneVersion } from './go-tools/crane.ts';
export { helmBinary, helmVersion } from './go-tools/helm.ts';
export {
  AGENT_REPOSITORY,
  AGENT_SETTINGS,
  AGENT_USER,
  type BuildAgentImageOptions,
  buildAgentImage,
  cachedAgentImage,
} from './image/agent-image.ts';
export type { RunSettings } from './image/assemble.ts';
export { RUN_SETTINGS } from './image/assemble.ts';
export { type BuildImageOptions, buildImage, type ImageBuild, type ImageLayer, type ImageReport } from './image/build-image.ts';
export { cachedImage } from './image/cached-image.ts';
export {
  type BuildCorednsImageOptions,
  buildCorednsImage,
  COREDNS_REPOSITORY,
  COREDNS_SETTINGS,
  cachedCorednsImage,
} from './image/coredns-image.ts';
export { IMAGE_REPOSITORY } from './image/image-identity.ts';
export { NODE_PACKAGE } from './image/inputs.ts';
export {
  type BuildPauseImageOptions,
  buildPauseImage,
  cachedPauseImage,
  PAUSE_ID,
  PAUSE_REPOSITORY,
  PAUSE_SETTINGS,
} from './image/pause-image.ts';
export { NONROOT_ID } from './image/staged-layer.ts';
export type { Log } from './log.ts';
export { isAlive } from './process-alive.ts';
