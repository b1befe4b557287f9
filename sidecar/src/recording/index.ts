export { type BatchingOptions, BatchingWriter, type RecordingObserver, type StoreFailurePolicy } from './batching-writer.ts';
export { RecordingError, type RecordingErrorCode } from './errors.ts';
export * from './events.ts';
export { FileRecordingStore, type FileRecordingStoreOptions, FileSink, type FsyncMode } from './file-sink.ts';
export { CHAIN_START, type ChainHead, canonicalJson, GENESIS_HASH, RECORD_VERSION, type StoredRecord } from './hash-chain.ts';
export { InMemoryRecordingStore, InMemorySink } from './memory-sink.ts';
export { SessionRecorder, type SessionRecorderOptions } from './session-recorder.ts';
export type { RecordingSink, RecordingStore } from './sink.ts';
export {
  type VerifyFailure,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyResult,
  type VerifySuccess,
  verifyJsonl,
  verifyRecords,
} from './verify.ts';
