export * from '@airlock/contracts/recording';
export {
  CHAIN_START,
  type ChainHead,
  canonicalJson,
  GENESIS_HASH,
  RECORD_VERSION,
  RecordingError,
  type RecordingErrorCode,
  type StoredRecord,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyResult,
  type VerifySuccess,
  verifyJsonl,
  verifyRecords,
} from '@airlock/contracts/recording';
export { type BatchingOptions, BatchingWriter, type RecordingObserver, type StoreFailurePolicy } from './batching-writer.ts';
export { FileRecordingStore, type FileRecordingStoreOptions, FileSink, type FsyncMode } from './file-sink.ts';
export { InMemoryRecordingStore, InMemorySink } from './memory-sink.ts';
export { SessionRecorder, type SessionRecorderOptions } from './session-recorder.ts';
export type { RecordingSink, RecordingStore } from './sink.ts';
