export type RecordingErrorCode =
  /** A session id that is not safe as a file name (`[A-Za-z0-9._-]`, 1-128 characters, not `.` or `..`). */
  | 'InvalidSessionId'
  /** An event holds something JSON cannot round-trip (undefined in an array, NaN, a Date, a Buffer...). */
  | 'NotCanonicalizable'
  /** The session's recording file already exists: another recorder wrote it. */
  | 'SessionFileExists'
  /** append() after close(). */
  | 'SinkClosed'
  /** record(), flush() or whenWritable() after close() or abort(). */
  | 'RecorderClosed'
  /** Records could not be stored within the target's recording.blockTimeout; nothing was forwarded. */
  | 'StoreUnavailable'
  /** A Target's spec.recording the sidecar cannot read (a duration it cannot parse). */
  | 'InvalidSettings';

/** The recording package's one error class; `code` is stable, the message says what to do. */
export class RecordingError extends Error {
  readonly code: RecordingErrorCode;
  constructor(code: RecordingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordingError';
    this.code = code;
  }
}
