// The pinned tools live in @airlock/build; these stay for the tests that still import them from here.
export { type ControlPlaneBinaries, helmBinary, isAlive, kubernetesVersion } from '@airlock/build';
export { AirlockProcesses, type OperatorProcessOptions, operatorArgs, REPO_ROOT } from './airlock-processes.ts';
export { apiError } from './api-error.ts';
export type { AuditEvent } from './audit-log.ts';
export {
  agentContainer,
  agentPodSpec,
  applyObjects,
  createRecordingsVolume,
  type HelmInstallOnNodeOptions,
  helmInstallOnNode,
  importNodeImages,
  type NodeImages,
  OPERATOR_POD_SELECTOR,
  RELEASE_NAMESPACE,
} from './chart-on-node.ts';
export { Containerd, type ContainerdOptions } from './containerd.ts';
export { CONTROLLERS, ControlPlane, type ControlPlaneOptions, type KubectlResult } from './control-plane.ts';
export { CRD_MANIFESTS, installCrds } from './crds.ts';
export { chooseDemoMode, DEMO_NAMESPACE, DEMO_POD, type Demo, type DemoMode, type DemoOptions, startDemo } from './demo.ts';
export { HarnessError } from './errors.ts';
export { type EventuallyOptions, eventually } from './eventually.ts';
export { CHART_DIR, type HelmOptions, type HelmResult, runHelm } from './helm.ts';
export { ImageRootfs, type ImageRunOptions, imageRootfs } from './image-rootfs.ts';
export { type AirlockInstallation, type InstallAirlockOptions, installAirlock } from './install.ts';
export { kubeconfigYaml } from './kubeconfig.ts';
export { issueClientCertificate } from './node/client-certificate.ts';
export { ClusterNode, type NodeStopReport } from './node/cluster-node.ts';
export { describeDifferences } from './node/machine-diff.ts';
export { type MachineState, readMachineState } from './node/machine-state.ts';
export type { GuardCounter } from './node/network-guard.ts';
export type { NodeAvailability } from './node/node-availability.ts';
export { NODE_LOCK_DIR, NodeLock } from './node/node-lock.ts';
export { POD_NETWORK, type PodNetwork } from './node/pod-network.ts';
export { type IssueTokenOptions, OIDC_TEST_AUDIENCE, OidcProvider, type OidcProviderOptions } from './oidc-provider.ts';
export { type OpensshBinaries, opensshBinaries } from './openssh-binaries.ts';
export { PgBouncer, type PgBouncerOptions } from './pgbouncer.ts';
export { type CertificateAuthority, createCertificateAuthority, issueServingCertificate } from './pki.ts';
export { freePort, isListening } from './ports.ts';
export {
  POSTGRES_TEST_USERS,
  type PostgresCredentials,
  PostgresServer,
  type PostgresServerOptions,
  type PostgresTestUser,
  TEST_DATABASE,
} from './postgres.ts';
export { type PostgresBinaries, pgbouncerBinary, postgresBinaries } from './postgres-binaries.ts';
export { type PsqlConnection, type PsqlOptions, type PsqlResult, runPsql } from './psql.ts';
export type { RunAs } from './run-as.ts';
export { agentPod, SAMPLE, SAMPLE_SQL, type SampleOptions, sampleManifests } from './sample-agent.ts';
export { psqlAsAgent, psqlAsOwner, seedSample } from './sample-sessions.ts';
export { type ServiceAccountKubeconfig, serviceAccountKubeconfig } from './service-account-kubeconfig.ts';
export { generateSshKeyPair, type SshKeyPair, type SshKeyType, sshFingerprint } from './ssh-keys.ts';
export { type SshLoginUser, SshServer, type SshServerOptions } from './sshd.ts';
export { TmpfsMount } from './tmpfs-mount.ts';
export { TEST_USERS, type TestUser, type TestUserName } from './users.ts';
export { installWebhooks, podBoundToken } from './webhooks.ts';
