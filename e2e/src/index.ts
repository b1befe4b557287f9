export { apiError } from './api-error.ts';
export { type ControlPlaneBinaries, controlPlaneBinaries, etcdVersion, kubernetesVersion } from './binaries.ts';
export { CONTROLLERS, ControlPlane, type ControlPlaneOptions, type KubectlResult } from './control-plane.ts';
export { CRD_MANIFESTS, installCrds } from './crds.ts';
export { HarnessError } from './errors.ts';
export { TEST_USERS, type TestUser, type TestUserName } from './users.ts';
