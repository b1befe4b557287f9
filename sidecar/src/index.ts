/**
 * The sidecar's public surface, for what runs it from outside the package: the operator's broker
 * tests, the benchmarks and the plugin's recording tests. Everything shared as a contract comes
 * from @airlock/contracts instead; nothing else in the repository may import sidecar internals.
 */
export { BrokerClient } from './broker/broker-client.ts';
export { BrokerCredentialSource } from './broker/broker-credential-source.ts';
export { type BrokerSidecar, startBrokerSidecar } from './broker/broker-sidecar.ts';
export { BrokerError } from './broker/errors.ts';
export { FileRecordingStore, type FsyncMode } from './core/recording/file-sink.ts';
export { SessionRecorder } from './core/recording/session-recorder.ts';
export { startStaticSidecar } from './in-process/static-sidecar.ts';
export { compileMasking } from './protocols/postgres/masking/compile-masking.ts';
export type { MaskColumn } from './protocols/postgres/masking/row-masker.ts';
export { SqlClassifier } from './protocols/postgres/sql/classifier.ts';
