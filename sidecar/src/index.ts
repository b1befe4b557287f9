export { operationDigest } from './approval/digest.ts';
export { InProcessApprovalGate } from './approval/in-process-gate.ts';
export { BrokerApprovalGate } from './broker/broker-approval-gate.ts';
export { BrokerClient, type BrokerClientOptions } from './broker/broker-client.ts';
export { BrokerConfigSource } from './broker/broker-config-source.ts';
export { BrokerCredentialSource } from './broker/broker-credential-source.ts';
export { BrokerRecordingStore } from './broker/broker-recording-store.ts';
export { type BrokerSidecar, type BrokerSidecarOptions, startBrokerSidecar } from './broker/broker-sidecar.ts';
export { BrokerError } from './broker/errors.ts';
export { PodIdentityAuthenticator } from './broker/pod-identity-authenticator.ts';
export * from './broker/protocol.ts';
export { loadSettingsFile, parseSettings, SettingsError } from './config/load-settings.ts';
export { StaticAuthenticator } from './in-process/static-authenticator.ts';
export { StaticConfigSource } from './in-process/static-config.ts';
export { StaticCredentialSource } from './in-process/static-credentials.ts';
export { compileMasking, type MaskingRuleError } from './masking/compile.ts';
export { type HealthServer, startHealthServer } from './observability/health-server.ts';
export { createLogger, type LoggerOptions } from './observability/logger.ts';
export * as pgProtocol from './pg/protocol/index.ts';
export { policiesFor, targetMatches } from './policy/applicable.ts';
export { type CompileProblem, compileProblems } from './policy/compile-problems.ts';
export { type Action, type CompiledPolicy, compilePolicy, type Decision, decide, strictestDecision } from './policy/decide.ts';
export type * from './ports.ts';
export { syncDirectory } from './recording/file-sink.ts';
export {
  CHAIN_START,
  type ChainHead,
  GENESIS_HASH,
  RECORD_VERSION,
  recordHash,
  type StoredRecord,
  serializeRecord,
} from './recording/hash-chain.ts';
export { FileRecordingStore, verifyJsonl, verifyRecords } from './recording/index.ts';
export { missingNodeFlags, sidecarNodeFlags } from './runtime/node-flags.ts';
export { type RunningSidecar, type SidecarDeps, startSidecar } from './sidecar.ts';
export { SqlClassifier } from './sql/classifier.ts';
