/**
 * The sidecar's public surface, for what runs it from outside the package: the operator's broker
 * tests, the benchmarks and the plugin's recording tests. Everything shared as a contract comes
 * from @airlock/contracts instead; nothing else in the repository may import sidecar internals.
 */
export { BrokerApprovalGate } from './broker/broker-approval-gate.ts';
export { BrokerClient, type BrokerClientOptions } from './broker/broker-client.ts';
export { BrokerConfigSource } from './broker/broker-config-source.ts';
export { BrokerCredentialSource } from './broker/broker-credential-source.ts';
export { BrokerRecordingStore } from './broker/broker-recording-store.ts';
export { type BrokerSidecar, type BrokerSidecarOptions, startBrokerSidecar } from './broker/broker-sidecar.ts';
export { BrokerError } from './broker/errors.ts';
export { PodIdentityAuthenticator } from './broker/pod-identity-authenticator.ts';
export { loadSettingsFile, parseSettings, SettingsError } from './config/load-settings.ts';
export type * from './core/ports.ts';
export { FileRecordingStore, type FsyncMode } from './core/recording/file-sink.ts';
export { SessionRecorder } from './core/recording/session-recorder.ts';
export { InProcessApprovalGate } from './in-process/in-process-gate.ts';
export { StaticAuthenticator } from './in-process/static-authenticator.ts';
export { StaticConfigSource } from './in-process/static-config.ts';
export { StaticCredentialSource } from './in-process/static-credentials.ts';
export { startStaticSidecar } from './in-process/static-sidecar.ts';
export { compileMasking } from './protocols/postgres/masking/compile-masking.ts';
export type { MaskColumn } from './protocols/postgres/masking/row-masker.ts';
export { SqlClassifier } from './protocols/postgres/sql/classifier.ts';
export { type RunningSidecar, type SidecarDeps, startSidecar } from './sidecar.ts';
